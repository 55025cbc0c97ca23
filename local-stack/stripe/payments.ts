import type Stripe from 'stripe';
import { AUTOMATIC, emit, save, within, type Ctx } from './context.ts';
import { docUrl, fail, StripeFailure, type StripeErrorBody } from './errors.ts';
import * as build from './objects.ts';
import { allowedTypes, bool, int, mergeMetadata, metadata, obj, oneOf, requireInt, requireStr, str, type Params } from './params.ts';
import { LOSING_EVIDENCE, MINIMUM_AMOUNT, nowSeconds, TEST_PAYMENT_METHODS, WINNING_EVIDENCE, type Outcome } from './protocol.ts';
import { find, get, snapshot } from './store.ts';

// Customers, PaymentMethods, SetupIntents, PaymentIntents, Charges, Refunds and Disputes: the
// card-payment lifecycle with Stripe's test payment methods deciding each outcome. Over 500 lines
// on purpose: these routes share one state machine (intent → charge → refund/dispute), and split
// apart each would reach into the others' objects.

const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);

// ---- customers

export function createCustomer(ctx: Ctx, p: Params): Stripe.Customer {
  const cus = save(
    ctx,
    build.customer({
      email: str(p, 'email') || null,
      name: str(p, 'name') || null,
      phone: str(p, 'phone') || null,
      description: str(p, 'description') || null,
      metadata: metadata(p),
      defaultPaymentMethod: null,
    }),
  );
  emit(ctx, 'customer.created', cus);
  const pmRef = str(p, 'payment_method');
  if (pmRef) {
    const pm = attachPaymentMethod(ctx, resolvePaymentMethod(ctx, pmRef, 'payment_method'), cus.id);
    const wanted = str(obj(p, 'invoice_settings'), 'default_payment_method');
    if (wanted === pmRef) cus.invoice_settings.default_payment_method = pm.id;
  }
  return cus;
}

export function updateCustomer(ctx: Ctx, cus: Stripe.Customer, p: Params): Stripe.Customer {
  const before = snapshot(cus);
  for (const key of ['email', 'name', 'phone', 'description'] as const) {
    const v = str(p, key);
    if (v !== undefined) cus[key] = v || null;
  }
  cus.metadata = mergeMetadata(cus.metadata, p);
  const settings = obj(p, 'invoice_settings');
  const dpm = str(settings, 'default_payment_method');
  if (dpm !== undefined) {
    if (dpm) {
      const pm = get(ctx.store, 'payment_method', dpm, 'invoice_settings[default_payment_method]', 400);
      if (idOf(pm.customer) !== cus.id) {
        throw fail.invalid('invoice_settings[default_payment_method]', `No such PaymentMethod: '${dpm}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account.`, 'resource_missing');
      }
    }
    cus.invoice_settings.default_payment_method = dpm || null;
  }
  const previous = changed(before, cus);
  if (Object.keys(previous).length) emit(ctx, 'customer.updated', cus, previous);
  return cus;
}

/** Deleting a customer detaches its payment methods and cancels its subscriptions, as Stripe does. */
export function deleteCustomer(ctx: Ctx, cus: Stripe.Customer): void {
  for (const o of [...ctx.store.objects.values()]) {
    if (o.object === 'payment_method' && idOf(o.customer) === cus.id) o.customer = null;
    if (o.object === 'subscription' && o.customer === cus.id && o.status !== 'canceled') {
      o.status = 'canceled';
      o.canceled_at = o.ended_at = nowSeconds();
      emit(ctx, 'customer.subscription.deleted', o);
    }
  }
  ctx.store.objects.delete(cus.id);
  emit(ctx, 'customer.deleted', cus);
}

/** The old values of the top-level fields that differ (an event's `previous_attributes`). */
export function changed<T extends object>(before: T, after: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = before[key];
  }
  return out;
}

// ---- payment methods

/**
 * A `payment_method` parameter: a test token becomes a new PaymentMethod (`pm_card_visa` →
 * `pm_…`, as Stripe does), anything else must exist on this account.
 */
export function resolvePaymentMethod(ctx: Ctx, ref: string, param: string): Stripe.PaymentMethod {
  const test = TEST_PAYMENT_METHODS[ref];
  if (test) {
    const pm = save(ctx, build.paymentMethod(test, { customer: null, metadata: {} }));
    ctx.double.outcomes.set(pm.id, test.outcome);
    return pm;
  }
  return get(ctx.store, 'payment_method', ref, param, 400);
}

const outcomeOf = (ctx: Ctx, pm: Stripe.PaymentMethod): Outcome => ctx.double.outcomes.get(pm.id) ?? { kind: 'succeed' };

type Decline = Extract<Outcome, { kind: 'decline' }>;

function cardError(o: Decline, extra: Partial<Stripe.PaymentIntent.LastPaymentError>): Stripe.PaymentIntent.LastPaymentError {
  return { code: o.code, decline_code: o.decline_code, doc_url: docUrl(o.code), message: o.message, type: 'card_error', ...extra };
}

/** 402 `card_error`, which the client raises as StripeCardError; saved under the Idempotency-Key. */
function declined(o: Decline, extra: Partial<StripeErrorBody> = {}): StripeFailure {
  return new StripeFailure(402, { type: 'card_error', code: o.code, decline_code: o.decline_code, doc_url: docUrl(o.code), message: o.message, ...extra }, true);
}

export function attachPaymentMethod(ctx: Ctx, pm: Stripe.PaymentMethod, customerId: string): Stripe.PaymentMethod {
  const cus = get(ctx.store, 'customer', customerId, 'customer', 400);
  if (pm.customer && idOf(pm.customer) !== cus.id) {
    throw fail.request('The payment method you provided has already been attached to a customer.');
  }
  if (ctx.store.consumed.has(pm.id)) {
    throw fail.request(
      'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
    );
  }
  const o = outcomeOf(ctx, pm);
  // Attaching a card checks it with the issuer: test declines fail here, except the 0341 card.
  if (o.kind === 'decline' && o.on_attach) {
    throw declined(o);
  }
  if (idOf(pm.customer) === cus.id) return pm;
  pm.customer = cus.id;
  emit(ctx, 'payment_method.attached', pm);
  return pm;
}

export function detachPaymentMethod(ctx: Ctx, pm: Stripe.PaymentMethod): Stripe.PaymentMethod {
  const customerId = idOf(pm.customer);
  if (!customerId) throw fail.request(`The payment method ${pm.id} is not attached to a customer so detachment is impossible.`);
  pm.customer = null;
  ctx.store.consumed.add(pm.id);
  const cus = find(ctx.store, 'customer', customerId);
  if (cus && cus.invoice_settings.default_payment_method === pm.id) cus.invoice_settings.default_payment_method = null;
  emit(ctx, 'payment_method.detached', pm, { customer: customerId });
  return pm;
}

// ---- setup intents

export function createSetupIntent(ctx: Ctx, p: Params): Stripe.SetupIntent {
  const customer = str(p, 'customer') || null;
  if (customer) get(ctx.store, 'customer', customer, 'customer', 400);
  const pmRef = str(p, 'payment_method');
  const pm = pmRef ? resolvePaymentMethod(ctx, pmRef, 'payment_method') : null;
  const si = save(
    ctx,
    build.setupIntent({
      customer,
      paymentMethod: pm?.id ?? null,
      paymentMethodTypes: allowedTypes(p) ?? ['card'],
      allowedTypes: allowedTypes(p) ?? null,
      usage: oneOf(p, 'usage', ['off_session', 'on_session']) ?? 'off_session',
      description: str(p, 'description') || null,
      metadata: metadata(p),
      application: ctx.store.connected ? ctx.double.application : null,
    }),
  );
  emit(ctx, 'setup_intent.created', si);
  if (bool(p, 'confirm')) confirmSetupIntent(ctx, si, {});
  return si;
}

export function confirmSetupIntent(ctx: Ctx, si: Stripe.SetupIntent, p: Params): Stripe.SetupIntent {
  if (si.status !== 'requires_payment_method' && si.status !== 'requires_confirmation') {
    throw fail.request(
      `You cannot confirm this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      'setup_intent_unexpected_state',
    );
  }
  const pmRef = str(p, 'payment_method');
  const pm = pmRef ? resolvePaymentMethod(ctx, pmRef, 'payment_method') : si.payment_method ? get(ctx.store, 'payment_method', idOf(si.payment_method)!) : null;
  if (!pm) {
    throw fail.request(
      "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.",
      'setup_intent_unexpected_state',
    );
  }
  const o = outcomeOf(ctx, pm);
  if (o.kind === 'decline' && o.on_attach) {
    si.status = 'requires_payment_method';
    si.payment_method = null;
    si.last_setup_error = { ...cardError(o, {}), payment_method: snapshot(pm) } as Stripe.SetupIntent.LastSetupError;
    emit(ctx, 'setup_intent.setup_failed', si);
    throw declined(o, { setup_intent: snapshot(si), payment_method: snapshot(pm) });
  }
  if (si.customer) attachPaymentMethod(ctx, pm, idOf(si.customer)!);
  si.payment_method = pm.id;
  si.status = 'succeeded';
  si.last_setup_error = null;
  emit(ctx, 'setup_intent.succeeded', si);
  return si;
}

export function cancelSetupIntent(ctx: Ctx, si: Stripe.SetupIntent, p: Params): Stripe.SetupIntent {
  if (si.status === 'succeeded' || si.status === 'canceled') {
    throw fail.request(
      `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action.`,
      'setup_intent_unexpected_state',
    );
  }
  si.status = 'canceled';
  si.cancellation_reason = (oneOf(p, 'cancellation_reason', ['abandoned', 'duplicate', 'requested_by_customer']) ?? null) as Stripe.SetupIntent.CancellationReason | null;
  emit(ctx, 'setup_intent.canceled', si);
  return si;
}

// ---- payment intents

/**
 * `application_fee_amount` is only for direct charges (a `Stripe-Account` request) or destination
 * charges, which the double does not model; Stripe refuses it otherwise with this sentence.
 */
export function applicationFee(ctx: Ctx, p: Params, param = 'application_fee_amount'): number | null {
  const fee = int(p, 'application_fee_amount', param);
  if (fee === undefined) return null;
  if (!ctx.store.connected) {
    throw fail.invalid(
      param,
      'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
    );
  }
  return fee;
}

export function createPaymentIntent(ctx: Ctx, p: Params): Stripe.PaymentIntent {
  const amount = requireInt(p, 'amount');
  const currency = requireStr(p, 'currency').toLowerCase();
  const minimum = MINIMUM_AMOUNT[currency];
  if (minimum !== undefined && amount < minimum) {
    throw fail.invalid('amount', `Amount must be at least ${(minimum / 100).toFixed(2)} ${currency}`, 'amount_too_small');
  }
  if (str(p, 'capture_method') === 'manual' || str(p, 'capture_method') === 'manual_multicapture') {
    throw fail.invalid('capture_method', 'The Stripe double implements automatic capture only (capture_method=automatic).');
  }
  const customer = str(p, 'customer') || null;
  if (customer) get(ctx.store, 'customer', customer, 'customer', 400);
  const pmRef = str(p, 'payment_method');
  const pm = pmRef ? resolvePaymentMethod(ctx, pmRef, 'payment_method') : null;
  const offSession = p.off_session === 'true' || p.off_session === 'one_off' || p.off_session === 'recurring';
  const confirm = bool(p, 'confirm') ?? false;
  if (offSession && !confirm) throw fail.invalid('off_session', 'off_session can only be set when confirm=true.');
  const types = allowedTypes(p);
  const automatic = !types && bool(obj(p, 'automatic_payment_methods'), 'enabled') !== false;
  const pi = save(
    ctx,
    build.paymentIntent({
      amount,
      currency,
      customer,
      paymentMethod: pm?.id ?? null,
      paymentMethodTypes: types ?? (pm?.type === 'us_bank_account' ? ['us_bank_account'] : ['card']),
      allowedTypes: types ?? null,
      automatic,
      description: str(p, 'description') || null,
      metadata: metadata(p),
      receiptEmail: str(p, 'receipt_email') || null,
      setupFutureUsage: oneOf(p, 'setup_future_usage', ['off_session', 'on_session']) ?? null,
      applicationFeeAmount: applicationFee(ctx, p),
      application: ctx.store.connected ? ctx.double.application : null,
      statementDescriptor: str(p, 'statement_descriptor') || null,
      statementDescriptorSuffix: str(p, 'statement_descriptor_suffix') || null,
      transferGroup: str(p, 'transfer_group') || null,
    }),
  );
  emit(ctx, 'payment_intent.created', pi);
  if (confirm) confirmPaymentIntent(ctx, pi, {});
  return pi;
}

export function updatePaymentIntent(ctx: Ctx, pi: Stripe.PaymentIntent, p: Params): Stripe.PaymentIntent {
  const amount = int(p, 'amount');
  if (amount !== undefined || p.payment_method !== undefined) {
    if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
      throw fail.request(`This PaymentIntent's amount could not be updated because it has a status of ${pi.status}.`, 'payment_intent_unexpected_state');
    }
  }
  if (amount !== undefined) pi.amount = amount;
  const pmRef = str(p, 'payment_method');
  if (pmRef) {
    pi.payment_method = resolvePaymentMethod(ctx, pmRef, 'payment_method').id;
    pi.status = 'requires_confirmation';
  }
  const description = str(p, 'description');
  if (description !== undefined) pi.description = description || null;
  pi.metadata = mergeMetadata(pi.metadata, p);
  return pi;
}

export function confirmPaymentIntent(ctx: Ctx, pi: Stripe.PaymentIntent, p: Params): Stripe.PaymentIntent {
  if (pi.status !== 'requires_payment_method' && pi.status !== 'requires_confirmation' && pi.status !== 'requires_action') {
    throw fail.request(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      'payment_intent_unexpected_state',
    );
  }
  const pmRef = str(p, 'payment_method');
  const pm = pmRef
    ? resolvePaymentMethod(ctx, pmRef, 'payment_method')
    : pi.payment_method
      ? get(ctx.store, 'payment_method', idOf(pi.payment_method)!)
      : null;
  if (!pm) {
    throw fail.request(
      "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.",
      'payment_intent_unexpected_state',
    );
  }
  attemptCharge(ctx, pi, pm);
  return pi;
}

/**
 * Charges a PaymentIntent with a PaymentMethod, as its test token says: succeed (a dispute card
 * is disputed shortly after), decline (402 card_error, saved under the Idempotency-Key because
 * the endpoint ran), or go `processing` first (bank debits, settled after `achSettleMs`).
 * `forceDecline` is the double's "make the next payment fail" control.
 */
export function attemptCharge(ctx: Ctx, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod, forceDecline = false): void {
  const customer = idOf(pi.customer);
  const pmCustomer = idOf(pm.customer);
  if (ctx.store.consumed.has(pm.id)) {
    throw fail.invalid(
      'payment_method',
      'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
    );
  }
  if (pmCustomer && customer && pmCustomer !== customer) {
    throw fail.invalid('payment_method', `The provided PaymentMethod belongs to a different Customer (${pmCustomer}).`);
  }
  if (pmCustomer && !customer) {
    throw fail.invalid(
      'payment_method',
      `The provided PaymentMethod is attached to a Customer (${pmCustomer}). To use it, you must also pass the Customer's ID as the \`customer\` parameter.`,
    );
  }
  const behaviour = outcomeOf(ctx, pm);
  const o: Outcome = forceDecline
    ? { kind: 'decline', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', seller_message: 'The bank did not return any further details with this decline.', on_attach: false }
    : behaviour;
  pi.payment_method = pm.id;
  const baseUrl = ctx.double.baseUrl;

  if (o.kind === 'decline') {
    const ch = save(
      ctx,
      build.charge(pi, pm, {
        status: 'failed',
        outcome: build.outcome({ declined: true, decline_code: o.decline_code, seller_message: o.seller_message }),
        failure: { code: o.code, message: o.message },
        baseUrl,
      }),
    );
    pi.latest_charge = ch.id;
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = cardError(o, { charge: ch.id, payment_method: snapshot(pm), advice_code: 'try_again_later' });
    if (!pmCustomer) ctx.store.consumed.add(pm.id);
    emit(ctx, 'charge.failed', ch);
    emit(ctx, 'payment_intent.payment_failed', pi);
    throw declined(o, { charge: ch.id, payment_intent: snapshot(pi), payment_method: snapshot(pm) });
  }

  if (o.kind === 'processing') {
    const ch = save(ctx, build.charge(pi, pm, { status: 'pending', outcome: build.outcome({ declined: false }), failure: null, baseUrl }));
    pi.latest_charge = ch.id;
    pi.status = 'processing';
    emit(ctx, 'charge.pending', ch);
    emit(ctx, 'payment_intent.processing', pi);
    if (o.then === 'succeed') ctx.double.later(ctx.double.achSettleMs, () => settlePaymentIntent(within(ctx, ctx.store, AUTOMATIC), pi.id));
    afterSuccessfulAttempt(ctx, pi, pm);
    return;
  }

  const ch = save(ctx, build.charge(pi, pm, { status: 'succeeded', outcome: build.outcome({ declined: false }), failure: null, baseUrl }));
  pi.latest_charge = ch.id;
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.last_payment_error = null;
  afterSuccessfulAttempt(ctx, pi, pm);
  emit(ctx, 'charge.succeeded', ch);
  emit(ctx, 'payment_intent.succeeded', pi);
  if (o.kind === 'dispute') ctx.double.later(ctx.double.disputeDelayMs, () => openDispute(within(ctx, ctx.store, AUTOMATIC), ch.id));
}

/** `setup_future_usage` with a customer saves the card to it; a PaymentMethod used without one is spent. */
function afterSuccessfulAttempt(ctx: Ctx, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod) {
  const customer = idOf(pi.customer);
  if (pi.setup_future_usage && customer && !pm.customer) {
    pm.customer = customer;
    emit(ctx, 'payment_method.attached', pm);
  } else if (!pm.customer) {
    ctx.store.consumed.add(pm.id);
  }
}

/** A bank debit that cleared: `processing` → `succeeded` (timer, or `/_double/payment_intents/:id/settle`). */
export function settlePaymentIntent(ctx: Ctx, id: string): Stripe.PaymentIntent | undefined {
  const pi = find(ctx.store, 'payment_intent', id);
  if (!pi || pi.status !== 'processing') return pi;
  const ch = get(ctx.store, 'charge', idOf(pi.latest_charge)!);
  ch.status = 'succeeded';
  ch.paid = true;
  ch.captured = true;
  ch.amount_captured = ch.amount;
  ch.balance_transaction = `txn_${ch.id.slice(3)}`;
  ch.receipt_url = `${ctx.double.baseUrl}/receipts/payment/${ch.id}`;
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  emit(ctx, 'charge.succeeded', ch);
  emit(ctx, 'payment_intent.succeeded', pi);
  return pi;
}

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

export function cancelPaymentIntent(ctx: Ctx, pi: Stripe.PaymentIntent, reason: Stripe.PaymentIntent.CancellationReason | null): Stripe.PaymentIntent {
  // A bank debit already submitted cannot be called back; Stripe lets only some be canceled.
  if (!CANCELABLE.includes(pi.status) || (pi.status === 'processing' && idOf(pi.latest_charge))) {
    throw fail.request(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      'payment_intent_unexpected_state',
    );
  }
  pi.status = 'canceled';
  pi.canceled_at = nowSeconds();
  pi.cancellation_reason = reason;
  emit(ctx, 'payment_intent.canceled', pi);
  return pi;
}

// ---- refunds

export function createRefund(ctx: Ctx, p: Params): Stripe.Refund {
  const piId = str(p, 'payment_intent');
  const chId = str(p, 'charge');
  if (!piId && !chId) throw fail.request('One of the following params should be provided for this request: payment_intent or charge.');
  let ch: Stripe.Charge;
  if (piId) {
    const pi = get(ctx.store, 'payment_intent', piId, 'payment_intent', 400);
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw fail.invalid('payment_intent', `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`);
    }
    ch = get(ctx.store, 'charge', idOf(pi.latest_charge)!);
  } else {
    ch = get(ctx.store, 'charge', chId!, 'charge', 400);
  }
  if (ch.disputed) throw fail.request(`Charge ${ch.id} has been charged back; cannot issue a refund.`, 'charge_disputed');
  const remaining = ch.amount - ch.amount_refunded;
  if (remaining <= 0) throw fail.request(`Charge ${ch.id} has already been refunded.`, 'charge_already_refunded');
  const amount = int(p, 'amount') ?? remaining;
  if (amount <= 0) throw fail.invalid('amount', 'Refund amount must be greater than 0.');
  if (amount > remaining) {
    throw fail.invalid(
      'amount',
      `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(remaining / 100).toFixed(2)})`,
      'amount_too_large',
    );
  }
  const re = save(
    ctx,
    build.refund(ch, {
      amount,
      reason: oneOf(p, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer']) ?? null,
      metadata: metadata(p),
    }),
  );
  const before = { amount_refunded: ch.amount_refunded, refunded: ch.refunded, refunds: snapshot(ch.refunds) };
  ch.amount_refunded += amount;
  ch.refunded = ch.amount_refunded === ch.amount;
  ch.refunds = { object: 'list', data: [re, ...(ch.refunds?.data ?? [])], has_more: false, url: `/v1/charges/${ch.id}/refunds` };
  emit(ctx, 'refund.created', re);
  emit(ctx, 'charge.refunded', ch, before);
  return re;
}

// ---- disputes

/** The cardholder disputes a charge (the 0259 card does this shortly after it succeeds). */
export function openDispute(ctx: Ctx, chargeId: string): Stripe.Dispute | undefined {
  const ch = find(ctx.store, 'charge', chargeId);
  if (!ch || ch.disputed) return undefined;
  const dp = save(ctx, build.dispute(ch));
  dp.balance_transactions = [build.disputeBalanceTransaction(dp, -dp.amount, `Chargeback withdrawal for ${ch.id}`)];
  ch.disputed = true;
  emit(ctx, 'charge.dispute.created', dp);
  emit(ctx, 'charge.dispute.funds_withdrawn', dp);
  return dp;
}

const CLOSED = ['won', 'lost', 'warning_closed'];

/** Decides a dispute: `lost` keeps the money with the cardholder; `won` reinstates it. */
export function closeDispute(ctx: Ctx, dp: Stripe.Dispute, result: 'won' | 'lost'): Stripe.Dispute {
  if (CLOSED.includes(dp.status)) throw fail.request('This dispute is already closed.');
  const previous = { status: dp.status };
  dp.status = result;
  if (result === 'won') {
    dp.balance_transactions = [...dp.balance_transactions, build.disputeBalanceTransaction(dp, dp.amount, `Chargeback reversal for ${idOf(dp.charge)}`)];
    emit(ctx, 'charge.dispute.funds_reinstated', dp);
  }
  emit(ctx, 'charge.dispute.closed', dp, previous);
  return dp;
}

/**
 * `POST /v1/disputes/:id`: evidence and metadata. Submitted test evidence decides the dispute
 * (`winning_evidence` / `losing_evidence`); other submitted evidence puts it under review.
 */
export function updateDispute(ctx: Ctx, dp: Stripe.Dispute, p: Params): Stripe.Dispute {
  if (CLOSED.includes(dp.status)) throw fail.request('This dispute is already closed.');
  const before = snapshot(dp);
  const evidence = obj(p, 'evidence');
  for (const [key, value] of Object.entries(evidence)) {
    if (key in dp.evidence && typeof value === 'string') (dp.evidence as unknown as Record<string, unknown>)[key] = value || null;
  }
  dp.metadata = mergeMetadata(dp.metadata, p);
  const submit = bool(p, 'submit') ?? true;
  if (Object.keys(evidence).length) dp.evidence_details.has_evidence = true;
  if (submit && Object.keys(evidence).length) {
    dp.evidence_details.submission_count += 1;
    dp.evidence_details.submission_method = 'manual';
    dp.status = 'under_review';
  }
  emit(ctx, 'charge.dispute.updated', dp, changed(before, dp));
  const text = dp.evidence.uncategorized_text;
  if (submit && (text === WINNING_EVIDENCE || text === LOSING_EVIDENCE)) {
    closeDispute(ctx, dp, text === WINNING_EVIDENCE ? 'won' : 'lost');
  }
  return dp;
}

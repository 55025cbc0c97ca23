import type Stripe from 'stripe';
import { emit, save, type Ctx } from './context.ts';
import { fail, StripeFailure } from './errors.ts';
import * as build from './objects.ts';
import { priceFor, createSubscription } from './billing.ts';
import { allowedTypes, arr, int, metadata, obj, oneOf, str, type Params } from './params.ts';
import {
  applicationFee,
  attachPaymentMethod,
  attemptCharge,
  cancelPaymentIntent,
  confirmSetupIntent,
  createCustomer,
  createSetupIntent,
  resolvePaymentMethod,
} from './payments.ts';
import { CHECKOUT_TTL_SECONDS, nowSeconds } from './protocol.ts';
import { find, get } from './store.ts';

// Checkout Sessions and what the simulated hosted page does with them. Since API 2022-08-01
// Checkout creates the PaymentIntent / SetupIntent when the customer submits, not with the
// session, so `payment_intent` stays null until the first attempt (docs.stripe.com/upgrades).

const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);

export function createCheckoutSession(ctx: Ctx, p: Params): Stripe.Checkout.Session {
  const mode = oneOf(p, 'mode', ['payment', 'setup', 'subscription']);
  if (!mode) throw fail.missing('mode');
  const customer = str(p, 'customer') || null;
  if (customer) get(ctx.store, 'customer', customer, 'customer', 400);
  const lines = arr(p, 'line_items');
  if (mode !== 'setup' && !lines.length) throw fail.missing('line_items');
  const items = lines.map((raw, i) => {
    const line = raw as Params;
    const price = priceFor(ctx, line, `line_items[${i}]`);
    const quantity = int(line, 'quantity', `line_items[${i}][quantity]`);
    if (quantity === undefined) throw fail.missing(`line_items[${i}][quantity]`);
    if (mode === 'payment' && price.recurring) {
      throw fail.invalid(
        `line_items[${i}]`,
        'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      );
    }
    const product = find(ctx.store, 'product', idOf(price.product)!);
    return build.lineItem(price, quantity, product?.name ?? price.nickname ?? 'Item');
  });
  if (mode === 'subscription' && !items.some((i) => i.price?.recurring)) {
    throw fail.invalid('line_items', 'You must provide at least one recurring price in `subscription` mode when using prices.');
  }
  const currencies = new Set(items.map((i) => i.currency));
  if (currencies.size > 1) throw fail.invalid('line_items', 'All prices on a Checkout Session must use the same currency.');
  const currency = items[0]?.currency ?? (str(p, 'currency')?.toLowerCase() || null);
  const piData = obj(p, 'payment_intent_data');
  if (mode === 'payment') applicationFee(ctx, piData, 'payment_intent_data[application_fee_amount]');
  const expiresAt = int(p, 'expires_at') ?? nowSeconds() + CHECKOUT_TTL_SECONDS;
  if (expiresAt <= nowSeconds()) throw fail.invalid('expires_at', 'The `expires_at` timestamp must be in the future.');
  const session = save(
    ctx,
    build.checkoutSession({
      mode,
      currency,
      amountTotal: mode === 'setup' ? null : items.reduce((s, i) => s + i.amount_total, 0),
      customer,
      customerEmail: str(p, 'customer_email') || null,
      clientReferenceId: str(p, 'client_reference_id') || null,
      successUrl: str(p, 'success_url') || null,
      cancelUrl: str(p, 'cancel_url') || null,
      metadata: metadata(p),
      expiresAt,
      paymentMethodTypes: allowedTypes(p) ?? ['card'],
      allowedTypes: allowedTypes(p) ?? null,
      baseUrl: ctx.double.baseUrl,
    }),
  );
  ctx.store.lineItems.set(session.id, items);
  ctx.double.checkout.set(session.id, {
    paymentIntentData: piData,
    subscriptionData: obj(p, 'subscription_data'),
    setupIntentData: obj(p, 'setup_intent_data'),
  });
  return session;
}

/** `POST /v1/checkout/sessions/:id/expire`, the hosted page's Abandon, and expiry at `expires_at`. */
export function expireCheckoutSession(ctx: Ctx, session: Stripe.Checkout.Session): Stripe.Checkout.Session {
  if (session.status !== 'open') throw fail.request('Only Checkout Sessions with a status in ["open"] can be expired.');
  session.status = 'expired';
  session.url = null;
  const piId = idOf(session.payment_intent);
  const pi = piId ? find(ctx.store, 'payment_intent', piId) : undefined;
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(ctx, pi, 'abandoned');
  emit(ctx, 'checkout.session.expired', session);
  return session;
}

export type CheckoutAction = 'pay' | 'decline' | 'abandon';

/** What the hosted page should do next: go to a URL, or show the page again with a message. */
export type PageResult = { redirect: string } | { error: string };

/** The card the hosted page charges for each button (Stripe's test tokens). */
export const PAGE_CARDS = {
  pay: ['pm_card_visa', 'pm_card_mastercard', 'pm_card_createDispute'],
  decline: ['pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds'],
} as const;

/**
 * The customer acts on the hosted page. Pay completes the session (`checkout.session.completed`)
 * and goes to `success_url` with `{CHECKOUT_SESSION_ID}` filled in; Decline is a failed attempt
 * (`payment_intent.payment_failed`), after which the page stays open as Stripe's does; Abandon
 * expires the session (`checkout.session.expired`) and goes to `cancel_url`.
 */
export function actOnCheckout(ctx: Ctx, session: Stripe.Checkout.Session, action: CheckoutAction, form: Params): PageResult {
  if (session.status !== 'open') return { error: `This Checkout Session is ${session.status}.` };
  if (action === 'abandon') {
    expireCheckoutSession(ctx, session);
    return { redirect: session.cancel_url ?? `${ctx.double.baseUrl}/c/pay/${session.id}` };
  }
  const allowed: readonly string[] = PAGE_CARDS[action];
  const card = str(form, action === 'pay' ? 'card' : 'decline_card');
  const token = card && allowed.includes(card) ? card : allowed[0]!;
  const email = str(form, 'email') || session.customer_email || null;
  try {
    if (session.mode === 'payment') payForSession(ctx, session, token);
    else if (session.mode === 'setup') setUpForSession(ctx, session, token);
    else subscribeForSession(ctx, session, token, email);
  } catch (err) {
    if (err instanceof StripeFailure && err.status === 402) return { error: err.body.message };
    throw err;
  }
  const cus = idOf(session.customer) ? find(ctx.store, 'customer', idOf(session.customer)!) : undefined;
  session.customer_details = {
    address: null,
    business_name: null,
    email: email ?? cus?.email ?? null,
    individual_name: null,
    name: cus?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  session.status = 'complete';
  session.url = null;
  if (session.mode !== 'setup') session.payment_status = 'paid';
  emit(ctx, 'checkout.session.completed', session);
  const next = session.success_url ?? `${ctx.double.baseUrl}/c/pay/${session.id}`;
  return { redirect: next.replaceAll('{CHECKOUT_SESSION_ID}', session.id) };
}

function payForSession(ctx: Ctx, session: Stripe.Checkout.Session, token: string) {
  const extras = ctx.double.checkout.get(session.id);
  const data = extras?.paymentIntentData ?? {};
  let pi = idOf(session.payment_intent) ? find(ctx.store, 'payment_intent', idOf(session.payment_intent)!) : undefined;
  if (!pi) {
    pi = save(
      ctx,
      build.paymentIntent({
        amount: session.amount_total ?? 0,
        currency: session.currency ?? 'usd',
        customer: idOf(session.customer),
        paymentMethod: null,
        paymentMethodTypes: session.payment_method_types,
        allowedTypes: session.allowed_payment_method_types,
        automatic: false,
        description: str(data, 'description') || null,
        metadata: metadata(data),
        receiptEmail: str(data, 'receipt_email') || null,
        setupFutureUsage: oneOf(data, 'setup_future_usage', ['off_session', 'on_session']) ?? null,
        applicationFeeAmount: applicationFee(ctx, data, 'payment_intent_data[application_fee_amount]'),
        application: ctx.store.connected ? ctx.double.application : null,
        statementDescriptor: str(data, 'statement_descriptor') || null,
        statementDescriptorSuffix: str(data, 'statement_descriptor_suffix') || null,
        transferGroup: str(data, 'transfer_group') || null,
      }),
    );
    session.payment_intent = pi.id;
    emit(ctx, 'payment_intent.created', pi);
  }
  attemptCharge(ctx, pi, resolvePaymentMethod(ctx, token, 'payment_method'));
}

function setUpForSession(ctx: Ctx, session: Stripe.Checkout.Session, token: string) {
  const data = ctx.double.checkout.get(session.id)?.setupIntentData ?? {};
  let si = idOf(session.setup_intent) ? find(ctx.store, 'setup_intent', idOf(session.setup_intent)!) : undefined;
  if (!si) {
    si = createSetupIntent(ctx, { customer: idOf(session.customer) ?? undefined, metadata: data.metadata, description: data.description });
    session.setup_intent = si.id;
  }
  confirmSetupIntent(ctx, si, { payment_method: token });
}

/**
 * Subscription mode: the customer (created when the session named none), the card saved as the
 * subscription's default, then the subscription and its first paid invoice. A declined card
 * creates nothing here; the page asks for another.
 */
function subscribeForSession(ctx: Ctx, session: Stripe.Checkout.Session, token: string, email: string | null) {
  const pm = resolvePaymentMethod(ctx, token, 'payment_method');
  const probe = ctx.double.outcomes.get(pm.id);
  if (probe?.kind === 'decline') {
    throw new StripeFailure(402, { type: 'card_error', code: probe.code, decline_code: probe.decline_code, message: probe.message }, true);
  }
  let customer = idOf(session.customer);
  if (!customer) {
    customer = createCustomer(ctx, { email: email ?? undefined }).id;
    session.customer = customer;
  }
  attachPaymentMethod(ctx, pm, customer);
  const data = ctx.double.checkout.get(session.id)?.subscriptionData ?? {};
  const items = (ctx.store.lineItems.get(session.id) ?? [])
    .filter((li) => li.price?.recurring)
    .map((li) => ({ price: li.price!.id, quantity: String(li.quantity ?? 1) }));
  const sub = createSubscription(ctx, {
    customer,
    items,
    default_payment_method: pm.id,
    metadata: data.metadata,
    description: data.description,
  });
  if (sub.status !== 'active') throw new StripeFailure(402, { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' }, true);
  session.subscription = sub.id;
  session.invoice = idOf(sub.latest_invoice);
}

/** Sessions past `expires_at` expire as Stripe expires them, with `checkout.session.expired`. */
export function expireDue(ctx: Ctx) {
  const now = nowSeconds();
  for (const o of ctx.store.objects.values()) {
    if (o.object === 'checkout.session' && o.status === 'open' && o.expires_at <= now) expireCheckoutSession(ctx, o);
  }
}

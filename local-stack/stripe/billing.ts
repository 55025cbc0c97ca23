import type Stripe from 'stripe';
import { emit, save, type Ctx } from './context.ts';
import { fail, StripeFailure } from './errors.ts';
import * as build from './objects.ts';
import { arr, bool, int, mergeMetadata, metadata, obj, oneOf, requireInt, requireStr, str, type Params } from './params.ts';
import { attemptCharge, changed } from './payments.ts';
import { newId, nowSeconds } from './protocol.ts';
import { all, find, get, snapshot } from './store.ts';

// Products, prices, subscriptions and their invoices. A subscription's cycle moves only when the
// double's control says so (`/_double/subscriptions/:id/advance`): there is no clock to wait for.

const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);
const INTERVALS = ['day', 'week', 'month', 'year'] as const;

export function createProduct(ctx: Ctx, p: Params): Stripe.Product {
  const prod = save(
    ctx,
    build.product({ name: requireStr(p, 'name'), description: str(p, 'description') || null, metadata: metadata(p), active: bool(p, 'active') ?? true }),
  );
  emit(ctx, 'product.created', prod);
  const dpd = obj(p, 'default_price_data');
  if (Object.keys(dpd).length) {
    const price = createPrice(ctx, { ...dpd, product: prod.id }, 'default_price_data');
    prod.default_price = price.id;
  }
  return prod;
}

export function createPrice(ctx: Ctx, p: Params, prefix = ''): Stripe.Price {
  const path = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  const currency = requireStr(p, 'currency', path('currency')).toLowerCase();
  const unitAmount = requireInt(p, 'unit_amount', path('unit_amount'));
  let productId = str(p, 'product');
  const productData = obj(p, 'product_data');
  if (!productId && Object.keys(productData).length) {
    productId = createProduct(ctx, { name: requireStr(productData, 'name', path('product_data[name]')), metadata: productData.metadata }).id;
  }
  if (!productId) throw fail.missing(path('product'));
  get(ctx.store, 'product', productId, path('product'), 400);
  const rec = obj(p, 'recurring');
  const recurring = Object.keys(rec).length
    ? { interval: oneOf(rec, 'interval', INTERVALS, path('recurring[interval]')) ?? failMissing(path('recurring[interval]')), interval_count: int(rec, 'interval_count') ?? 1 }
    : null;
  const price = save(
    ctx,
    build.price({
      product: productId,
      currency,
      unitAmount,
      recurring,
      nickname: str(p, 'nickname') || null,
      lookupKey: str(p, 'lookup_key') || null,
      metadata: metadata(p),
      active: bool(p, 'active') ?? true,
    }),
  );
  emit(ctx, 'price.created', price);
  return price;
}

function failMissing(param: string): never {
  throw fail.missing(param);
}

export function listPrices(ctx: Ctx, p: Params): Stripe.Price[] {
  const product = str(p, 'product');
  const active = bool(p, 'active');
  const type = str(p, 'type');
  const keys = arr(p, 'lookup_keys').map(String);
  return all(ctx.store, 'price').filter(
    (x) =>
      (!product || x.product === product) &&
      (active === undefined || x.active === active) &&
      (!type || x.type === type) &&
      (!keys.length || (x.lookup_key !== null && keys.includes(x.lookup_key))),
  );
}

/** The price a line or item names, or makes from `price_data` (an inline price, as Stripe keeps them). */
export function priceFor(ctx: Ctx, item: Params, path: string): Stripe.Price {
  const ref = str(item, 'price');
  if (ref) return get(ctx.store, 'price', ref, `${path}[price]`, 400);
  const data = obj(item, 'price_data');
  if (!Object.keys(data).length) throw fail.missing(`${path}[price]`);
  return createPrice(ctx, data, `${path}[price_data]`);
}

// ---- subscriptions

function defaultPaymentMethod(ctx: Ctx, sub: Stripe.Subscription): Stripe.PaymentMethod | null {
  const cus = get(ctx.store, 'customer', idOf(sub.customer)!);
  const id = idOf(sub.default_payment_method) ?? idOf(cus.invoice_settings.default_payment_method);
  return id ? (find(ctx.store, 'payment_method', id) ?? null) : null;
}

export function createSubscription(ctx: Ctx, p: Params): Stripe.Subscription {
  const cus = get(ctx.store, 'customer', requireStr(p, 'customer'), 'customer', 400);
  const lines = arr(p, 'items');
  if (!lines.length) throw fail.missing('items');
  const behaviour = oneOf(p, 'payment_behavior', ['allow_incomplete', 'default_incomplete']) ?? 'allow_incomplete';
  const dpmRef = str(p, 'default_payment_method') || null;
  if (dpmRef) {
    const pm = find(ctx.store, 'payment_method', dpmRef);
    if (!pm || idOf(pm.customer) !== cus.id) {
      throw fail.invalid('default_payment_method', `The customer does not have a payment method with the ID ${dpmRef}. The payment method must be attached to the customer.`, 'resource_missing');
    }
  }
  if (behaviour === 'allow_incomplete' && !dpmRef && !cus.invoice_settings.default_payment_method) {
    throw fail.request(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      'resource_missing',
    );
  }
  const id = newId('sub');
  const start = nowSeconds();
  const items = lines.map((raw, i) => {
    const line = raw as Params;
    const price = priceFor(ctx, line, `items[${i}]`);
    if (!price.recurring) {
      throw fail.invalid(`items[${i}][price]`, `The price specified (${price.id}) is not a recurring price. Subscriptions can only be created with recurring prices.`);
    }
    return build.subscriptionItem(id, price, int(line, 'quantity') ?? 1, start);
  });
  const currency = items[0]!.price.currency;
  const sub = save(
    ctx,
    build.subscription({
      id,
      customer: cus.id,
      currency,
      defaultPaymentMethod: dpmRef,
      description: str(p, 'description') || null,
      metadata: metadata(p),
      items,
      application: ctx.store.connected ? ctx.double.application : null,
      applicationFeePercent: null,
    }),
  );
  emit(ctx, 'customer.subscription.created', sub);
  const inv = openInvoice(ctx, sub, 'subscription_create');
  if (behaviour === 'default_incomplete') {
    const pi = invoicePaymentIntent(ctx, sub, inv, null);
    emit(ctx, 'payment_intent.created', pi);
    return sub;
  }
  if (payInvoice(ctx, sub, inv, defaultPaymentMethod(ctx, sub)).paid) activate(ctx, sub);
  return sub;
}

/** A new open invoice for the subscription's current period (`invoice.created`, `invoice.finalized`). */
function openInvoice(ctx: Ctx, sub: Stripe.Subscription, reason: Stripe.Invoice.BillingReason): Stripe.Invoice {
  const cus = get(ctx.store, 'customer', idOf(sub.customer)!);
  const platform = ctx.double.platform.objects.get(ctx.store.id) as Stripe.Account | undefined;
  const inv = save(ctx, build.invoice(sub, cus, { billingReason: reason, accountName: platform?.business_profile?.name ?? null, baseUrl: ctx.double.baseUrl }));
  cus.next_invoice_sequence = (cus.next_invoice_sequence ?? 1) + 1;
  sub.latest_invoice = inv.id;
  emit(ctx, 'invoice.created', inv);
  emit(ctx, 'invoice.finalized', inv);
  return inv;
}

function invoicePaymentIntent(ctx: Ctx, sub: Stripe.Subscription, inv: Stripe.Invoice, pm: Stripe.PaymentMethod | null): Stripe.PaymentIntent {
  const pi = save(
    ctx,
    build.paymentIntent({
      amount: inv.amount_due,
      currency: inv.currency,
      customer: idOf(sub.customer),
      paymentMethod: pm?.id ?? null,
      paymentMethodTypes: ['card'],
      allowedTypes: null,
      automatic: false,
      description: inv.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      metadata: {},
      receiptEmail: null,
      setupFutureUsage: 'off_session',
      applicationFeeAmount: null,
      application: sub.application as string | null,
      statementDescriptor: null,
      statementDescriptorSuffix: null,
      transferGroup: null,
    }),
  );
  save(ctx, build.invoicePayment(inv, pi));
  return pi;
}

/**
 * Charges an open invoice off-session. Paid: `invoice.paid` and `invoice.payment_succeeded`.
 * Failed (a declining card, no payment method, or the fail-next control): `invoice.payment_failed`
 * with the next attempt scheduled, as Smart Retries would. Returns whether it was paid, and the
 * card error when a charge was declined.
 */
function payInvoice(ctx: Ctx, sub: Stripe.Subscription, inv: Stripe.Invoice, pm: Stripe.PaymentMethod | null): { paid: boolean; failure?: StripeFailure } {
  const forceDecline = ctx.store.failNextPayment.delete(sub.id);
  inv.attempted = true;
  inv.attempt_count += 1;
  let paid = false;
  let failure: StripeFailure | undefined;
  if (pm) {
    const pi = invoicePaymentIntent(ctx, sub, inv, pm);
    emit(ctx, 'payment_intent.created', pi);
    try {
      attemptCharge(ctx, pi, pm, forceDecline);
      paid = pi.status === 'succeeded';
    } catch (err) {
      if (!(err instanceof StripeFailure)) throw err;
      failure = err;
    }
    const ip = all(ctx.store, 'invoice_payment').find((x) => x.payment.payment_intent === pi.id);
    if (ip && paid) {
      ip.status = 'paid';
      ip.amount_paid = inv.amount_due;
      ip.status_transitions.paid_at = nowSeconds();
    }
  }
  if (paid) {
    inv.status = 'paid';
    inv.amount_paid = inv.amount_due;
    inv.amount_remaining = 0;
    inv.next_payment_attempt = null;
    inv.status_transitions.paid_at = nowSeconds();
    emit(ctx, 'invoice.paid', inv);
    emit(ctx, 'invoice.payment_succeeded', inv);
    return { paid: true };
  }
  inv.next_payment_attempt = nowSeconds() + 3 * 86400;
  emit(ctx, 'invoice.payment_failed', inv);
  return { paid: false, failure };
}

function activate(ctx: Ctx, sub: Stripe.Subscription) {
  if (sub.status === 'active') return;
  const previous = { status: sub.status };
  sub.status = 'active';
  emit(ctx, 'customer.subscription.updated', sub, previous);
}

/**
 * The double's clock for one subscription: starts its next period, invoices it and charges the
 * default payment method. Success keeps (or makes) it `active`; failure makes it `past_due`.
 */
export function advanceSubscription(ctx: Ctx, sub: Stripe.Subscription, opts: { fail?: boolean } = {}): Stripe.Invoice {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw fail.request(`Subscription ${sub.id} is ${sub.status}; a canceled subscription has no next cycle.`);
  }
  if (opts.fail) ctx.store.failNextPayment.add(sub.id);
  const before = snapshot(sub);
  for (const item of sub.items.data) {
    item.current_period_start = item.current_period_end;
    item.current_period_end = build.periodEnd(item.current_period_start, item.price.recurring!.interval, item.price.recurring!.interval_count);
  }
  const inv = openInvoice(ctx, sub, 'subscription_cycle');
  const { paid } = payInvoice(ctx, sub, inv, defaultPaymentMethod(ctx, sub));
  sub.status = paid ? 'active' : 'past_due';
  emit(ctx, 'customer.subscription.updated', sub, changed(before, sub));
  return inv;
}

export function updateSubscription(ctx: Ctx, sub: Stripe.Subscription, p: Params): Stripe.Subscription {
  if (sub.status === 'canceled') throw fail.request('A canceled subscription can only update its cancellation_details and metadata.');
  const before = snapshot(sub);
  arr(p, 'items').forEach((raw, i) => {
    const line = raw as Params;
    const itemId = str(line, 'id');
    const existing = itemId ? sub.items.data.find((x) => x.id === itemId) : undefined;
    if (itemId && !existing) throw fail.invalid(`items[${i}][id]`, `No such subscription item: '${itemId}'`, 'resource_missing');
    if (existing && bool(line, 'deleted')) {
      sub.items.data = sub.items.data.filter((x) => x !== existing);
      return;
    }
    const quantity = int(line, 'quantity');
    if (existing) {
      if (line.price !== undefined || line.price_data !== undefined) {
        const price = priceFor(ctx, line, `items[${i}]`);
        existing.price = price;
        existing.plan = build.planOf(price);
      }
      if (quantity !== undefined) existing.quantity = quantity;
    } else {
      const price = priceFor(ctx, line, `items[${i}]`);
      const start = sub.items.data[0]?.current_period_start ?? nowSeconds();
      sub.items.data.push(build.subscriptionItem(sub.id, price, quantity ?? 1, start));
    }
  });
  const dpm = str(p, 'default_payment_method');
  if (dpm !== undefined) {
    if (dpm) {
      const pm = find(ctx.store, 'payment_method', dpm);
      if (!pm || idOf(pm.customer) !== idOf(sub.customer)) {
        throw fail.invalid('default_payment_method', `The customer does not have a payment method with the ID ${dpm}. The payment method must be attached to the customer.`, 'resource_missing');
      }
    }
    sub.default_payment_method = dpm || null;
  }
  const capE = bool(p, 'cancel_at_period_end');
  if (capE !== undefined) {
    sub.cancel_at_period_end = capE;
    sub.cancel_at = capE ? (sub.items.data[0]?.current_period_end ?? null) : null;
  }
  const description = str(p, 'description');
  if (description !== undefined) sub.description = description || null;
  sub.metadata = mergeMetadata(sub.metadata, p);
  const previous = changed(before, sub);
  if (Object.keys(previous).length) emit(ctx, 'customer.subscription.updated', sub, previous);
  return sub;
}

export function cancelSubscription(ctx: Ctx, sub: Stripe.Subscription): Stripe.Subscription {
  if (sub.status === 'canceled') throw fail.request(`This subscription (${sub.id}) has already been canceled.`);
  const now = nowSeconds();
  sub.status = 'canceled';
  sub.canceled_at = now;
  sub.ended_at = now;
  sub.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason: 'cancellation_requested' };
  emit(ctx, 'customer.subscription.deleted', sub);
  return sub;
}

/** `POST /v1/invoices/:id/pay`: charges an open invoice now (a past-due retry); 402 when declined. */
export function payInvoiceNow(ctx: Ctx, inv: Stripe.Invoice, p: Params): Stripe.Invoice {
  if (inv.status !== 'open') throw fail.request(`Invoice ${inv.id} is already ${inv.status}.`, inv.status === 'paid' ? 'invoice_already_paid' : undefined);
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? get(ctx.store, 'subscription', idOf(subId)!) : undefined;
  if (!sub) throw fail.request('The Stripe double pays subscription invoices only.');
  const pmRef = str(p, 'payment_method');
  const pm = pmRef ? get(ctx.store, 'payment_method', pmRef, 'payment_method', 400) : defaultPaymentMethod(ctx, sub);
  if (!pm) throw fail.request('There is no `default_payment_method` set on this Customer or Invoice.', 'invoice_no_payment_method_types');
  const { paid, failure } = payInvoice(ctx, sub, inv, pm);
  if (!paid) throw failure ?? fail.request('The invoice could not be paid.');
  if (sub.status === 'past_due' || sub.status === 'incomplete') activate(ctx, sub);
  return inv;
}

/** Subscriptions of a customer (and status), newest first. */
export function listSubscriptions(ctx: Ctx, p: Params): Stripe.Subscription[] {
  const customer = str(p, 'customer');
  const price = str(p, 'price');
  const status = str(p, 'status');
  return all(ctx.store, 'subscription').filter(
    (s) =>
      (!customer || s.customer === customer) &&
      (!price || s.items.data.some((i) => i.price.id === price)) &&
      (status === 'all' || (status ? s.status === status : s.status !== 'canceled')),
  );
}

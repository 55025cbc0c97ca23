import Stripe from 'stripe';
import { newId, nowSeconds } from '../protocol.ts';
import { decimal } from './shared.ts';

// Products, prices, subscriptions and invoices (Stripe Billing). See ../objects.ts for how the builders fill fields.

export function product(o: { name: string; description: string | null; metadata: Stripe.Metadata; active: boolean }): Stripe.Product {
  const created = nowSeconds();
  return {
    id: newId('prod'),
    object: 'product',
    active: o.active,
    created,
    default_price: null,
    description: o.description,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: o.metadata,
    name: o.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: created,
    url: null,
  };
}

export function price(o: {
  product: string;
  currency: string;
  unitAmount: number;
  recurring: { interval: Stripe.Price.Recurring.Interval; interval_count: number } | null;
  nickname: string | null;
  lookupKey: string | null;
  metadata: Stripe.Metadata;
  active: boolean;
}): Stripe.Price {
  return {
    id: newId('price'),
    object: 'price',
    active: o.active,
    billing_scheme: 'per_unit',
    created: nowSeconds(),
    currency: o.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: o.lookupKey,
    metadata: o.metadata,
    nickname: o.nickname,
    product: o.product,
    recurring: o.recurring ? { ...o.recurring, meter: null, trial_period_days: null, usage_type: 'licensed' } : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: o.recurring ? 'recurring' : 'one_time',
    unit_amount: o.unitAmount,
    unit_amount_decimal: decimal(o.unitAmount),
  };
}

/** The legacy Plan view of a recurring price, which subscription items still carry. */
export function planOf(p: Stripe.Price): Stripe.Plan {
  return {
    id: p.id,
    object: 'plan',
    active: p.active,
    amount: p.unit_amount,
    amount_decimal: p.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: p.created,
    currency: p.currency,
    interval: p.recurring!.interval,
    interval_count: p.recurring!.interval_count,
    livemode: false,
    metadata: p.metadata,
    meter: null,
    nickname: p.nickname,
    product: typeof p.product === 'string' ? p.product : p.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

/** The end of a billing period that starts at `start`, `count` intervals later (UTC calendar). */
export function periodEnd(start: number, interval: Stripe.Price.Recurring.Interval, count: number): number {
  const d = new Date(start * 1000);
  if (interval === 'day') d.setUTCDate(d.getUTCDate() + count);
  else if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  else if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
  else d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
}

export function subscriptionItem(subscription: string, p: Stripe.Price, quantity: number, start: number): Stripe.SubscriptionItem {
  return {
    id: newId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: nowSeconds(),
    current_period_end: periodEnd(start, p.recurring!.interval, p.recurring!.interval_count),
    current_period_start: start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planOf(p),
    price: p,
    quantity,
    subscription,
    tax_rates: [],
  };
}

export function subscription(o: {
  id: string;
  customer: string;
  currency: string;
  defaultPaymentMethod: string | null;
  description: string | null;
  metadata: Stripe.Metadata;
  items: Stripe.SubscriptionItem[];
  application: string | null;
  applicationFeePercent: number | null;
}): Stripe.Subscription {
  const created = nowSeconds();
  return {
    id: o.id,
    object: 'subscription',
    application: o.application,
    application_fee_percent: o.applicationFeePercent,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: created,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created,
    currency: o.currency,
    customer: o.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: o.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: o.description,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: { object: 'list', data: o.items, has_more: false, url: `/v1/subscription_items?subscription=${o.id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: o.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: created,
    status: 'incomplete',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

/** A finalized (`open`) subscription invoice for the items' current period. */
export function invoice(
  sub: Stripe.Subscription,
  cus: Stripe.Customer,
  o: { billingReason: Stripe.Invoice.BillingReason; accountName: string | null; baseUrl: string },
): Stripe.Invoice {
  const id = newId('in');
  const created = nowSeconds();
  const lines: Stripe.InvoiceLineItem[] = sub.items.data.map((item) => {
    const amount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    return {
      id: newId('il'),
      object: 'line_item',
      amount,
      currency: sub.currency,
      description: `${item.quantity ?? 1} × ${item.price.nickname ?? 'subscription'} (at $${((item.price.unit_amount ?? 0) / 100).toFixed(2)} / ${item.price.recurring?.interval})`,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: id,
      livemode: false,
      metadata: {},
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: sub.id, subscription_item: item.id },
      },
      period: { end: item.current_period_end, start: item.current_period_start },
      pretax_credit_amounts: [],
      pricing: { type: 'price_details', price_details: { price: item.price.id, product: String(item.price.product) }, unit_amount_decimal: item.price.unit_amount_decimal },
      quantity: item.quantity ?? 1,
      quantity_decimal: decimal(item.quantity ?? 1),
      subscription: sub.id,
      subtotal: amount,
      taxes: [],
    };
  });
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const first = sub.items.data[0]!;
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: o.accountName,
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: sub.application as string | null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: o.billingReason,
    collection_method: 'charge_automatically',
    created,
    currency: sub.currency,
    custom_fields: null,
    customer: cus.id,
    customer_account: null,
    customer_address: null,
    customer_email: cus.email,
    customer_name: cus.name ?? null,
    customer_phone: cus.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `${o.baseUrl}/i/${id}`,
    invoice_pdf: `${o.baseUrl}/i/${id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: `${cus.invoice_prefix ?? 'LINTEL'}-${String(cus.next_invoice_sequence ?? 1).padStart(4, '0')}`,
    on_behalf_of: null,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { metadata: sub.metadata, subscription: sub.id },
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: first.current_period_end,
    period_start: first.current_period_start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'open',
    status_transitions: { finalized_at: created, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: created,
  };
}

export function invoicePayment(inv: Stripe.Invoice, pi: Stripe.PaymentIntent): Stripe.InvoicePayment {
  return {
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: inv.amount_due,
    created: nowSeconds(),
    currency: inv.currency,
    invoice: inv.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: pi.id },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
}

import Stripe from 'stripe';
import { API_VERSION, clientSecret, newId, nowSeconds, randomToken, type TestPaymentMethod } from './protocol.ts';

// Builders for the objects the double returns, each typed with the `stripe` package's own type so
// `tsc` proves the shape. Fields Lintel does not set take the values Stripe's published fixtures
// (stripe/openapi `openapi/fixtures3.json`) show for a fresh test-mode object. Where a fixture
// fills a nullable field with a placeholder to show its shape (`next_action: {type: "type"}`,
// `transfer_data: {destination: …}`, `last_payment_error: {type: "idempotency_error"}`), the
// builder keeps it null: that is what a fresh object of that state carries.

/** Stripe's dispute fee in the US (stripe.com/pricing: $15 per dispute). */
const DISPUTE_FEE = 1500;

const EMPTY_ADDRESS: Stripe.Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

/** Stripe's `*_decimal` fields are decimal strings on the wire; the client types them as Decimal. */
const decimal = (n: number) => Stripe.Decimal.from(String(n));

export function customer(o: {
  email: string | null;
  name: string | null;
  phone: string | null;
  description: string | null;
  metadata: Stripe.Metadata;
  defaultPaymentMethod: string | null;
}): Stripe.Customer {
  return {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: o.description,
    discount: null,
    email: o.email,
    invoice_prefix: randomToken(7).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: o.defaultPaymentMethod, footer: null, rendering_options: null },
    livemode: false,
    metadata: o.metadata,
    name: o.name,
    next_invoice_sequence: 1,
    phone: o.phone,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** A PaymentMethod made from a test token (`pm_card_visa` → a new `pm_…`, as Stripe does). */
export function paymentMethod(test: TestPaymentMethod, o: { customer: string | null; metadata: Stripe.Metadata; email?: string | null }): Stripe.PaymentMethod {
  const base = {
    id: newId('pm'),
    object: 'payment_method' as const,
    allow_redisplay: 'unspecified' as const,
    billing_details: { address: EMPTY_ADDRESS, email: o.email ?? null, name: null, phone: null, tax_id: null },
    created: nowSeconds(),
    customer: o.customer,
    customer_account: null,
    livemode: false,
    metadata: o.metadata,
  };
  if (test.type === 'us_bank_account') {
    return {
      ...base,
      billing_details: { ...base.billing_details, name: 'Jenny Rosen' },
      type: 'us_bank_account',
      us_bank_account: {
        account_holder_type: 'individual',
        account_type: 'checking',
        bank_name: 'STRIPE TEST BANK',
        financial_connections_account: null,
        fingerprint: randomToken(16),
        last4: test.last4,
        networks: { preferred: 'ach', supported: ['ach'] },
        routing_number: '110000000',
        status_details: {},
      },
    };
  }
  return {
    ...base,
    type: 'card',
    card: {
      brand: test.brand!,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: test.brand!,
      exp_month: 8,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: randomToken(16),
      funding: test.funding ?? 'credit',
      generated_from: null,
      last4: test.last4,
      networks: { available: [test.brand!], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
  };
}

export function setupIntent(o: {
  customer: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  allowedTypes: string[] | null;
  usage: string;
  description: string | null;
  metadata: Stripe.Metadata;
  application: string | null;
}): Stripe.SetupIntent {
  const id = newId('seti');
  return {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: o.allowedTypes as Stripe.SetupIntent.AllowedPaymentMethodType[] | null,
    application: o.application,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: clientSecret(id),
    created: nowSeconds(),
    customer: o.customer,
    customer_account: null,
    description: o.description,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: o.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: o.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: o.paymentMethodTypes,
    single_use_mandate: null,
    status: o.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    usage: o.usage,
  };
}

export function paymentIntent(o: {
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  allowedTypes: string[] | null;
  automatic: boolean;
  description: string | null;
  metadata: Stripe.Metadata;
  receiptEmail: string | null;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  applicationFeeAmount: number | null;
  application: string | null;
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
  transferGroup: string | null;
}): Stripe.PaymentIntent {
  const id = newId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: o.allowedTypes as Stripe.PaymentIntent.AllowedPaymentMethodType[] | null,
    amount: o.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: o.application,
    application_fee_amount: o.applicationFeeAmount,
    automatic_payment_methods: o.automatic ? { allow_redirects: 'always', enabled: true } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: clientSecret(id),
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency: o.currency,
    customer: o.customer,
    customer_account: null,
    description: o.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: o.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: o.paymentMethod,
    payment_method_configuration_details: o.automatic ? { id: newId('pmc'), parent: null } : null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: o.paymentMethodTypes,
    payment_record: null,
    processing: null,
    receipt_email: o.receiptEmail,
    review: null,
    setup_future_usage: o.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: o.statementDescriptor,
    statement_descriptor_suffix: o.statementDescriptorSuffix,
    status: o.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: o.transferGroup,
  };
}

/** Outcome of a charge, as Stripe reports an authorized or an issuer-declined one. */
export function outcome(result: { declined: false } | { declined: true; decline_code: string; seller_message: string }): Stripe.Charge.Outcome {
  return result.declined
    ? {
        advice_code: 'try_again_later',
        network_advice_code: null,
        network_decline_code: null,
        network_status: 'declined_by_network',
        reason: result.decline_code,
        risk_level: 'normal',
        risk_score: 20,
        seller_message: result.seller_message,
        type: 'issuer_declined',
      }
    : {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        risk_score: 20,
        seller_message: 'Payment complete.',
        type: 'authorized',
      };
}

function paymentMethodDetails(pm: Stripe.PaymentMethod, amount: number): Stripe.Charge.PaymentMethodDetails {
  if (pm.type === 'us_bank_account') {
    const bank = pm.us_bank_account!;
    return {
      type: 'us_bank_account',
      us_bank_account: {
        account_holder_type: bank.account_holder_type,
        account_type: bank.account_type,
        bank_name: bank.bank_name,
        fingerprint: bank.fingerprint,
        last4: bank.last4,
        payment_reference: null,
        routing_number: bank.routing_number,
      },
    };
  }
  const card = pm.card!;
  return {
    type: 'card',
    card: {
      amount_authorized: amount,
      authorization_code: null,
      brand: card.brand,
      checks: card.checks,
      country: card.country,
      electronic_commerce_indicator: null,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      extended_authorization: { status: 'disabled' },
      fingerprint: card.fingerprint ?? null,
      funding: card.funding,
      incremental_authorization: { status: 'unavailable' },
      installments: null,
      last4: card.last4,
      mandate: null,
      multicapture: { status: 'unavailable' },
      network: card.brand,
      network_token: { used: false },
      network_transaction_id: randomToken(15),
      overcapture: { maximum_amount_capturable: amount, status: 'unavailable' },
      regulated_status: card.regulated_status,
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
  };
}

export function charge(
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  o: { status: Stripe.Charge.Status; outcome: Stripe.Charge.Outcome | null; failure: { code: string; message: string } | null; baseUrl: string },
): Stripe.Charge {
  const id = newId('ch');
  const succeeded = o.status === 'succeeded';
  return {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: succeeded ? pi.amount : 0,
    amount_refunded: 0,
    application: pi.application,
    application_fee: succeeded && pi.application_fee_amount ? newId('fee') : null,
    application_fee_amount: pi.application_fee_amount,
    balance_transaction: succeeded ? newId('txn') : null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: 'LINTEL',
    captured: succeeded,
    created: nowSeconds(),
    currency: pi.currency,
    customer: typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null),
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: o.failure?.code ?? null,
    failure_message: o.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: pi.metadata,
    on_behalf_of: null,
    outcome: o.outcome,
    paid: succeeded,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: paymentMethodDetails(pm, pi.amount),
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: succeeded ? `${o.baseUrl}/receipts/payment/${id}` : null,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: o.status,
    transfer_data: null,
    transfer_group: pi.transfer_group,
  };
}

export function refund(ch: Stripe.Charge, o: { amount: number; reason: Stripe.Refund.Reason | null; metadata: Stripe.Metadata }): Stripe.Refund {
  return {
    id: newId('re'),
    object: 'refund',
    amount: o.amount,
    application: null,
    balance_transaction: newId('txn'),
    charge: ch.id,
    created: nowSeconds(),
    currency: ch.currency,
    customer: typeof ch.customer === 'string' ? ch.customer : (ch.customer?.id ?? null),
    customer_account: null,
    destination_details:
      ch.payment_method_details?.type === 'card'
        ? { type: 'card', card: { reference: randomToken(10), reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } }
        : { type: ch.payment_method_details?.type ?? 'card' },
    metadata: o.metadata,
    payment_intent: typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null),
    payment_method: ch.payment_method,
    reason: o.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}

/** A fraudulent dispute on a succeeded charge, as the 0259 test card produces (`needs_response`, due in 7 days). */
export function dispute(ch: Stripe.Charge): Stripe.Dispute {
  const created = nowSeconds();
  const card = ch.payment_method_details?.card;
  return {
    id: newId('dp'),
    object: 'dispute',
    amount: ch.amount,
    balance_transactions: [],
    charge: ch.id,
    created,
    currency: ch.currency,
    enhanced_eligibility_types: [],
    evidence: {
      access_activity_log: null,
      appeal: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: null,
      customer_name: null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      enhanced_evidence: {},
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
    },
    evidence_details: { due_by: created + 7 * 86400, enhanced_eligibility: {}, has_evidence: false, past_due: false, submission_count: 0, submission_method: 'not_submitted' },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null),
    payment_method_details: card
      ? { type: 'card', card: { brand: card.brand ?? 'visa', case_type: 'chargeback', network: card.network ?? 'visa', network_reason_code: '10.4' } }
      : undefined,
    reason: 'fraudulent',
    status: 'needs_response',
  };
}

/**
 * A balance transaction embedded in a dispute: the withdrawal (amount plus Stripe's $15 US
 * dispute fee) or, when the dispute is won, the reinstated amount (the fee is not returned).
 */
export function disputeBalanceTransaction(dp: Stripe.Dispute, amount: number, description: string): Stripe.BalanceTransaction {
  const created = nowSeconds();
  const fee = amount < 0 ? DISPUTE_FEE : 0;
  return {
    id: newId('txn'),
    object: 'balance_transaction',
    amount,
    available_on: created + 2 * 86400,
    balance_type: 'payments',
    created,
    currency: dp.currency,
    description,
    exchange_rate: null,
    fee,
    fee_details: fee ? [{ amount: fee, application: null, currency: dp.currency, description: 'Dispute fee', type: 'stripe_fee' }] : [],
    net: amount - fee,
    reporting_category: amount < 0 ? 'dispute' : 'dispute_reversal',
    source: dp.id,
    status: 'pending',
    type: 'adjustment',
  };
}

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

export function checkoutSession(o: {
  mode: Stripe.Checkout.Session.Mode;
  currency: string | null;
  amountTotal: number | null;
  customer: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  metadata: Stripe.Metadata;
  expiresAt: number;
  paymentMethodTypes: string[];
  allowedTypes: string[] | null;
  baseUrl: string;
}): Stripe.Checkout.Session {
  const id = newId('cs');
  return {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: o.allowedTypes,
    amount_subtotal: o.amountTotal,
    amount_total: o.amountTotal,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: o.cancelUrl,
    client_reference_id: o.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: nowSeconds(),
    currency: o.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: o.customer,
    customer_account: null,
    customer_creation: o.customer ? null : o.mode === 'payment' ? 'if_required' : 'always',
    customer_details: null,
    customer_email: o.customerEmail,
    discounts: [],
    expires_at: o.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: o.mode === 'payment' ? { enabled: false, invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null } } : null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: o.metadata,
    mode: o.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: o.mode === 'payment' ? null : 'always',
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: o.paymentMethodTypes,
    payment_status: o.mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: o.successUrl,
    total_details: o.amountTotal === null ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `${o.baseUrl}/c/pay/${id}`,
    wallet_options: null,
  };
}

export function lineItem(p: Stripe.Price, quantity: number, description: string): Stripe.LineItem {
  const amount = (p.unit_amount ?? 0) * quantity;
  return {
    id: newId('li'),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: p.currency,
    description,
    metadata: {},
    price: p,
    quantity,
  };
}

/** Everything a new connected account must still provide, as the fixture's `requirements` lists it. */
const ONBOARDING_DUE = [
  'business_profile.product_description',
  'business_profile.support_phone',
  'business_profile.url',
  'external_account',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];

export function requirements(due: string[]): Stripe.Account.Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: due,
    disabled_reason: due.length ? 'requirements.past_due' : null,
    errors: [],
    eventually_due: due,
    past_due: due,
    pending_verification: [],
  };
}

export function account(o: {
  type: Stripe.Account.Type;
  country: string;
  email: string | null;
  businessType: Stripe.Account.BusinessType | null;
  businessName: string | null;
  capabilities: string[];
  metadata: Stripe.Metadata;
  platform?: boolean;
}): Stripe.Account {
  const id = newId('acct');
  const caps = Object.fromEntries(o.capabilities.map((c) => [c, o.platform ? 'active' : 'inactive'])) as Stripe.Account.Capabilities;
  const controller: Stripe.Account.Controller =
    o.type === 'express'
      ? { fees: { payer: 'application' }, is_controller: true, losses: { payments: 'application' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'express' }, type: 'application' }
      : o.type === 'standard'
        ? { fees: { payer: 'account' }, is_controller: true, losses: { payments: 'stripe' }, requirement_collection: 'stripe', stripe_dashboard: { type: 'full' }, type: 'application' }
        : { type: 'account' };
  return {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: null,
      minority_owned_business_designation: null,
      name: o.businessName,
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: o.businessType,
    capabilities: caps,
    charges_enabled: !!o.platform,
    controller,
    country: o.country,
    created: nowSeconds(),
    default_currency: o.country === 'US' ? 'usd' : 'eur',
    details_submitted: !!o.platform,
    email: o.email,
    external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    future_requirements: requirements([]),
    metadata: o.metadata,
    payouts_enabled: !!o.platform,
    requirements: requirements(o.platform ? [] : ONBOARDING_DUE),
    settings: {
      bacs_debit_payments: { display_name: null, service_user_number: null },
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_issuing: { tos_acceptance: { date: null, ip: null } },
      card_payments: { decline_on: { avs_failure: false, cvc_failure: false }, statement_descriptor_prefix: null, statement_descriptor_prefix_kana: null, statement_descriptor_prefix_kanji: null },
      dashboard: { display_name: o.businessName, timezone: 'Etc/UTC' },
      invoices: { default_account_tax_ids: null, hosted_payment_method_save: 'offer' },
      payments: {
        statement_descriptor: null,
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: 'daily' }, statement_descriptor: null },
      sepa_debit_payments: {},
    },
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type: o.type,
  };
}

export function accountLink(url: string, created: number, expiresAt: number): Stripe.AccountLink {
  return { object: 'account_link', created, expires_at: expiresAt, url };
}

export function webhookEndpoint(o: {
  id?: string;
  url: string;
  enabledEvents: string[];
  description: string | null;
  metadata: Stripe.Metadata;
  secret?: string;
  application: string | null;
}): Stripe.WebhookEndpoint {
  return {
    id: o.id ?? newId('we'),
    object: 'webhook_endpoint',
    api_version: API_VERSION,
    application: o.application,
    created: nowSeconds(),
    description: o.description,
    enabled_events: o.enabledEvents,
    livemode: false,
    metadata: o.metadata,
    ...(o.secret ? { secret: o.secret } : {}),
    status: 'enabled',
    url: o.url,
  };
}

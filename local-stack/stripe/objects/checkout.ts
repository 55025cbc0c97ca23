import Stripe from 'stripe';
import { newId, nowSeconds } from '../protocol.ts';

// Checkout Sessions and their line items. See ../objects.ts for how the builders fill fields.

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

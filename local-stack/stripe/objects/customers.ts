import Stripe from 'stripe';
import { clientSecret, newId, nowSeconds, randomToken, type TestPaymentMethod } from '../protocol.ts';
import { EMPTY_ADDRESS } from './shared.ts';

// Customers, their payment methods and setup intents. See ../objects.ts for how the builders fill fields.

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

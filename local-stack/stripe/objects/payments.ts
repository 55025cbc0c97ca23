import Stripe from 'stripe';
import { clientSecret, newId, nowSeconds, randomToken } from '../protocol.ts';
import { DISPUTE_FEE } from './shared.ts';

// PaymentIntents, their charges, refunds and disputes. See ../objects.ts for how the builders fill fields.

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

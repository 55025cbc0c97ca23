import Stripe from 'stripe';
import { API_VERSION, newId, nowSeconds } from '../protocol.ts';

// Connect accounts and account links, and webhook endpoints. See ../objects.ts for how the builders fill fields.

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

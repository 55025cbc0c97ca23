import type Stripe from 'stripe';
import { AUTOMATIC, emit, save, within, type Ctx } from './context.ts';
import { fail } from './errors.ts';
import * as build from './objects.ts';
import { mergeMetadata, metadata, obj, oneOf, requireStr, str, type Params } from './params.ts';
import { changed } from './payments.ts';
import { ACCOUNT_LINK_TTL_SECONDS, nowSeconds, randomToken } from './protocol.ts';
import { createAccountStore, get, snapshot } from './store.ts';

// Connect: connected accounts, Account Links and the simulated onboarding page. Each connected
// account gets its own store, so objects created with its `Stripe-Account` header (direct charges)
// live there and nowhere else.

export function createAccount(ctx: Ctx, p: Params): Stripe.Account {
  if (ctx.store.connected) throw fail.request('Connected accounts cannot create other connected accounts.');
  const type = oneOf(p, 'type', ['express', 'standard', 'custom']);
  if (!type) throw fail.missing('type');
  const caps = obj(p, 'capabilities');
  const requested = Object.keys(caps).filter((k) => obj(caps, k).requested === 'true');
  const profile = obj(p, 'business_profile');
  const acct = save(
    ctx,
    build.account({
      type,
      country: (str(p, 'country') || 'US').toUpperCase(),
      email: str(p, 'email') || null,
      businessType: oneOf(p, 'business_type', ['company', 'government_entity', 'individual', 'non_profit']) ?? null,
      businessName: str(profile, 'name') || null,
      capabilities: requested.length ? requested : type === 'custom' ? [] : ['card_payments', 'transfers'],
      metadata: metadata(p),
    }),
  );
  ctx.double.connected.set(acct.id, createAccountStore(acct.id, true));
  return acct;
}

/** An account the platform may act for, or `resource_missing`. */
export function connectedAccount(ctx: Ctx, id: string, param = 'account', status: 400 | 404 = 404): Stripe.Account {
  if (!ctx.double.connected.has(id)) throw fail.noSuch('account', id, param, status);
  return get(ctx.double.platform, 'account', id, param, status);
}

/** `account.updated` is a Connect event: it belongs to the connected account and carries its id. */
function accountUpdated(ctx: Ctx, acct: Stripe.Account, previous: Partial<Stripe.Account>) {
  if (!Object.keys(previous).length) return;
  emit(within(ctx, ctx.double.connected.get(acct.id)!), 'account.updated', acct, previous);
}

export function updateAccount(ctx: Ctx, acct: Stripe.Account, p: Params): Stripe.Account {
  const before = snapshot(acct);
  const email = str(p, 'email');
  if (email !== undefined) acct.email = email || null;
  const businessType = oneOf(p, 'business_type', ['company', 'government_entity', 'individual', 'non_profit']);
  if (businessType) acct.business_type = businessType;
  const profile = obj(p, 'business_profile');
  if (acct.business_profile) {
    for (const key of ['name', 'url', 'support_email', 'support_phone', 'product_description', 'mcc'] as const) {
      const v = str(profile, key);
      if (v !== undefined) acct.business_profile[key] = v || null;
    }
  }
  acct.metadata = mergeMetadata(acct.metadata ?? {}, p);
  accountUpdated(ctx, acct, changed(before, acct));
  return acct;
}

export function createAccountLink(ctx: Ctx, p: Params): Stripe.AccountLink {
  const accountId = requireStr(p, 'account');
  const acct = connectedAccount(ctx, accountId, 'account', 400);
  const type = oneOf(p, 'type', ['account_onboarding', 'account_update']);
  if (!type) throw fail.missing('type');
  const refreshUrl = requireStr(p, 'refresh_url');
  const returnUrl = requireStr(p, 'return_url');
  if (type === 'account_update' && !acct.details_submitted) {
    throw fail.invalid('type', 'You cannot create `account_update` type Account Links for accounts that have not completed onboarding.');
  }
  const created = nowSeconds();
  const token = randomToken(12);
  ctx.double.links.set(token, { account: acct.id, type, refreshUrl, returnUrl, expiresAt: created + ACCOUNT_LINK_TTL_SECONDS, used: false });
  return build.accountLink(`${ctx.double.baseUrl}/setup/s/${acct.id}/${token}`, created, created + ACCOUNT_LINK_TTL_SECONDS);
}

/**
 * The person finished onboarding on Stripe's page: details submitted, charges and payouts enabled,
 * requested capabilities active, nothing due. Emits `account.updated` with the old values.
 */
export function completeOnboarding(ctx: Ctx, acct: Stripe.Account): Stripe.Account {
  const before = snapshot(acct);
  acct.details_submitted = true;
  acct.charges_enabled = true;
  acct.payouts_enabled = true;
  acct.requirements = build.requirements([]);
  acct.capabilities = Object.fromEntries(Object.keys(acct.capabilities ?? {}).map((k) => [k, 'active'])) as Stripe.Account.Capabilities;
  acct.tos_acceptance = { date: nowSeconds(), ip: '127.0.0.1', user_agent: 'Lintel Stripe double' };
  if (acct.business_profile) {
    acct.business_profile.url ??= 'https://lintel.example';
    acct.business_profile.product_description ??= 'Property management';
  }
  accountUpdated(within(ctx, ctx.double.platform, AUTOMATIC), acct, changed(before, acct));
  return acct;
}

/** Account ids the platform has connected, for `GET /v1/accounts`. */
export const connectedIds = (ctx: Ctx) => [...ctx.double.connected.keys()];

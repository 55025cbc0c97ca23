// The owner or an admin sets up (or resumes) the org's Stripe Express account: the account is
// created once, and every call answers a fresh single-use onboarding link. What Stripe then says
// the account can do arrives by account.updated (stripe-webhook).
import { verifiedClaims } from '../_shared/auth.ts';
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { siteUrl, stripe, stripeFailure } from '../_shared/stripe.ts';

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const claims = verifiedClaims(req);
    if (!claims.org_id || !['owner', 'admin'].includes(claims.org_role ?? '')) {
      throw new HttpError(403, 'forbidden', 'Only the owner or an admin sets up payouts.');
    }
    const admin = adminClient();
    const read = () =>
      admin.from('organizations').select('id, name, country, billing_email, stripe_account_id, charges_enabled, payouts_enabled, details_submitted').eq('id', claims.org_id!).single();
    let { data: org, error } = await read();
    if (error || !org) throw new HttpError(404, 'not_found', 'No such organization.');

    try {
      if (!org.stripe_account_id) {
        const account = await stripe().accounts.create(
          {
            type: 'express',
            country: org.country,
            // Only what is the org's: two admins clicking at once send the same parameters under
            // the one idempotency key (the caller's own email made the second a StripeIdempotencyError).
            ...(org.billing_email ? { email: org.billing_email } : {}),
            business_profile: { name: org.name },
            capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
            metadata: { org_id: org.id },
          },
          { idempotencyKey: `connect-account:${org.id}` },
        );
        // Two clicks at once create one account (same idempotency key); the first write wins.
        const saved = await admin.from('organizations').update({ stripe_account_id: account.id }).eq('id', org.id).is('stripe_account_id', null);
        if (saved.error) throw saved.error;
        ({ data: org, error } = await read());
        if (error || !org) throw error ?? new Error('organization vanished');
      }
      const site = siteUrl(req);
      const link = await stripe().accountLinks.create({
        account: org.stripe_account_id!,
        type: 'account_onboarding',
        refresh_url: `${site}/app/settings/payouts?onboarding=refresh`,
        return_url: `${site}/app/settings/payouts?onboarding=done`,
      });
      return json({
        url: link.url,
        expires_at: link.expires_at,
        account_id: org.stripe_account_id,
        charges_enabled: org.charges_enabled,
        payouts_enabled: org.payouts_enabled,
        details_submitted: org.details_submitted,
      });
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw stripeFailure(err);
    }
  }),
);

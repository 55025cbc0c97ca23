// A resident pays rent: `{ lease_id?, amount_cents? }` (default: the lease's open balance) becomes a
// pending payment and a Stripe Checkout Session on the org's connected account (a direct charge,
// with the platform's fee). The portal redirects to `checkout_url`; the webhook records the outcome.
// An `Idempotency-Key` header makes a retried request answer with the same payment and session.
import { z } from 'zod';
import { verifiedClaims } from '../_shared/auth.ts';
import { adminClient, userClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { cancelStartedPayment, dbFailure, type StartedPayment } from '../_shared/payments.ts';
import { siteUrl, stripe, stripeFailure } from '../_shared/stripe.ts';
import { parseBody } from '../_shared/validate.ts';

const Body = z.strictObject({
  lease_id: z.uuid().optional(),
  amount_cents: z.number().int().positive().max(100_000_000).optional(),
});
const IdempotencyKey = z.string().min(8).max(200).regex(/^[\w:.-]+$/);

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const claims = verifiedClaims(req);
    if (claims.org_role !== 'resident' || !claims.resident_id) throw new HttpError(403, 'forbidden', 'Only residents pay rent here.');
    const body = await parseBody(req, Body);
    const headerKey = req.headers.get('Idempotency-Key');
    const key = headerKey === null ? null : IdempotencyKey.safeParse(headerKey);
    if (key && !key.success) throw new HttpError(400, 'invalid_request', 'The Idempotency-Key header is not valid.');

    // As the resident: the database checks the lease is theirs, the org can take payments and the amount.
    const { data, error } = await userClient(req).rpc('start_payment', {
      p_lease_id: body.lease_id ?? null,
      p_amount_minor: body.amount_cents ?? null,
      p_client_key: key?.data ?? null,
    });
    if (error) throw dbFailure(error);
    const payment = data as StartedPayment;
    const admin = adminClient();
    const onAccount = { stripeAccount: payment.stripe_account_id };

    if (payment.existing && payment.stripe_checkout_session_id) {
      const session = await stripe().checkout.sessions.retrieve(payment.stripe_checkout_session_id, {}, onAccount).catch((e) => {
        throw stripeFailure(e);
      });
      return json({ payment_id: payment.id, status: payment.status, checkout_url: session.url, session_id: session.id, amount_cents: payment.amount_minor, currency: payment.currency });
    }

    const site = siteUrl(req);
    const metadata = { org_id: payment.org_id, lease_id: payment.lease_id, resident_id: payment.resident_id, payment_id: payment.id };
    let session;
    try {
      session = await stripe().checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [{ quantity: 1, price_data: { currency: payment.currency.toLowerCase(), unit_amount: payment.amount_minor, product_data: { name: `Rent, ${payment.org_name}` } } }],
          payment_intent_data: {
            metadata,
            ...(payment.application_fee_minor > 0 ? { application_fee_amount: payment.application_fee_minor } : {}),
          },
          metadata,
          client_reference_id: payment.id,
          customer_email: claims.email || undefined,
          success_url: `${site}/portal/pay/done?payment=${payment.id}&session={CHECKOUT_SESSION_ID}`,
          cancel_url: `${site}/portal/pay?payment=${payment.id}&canceled=1`,
        },
        { ...onAccount, idempotencyKey: `checkout:${payment.id}` },
      );
    } catch (err) {
      await cancelStartedPayment(admin, payment.id, `Stripe refused the checkout: ${(err as Error).message}`);
      throw stripeFailure(err);
    }
    const saved = await admin.from('payments').update({ stripe_checkout_session_id: session.id }).eq('id', payment.id).is('stripe_checkout_session_id', null);
    if (saved.error) throw saved.error;
    return json(
      { payment_id: payment.id, status: 'pending', checkout_url: session.url, session_id: session.id, amount_cents: payment.amount_minor, currency: payment.currency },
      201,
    );
  }),
);

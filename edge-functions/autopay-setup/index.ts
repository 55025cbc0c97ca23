// A resident opts in to autopay (`{ lease_id? }`): a setup-mode Checkout on the org's connected
// account saves their card; when it completes, the webhook switches autopay on. Opting out is an
// update of autopay_enrollments.enabled through the API, under RLS.
import { z } from 'zod';
import { verifiedClaims } from '../_shared/auth.ts';
import { adminClient, userClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { siteUrl, stripe, stripeFailure } from '../_shared/stripe.ts';
import { parseBody } from '../_shared/validate.ts';

const Body = z.strictObject({ lease_id: z.uuid().optional() });

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const claims = verifiedClaims(req);
    if (claims.org_role !== 'resident' || !claims.resident_id || !claims.org_id) throw new HttpError(403, 'forbidden', 'Only residents set up autopay.');
    const body = await parseBody(req, Body);

    // As the resident: RLS shows only their own leases.
    const mine = await userClient(req).from('lease_residents').select('lease_id, leases!inner(status)').eq('resident_id', claims.resident_id).eq('org_id', claims.org_id);
    if (mine.error) throw mine.error;
    const leases = (mine.data as unknown as { lease_id: string; leases: { status: string } }[]).filter((l) => l.leases.status === 'active').map((l) => l.lease_id);
    const leaseId = body.lease_id ?? (leases.length === 1 ? leases[0] : undefined);
    if (!body.lease_id && !leaseId) throw new HttpError(400, 'invalid_request', 'The request is not valid.', { formErrors: [], fieldErrors: { lease_id: ['lease_id is required'] } });
    if (!leaseId || !leases.includes(leaseId)) throw new HttpError(404, 'not_found', 'No such lease.');

    const admin = adminClient();
    const { data: org } = await admin.from('organizations').select('id, stripe_account_id, charges_enabled, currency').eq('id', claims.org_id).single();
    if (!org?.charges_enabled || !org.stripe_account_id) throw new HttpError(409, 'payments_not_enabled', 'This company cannot take online payments yet.');
    const onAccount = { stripeAccount: org.stripe_account_id as string };
    const metadata = { purpose: 'autopay', org_id: org.id, lease_id: leaseId, resident_id: claims.resident_id };

    try {
      const existing = await admin.from('autopay_enrollments').select('stripe_customer_id').eq('org_id', org.id).eq('lease_id', leaseId).eq('resident_id', claims.resident_id).maybeSingle();
      let customer = existing.data?.stripe_customer_id as string | undefined;
      if (!customer) {
        customer = (
          await stripe().customers.create({ email: claims.email, metadata: { org_id: org.id, resident_id: claims.resident_id } }, { ...onAccount, idempotencyKey: `resident-customer:${claims.resident_id}` })
        ).id;
        const saved = await admin
          .from('autopay_enrollments')
          .upsert({ org_id: org.id, lease_id: leaseId, resident_id: claims.resident_id, stripe_customer_id: customer }, { onConflict: 'org_id,lease_id,resident_id', ignoreDuplicates: true });
        if (saved.error) throw saved.error;
      }
      const site = siteUrl(req);
      const session = await stripe().checkout.sessions.create(
        {
          mode: 'setup',
          customer,
          currency: (org.currency as string).toLowerCase(),
          metadata,
          setup_intent_data: { metadata },
          success_url: `${site}/portal/autopay?setup=done`,
          cancel_url: `${site}/portal/autopay?setup=canceled`,
        },
        onAccount,
      );
      return json({ checkout_url: session.url, session_id: session.id }, 201);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw stripeFailure(err);
    }
  }),
);

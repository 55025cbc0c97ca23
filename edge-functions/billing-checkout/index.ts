// The owner subscribes the org to a paid plan (`{ plan }`): a Stripe Billing Checkout the first
// time, a price change on the running subscription after that. Prices are found by lookup_key and
// created on first use; the webhook moves plan, status and unit_limit when Stripe confirms.
import { z } from 'zod';
import { verifiedClaims } from '../_shared/auth.ts';
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { siteUrl, Stripe, stripe, stripeFailure } from '../_shared/stripe.ts';
import { parseBody } from '../_shared/validate.ts';

const Body = z.strictObject({ plan: z.enum(['starter', 'growth', 'enterprise']) });

interface Plan {
  plan: string;
  name: string;
  unit_limit: number;
  amount_minor: number;
  currency: string;
  billing_interval: 'month' | 'year';
  lookup_key: string;
}

async function priceFor(plan: Plan): Promise<Stripe.Price> {
  const found = await stripe().prices.list({ lookup_keys: [plan.lookup_key], active: true, limit: 1 });
  if (found.data[0]) return found.data[0];
  return stripe().prices.create(
    {
      currency: plan.currency.toLowerCase(),
      unit_amount: plan.amount_minor,
      recurring: { interval: plan.billing_interval },
      lookup_key: plan.lookup_key,
      transfer_lookup_key: true,
      product_data: { name: `Lintel ${plan.name}` },
      metadata: { plan: plan.plan, unit_limit: String(plan.unit_limit) },
    },
    { idempotencyKey: `price:${plan.lookup_key}:${plan.amount_minor}` },
  );
}

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const claims = verifiedClaims(req);
    if (!claims.org_id || claims.org_role !== 'owner') throw new HttpError(403, 'forbidden', 'Only the owner manages billing.');
    const body = await parseBody(req, Body);
    const admin = adminClient();
    const plans = await admin.rpc('billing_plans');
    if (plans.error) throw plans.error;
    const plan = (plans.data as Plan[]).find((p) => p.plan === body.plan)!;
    const { data: org, error } = await admin
      .from('organizations')
      .select('id, name, billing_email, stripe_customer_id, stripe_subscription_id, billing_status, plan')
      .eq('id', claims.org_id)
      .single();
    if (error || !org) throw new HttpError(404, 'not_found', 'No such organization.');

    try {
      const price = await priceFor(plan);
      if (org.stripe_subscription_id && ['active', 'trialing', 'past_due'].includes(org.billing_status)) {
        const sub = await stripe().subscriptions.retrieve(org.stripe_subscription_id);
        const item = sub.items.data[0]!;
        if (item.price.id === price.id) return json({ plan: body.plan, subscription_id: sub.id, changed: false });
        const updated = await stripe().subscriptions.update(
          sub.id,
          { items: [{ id: item.id, price: price.id }], proration_behavior: 'create_prorations', metadata: { org_id: org.id, plan: body.plan } },
          { idempotencyKey: `plan-change:${sub.id}:${item.id}:${price.id}` },
        );
        return json({ plan: body.plan, subscription_id: updated.id, changed: true });
      }
      let customer = org.stripe_customer_id;
      if (!customer) {
        customer = (
          await stripe().customers.create({ email: org.billing_email ?? claims.email, name: org.name, metadata: { org_id: org.id } }, { idempotencyKey: `org-customer:${org.id}` })
        ).id;
        const saved = await admin.from('organizations').update({ stripe_customer_id: customer }).eq('id', org.id).is('stripe_customer_id', null);
        if (saved.error) throw saved.error;
      }
      const site = siteUrl(req);
      const session = await stripe().checkout.sessions.create({
        mode: 'subscription',
        customer,
        line_items: [{ price: price.id, quantity: 1 }],
        client_reference_id: org.id,
        metadata: { org_id: org.id, plan: body.plan },
        subscription_data: { metadata: { org_id: org.id, plan: body.plan } },
        success_url: `${site}/app/settings/billing?checkout=done`,
        cancel_url: `${site}/app/settings/billing?checkout=canceled`,
      });
      return json({ plan: body.plan, checkout_url: session.url, session_id: session.id }, 201);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw stripeFailure(err);
    }
  }),
);

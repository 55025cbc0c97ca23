import { beforeAll, describe, expect, it } from 'vitest';
import { call, control, enablePayments, moneyOrg, postForm, q, signIn, stripeClient, waitFor, type MoneyOrg } from './money.ts';

// SaaS billing and Connect onboarding: the owner's Checkout in subscription mode on the double's
// page, plan changes, a lapsed subscription turning the org read-only after its grace period.

const orgRow = async (id: string) =>
  (await q('select plan, unit_limit, billing_status, billing_grace_until, stripe_subscription_id, stripe_customer_id from public.organizations where id = $1', [id]))[0]!;

describe('billing-checkout', () => {
  let org: MoneyOrg;
  beforeAll(async () => {
    org = await moneyOrg({ plan: 'free' });
  });

  it('is the owner’s alone and takes only a known paid plan', async () => {
    for (const who of [org.admin, org.manager, org.residents[0]!.login]) {
      expect((await call('billing-checkout', { as: who, body: { plan: 'growth' } })).status).toBe(403);
    }
    const bad = await call('billing-checkout', { as: org.owner, body: { plan: 'platinum' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.details.fieldErrors)).toEqual(['plan']);
    expect((await orgRow(org.id)).stripe_customer_id).toBeNull();
  });

  it('subscribes through hosted Checkout, then moves plan and unit_limit with each plan change', async () => {
    const res = await call('billing-checkout', { as: org.owner, body: { plan: 'starter' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await postForm(res.body.checkout_url, { action: 'pay', card: 'pm_card_visa', email: org.owner.email })).status).toBe(303);
    await waitFor(async () => expect(await orgRow(org.id)).toMatchObject({ plan: 'starter', unit_limit: 100, billing_status: 'active', billing_grace_until: null }));
    const first = await orgRow(org.id);
    expect(first.stripe_subscription_id).toMatch(/^sub_/);
    expect(first.stripe_customer_id).toMatch(/^cus_/);

    const up = await call('billing-checkout', { as: org.owner, body: { plan: 'growth' } });
    expect(up.body).toMatchObject({ plan: 'growth', changed: true, subscription_id: first.stripe_subscription_id });
    await waitFor(async () => expect(await orgRow(org.id)).toMatchObject({ plan: 'growth', unit_limit: 500 }));
    const down = await call('billing-checkout', { as: org.owner, body: { plan: 'starter' } });
    expect(down.body.changed).toBe(true);
    await waitFor(async () => expect(await orgRow(org.id)).toMatchObject({ plan: 'starter', unit_limit: 100 }));
    // The unit limit holds in the database: the plan's limit counts.
    const client = await signIn(org.manager);
    const { data: prop } = await client.from('properties').select('id').eq('org_id', org.id).single();
    await q('update public.organizations set unit_limit = 2 where id = $1', [org.id]);
    const over = await client.from('units').insert({ org_id: org.id, property_id: prop!.id, label: 'Z9' });
    expect(over.error?.code).toBe('LT429');
  });

  it('makes a lapsed org read-only after the grace period: reads work, staff writes fail, residents still pay', async () => {
    const lapsing = await moneyOrg();
    await enablePayments(lapsing);
    const sub = await call('billing-checkout', { as: lapsing.owner, body: { plan: 'growth' } });
    await postForm(sub.body.checkout_url, { action: 'pay', card: 'pm_card_visa' });
    const subId = await waitFor(async () => {
      const row = await orgRow(lapsing.id);
      expect(row.billing_status).toBe('active');
      return row.stripe_subscription_id as string;
    });
    await control(`/subscriptions/${subId}/fail_next_payment`, {});
    const failing = await control(`/subscriptions/${subId}/advance`, {});
    expect(failing.body.subscription.status).toBe('past_due');
    const pastDue = await waitFor(async () => {
      const row = await orgRow(lapsing.id);
      expect(row.billing_status).toBe('past_due');
      expect(row.billing_grace_until).not.toBeNull();
      return row;
    });
    const graceDays = (new Date(pastDue.billing_grace_until).getTime() - Date.now()) / 86_400_000;
    expect(graceDays).toBeGreaterThan(6.9);
    expect(graceDays).toBeLessThanOrEqual(7);
    expect(pastDue.plan).toBe('growth');

    const manager = await signIn(lapsing.manager);
    // Within the grace period staff still work.
    expect((await manager.from('properties').update({ city: 'Graceville' }).eq('org_id', lapsing.id).select()).data).toHaveLength(1);

    // The grace period is over (time moved on).
    await q(`update public.organizations set billing_grace_until = now() - interval '1 second' where id = $1`, [lapsing.id]);
    const write = await manager.from('properties').update({ city: 'Nowhere' }).eq('org_id', lapsing.id).select();
    expect(write.error?.code).toBe('LT402');
    const insert = await manager.from('properties').insert({ org_id: lapsing.id, name: 'Annex' });
    expect(insert.error?.code).toBe('LT402');
    const owner = await signIn(lapsing.owner);
    expect((await owner.from('organizations').update({ name: 'Renamed' }).eq('id', lapsing.id).select()).error?.code).toBe('LT402');
    expect((await owner.rpc('post_ledger_entry', { p_lease_id: lapsing.residents[0]!.leaseId, p_kind: 'charge', p_amount_minor: 100, p_idempotency_key: 'lapsed-charge-1' })).error?.code).toBe('LT402');
    // Reads keep working.
    const read = await manager.from('properties').select('name, city').eq('org_id', lapsing.id);
    expect(read.error).toBeNull();
    expect(read.data).toEqual([{ name: 'Elm Court', city: 'Graceville' }]);
    expect((await manager.from('ledger_entries').select('id').eq('org_id', lapsing.id)).data!.length).toBeGreaterThan(0);
    // Residents still pay rent, and the webhook still books it.
    const r = lapsing.residents[0]!;
    const pay = await call('create-payment', { as: r.login, body: {} });
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);
    await postForm(pay.body.checkout_url, { action: 'pay', card: 'pm_card_visa' });
    await waitFor(async () => expect((await q('select status from public.payments where id = $1', [pay.body.payment_id]))[0]!.status).toBe('succeeded'));

    // The owner pays the open invoice: the subscription is active again and so is the org.
    expect((await stripeClient().invoices.pay(failing.body.invoice.id)).status).toBe('paid');
    await waitFor(async () => expect(await orgRow(lapsing.id)).toMatchObject({ billing_status: 'active', billing_grace_until: null }));
    expect((await manager.from('properties').update({ city: 'Back' }).eq('org_id', lapsing.id).select()).error).toBeNull();
  });
});

describe('connect-onboarding', () => {
  let org: MoneyOrg;
  beforeAll(async () => {
    org = await moneyOrg();
  });

  it('is for the owner and admins only', async () => {
    for (const who of [org.manager, org.viewer, org.maintenance, org.residents[0]!.login]) {
      expect((await call('connect-onboarding', { as: who })).status).toBe(403);
    }
    expect((await call('connect-onboarding')).status).toBe(401);
    expect((await q('select stripe_account_id from public.organizations where id = $1', [org.id]))[0]!.stripe_account_id).toBeNull();
  });

  it('creates the Express account once, resumes it with fresh links, and records what Stripe says it can do', async () => {
    const [a, b] = await Promise.all([call('connect-onboarding', { as: org.owner }), call('connect-onboarding', { as: org.admin })]);
    expect(a.status).toBe(200);
    expect(b.body.account_id).toBe(a.body.account_id);
    expect(a.body).toMatchObject({ charges_enabled: false, payouts_enabled: false, details_submitted: false, url: expect.stringContaining('/setup/s/') });
    await postForm(a.body.url, { action: 'leave' });
    const resumed = await call('connect-onboarding', { as: org.admin });
    expect(resumed.body.account_id).toBe(a.body.account_id);
    expect(resumed.body.url).not.toBe(a.body.url);
    expect(resumed.body.details_submitted).toBe(false);
    await postForm(resumed.body.url, { action: 'complete' });
    await waitFor(async () =>
      expect((await q('select charges_enabled, payouts_enabled, details_submitted from public.organizations where id = $1', [org.id]))[0]).toEqual({
        charges_enabled: true,
        payouts_enabled: true,
        details_submitted: true,
      }),
    );
    expect(await enablePayments(org)).toBe(a.body.account_id);
  });
});

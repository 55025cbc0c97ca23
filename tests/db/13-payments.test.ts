import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, balanceMismatches, rolledBack, type Tx } from './db.ts';
import { fixtures, login, type OrgFixture } from './fixtures.ts';

// The money schema of issue 19 in the database alone: start_payment's checks as the resident, the
// webhook's transaction (record once, statuses only forward, one ledger entry per PaymentIntent,
// refunds and lost disputes), autopay's claim, and read-only orgs after a lapsed subscription.

let acme: OrgFixture;
let birch: OrgFixture;
beforeAll(async () => {
  ({ acme, birch } = await fixtures());
});

const ACCOUNT = 'acct_test13acme00000';

/** Acme can take payments (as after Connect onboarding), inside the caller's transaction. */
async function connect(c: Tx) {
  await c.query(`update public.organizations set stripe_account_id = $2, charges_enabled = true where id = $1`, [acme.id, ACCOUNT]);
}

let n = 0;
function event(type: string, object: Record<string, unknown>, opts: { id?: string; created?: number; account?: string | null } = {}) {
  return {
    id: opts.id ?? `evt_db13_${Date.now()}_${n++}`,
    object: 'event',
    type,
    created: opts.created ?? 1_800_000_000,
    livemode: false,
    ...(opts.account === null ? {} : { account: opts.account ?? ACCOUNT }),
    data: { object },
  };
}
const handle = async (c: Tx, e: object, fetched: object | null = null) =>
  (await c.query('select public.handle_stripe_event($1::jsonb, $2::jsonb) as r', [JSON.stringify(e), fetched && JSON.stringify(fetched)])).rows[0].r;

async function pendingPayment(c: Tx, amount = 50_000) {
  return (
    await c.query(
      `insert into public.payments (org_id, lease_id, resident_id, status, amount_minor, currency, stripe_account_id)
       values ($1, $2, $3, 'pending', $4, 'USD', $5) returning id`,
      [acme.id, acme.residentLeaseId, acme.residentId, amount, ACCOUNT],
    )
  ).rows[0].id as string;
}
const intent = (payment: string, status: string, extra: Record<string, unknown> = {}) => ({
  id: `pi_db13_${payment.slice(0, 8)}`,
  object: 'payment_intent',
  amount: 50_000,
  status,
  last_payment_error: status === 'requires_payment_method' ? { message: 'Your card was declined.' } : null,
  metadata: { payment_id: payment },
  ...extra,
});
const row = async (c: Tx, id: string) => (await c.query('select * from public.payments where id = $1', [id])).rows[0];
const entries = async (c: Tx, payment: string) =>
  (await c.query('select kind, amount_minor::int as amount, idempotency_key from public.ledger_entries where payment_id = $1 order by created_at, id', [payment])).rows;

describe('start_payment (as the resident)', () => {
  it('checks the lease, the org’s Connect account and the amount', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('resident', 'acme'));
      expect((await attempt(c, 'select public.start_payment()')).code).toBe('LT412');
      await actAsPostgres(c);
      await connect(c);
      const balance = Number((await c.query('select balance_minor from public.leases where id = $1', [acme.residentLeaseId])).rows[0].balance_minor);
      await actAs(c, login('resident', 'acme'));
      const other = await attempt(c, 'select public.start_payment($1)', [acme.otherLeaseId]);
      expect(other.code).toBe('LT404');
      expect((await attempt(c, 'select public.start_payment($1)', [birch.residentLeaseId])).code).toBe('LT404');
      expect((await attempt(c, 'select public.start_payment($1, $2)', [acme.residentLeaseId, -1])).code).toBe('LT422');
      const tooMuch = await attempt<{ x: unknown }>(c, 'select public.start_payment($1, $2)', [acme.residentLeaseId, Math.max(balance, 0) + 1]);
      expect(tooMuch.code).toBe('LT422');
      expect(tooMuch.message).toContain('more than the open balance');
      if (balance > 0) {
        const ok = (await c.query('select public.start_payment($1, $2, $3) as p', [acme.residentLeaseId, 100, 'client-key-1'])).rows[0].p;
        expect(ok).toMatchObject({ status: 'pending', amount_minor: 100, stripe_account_id: ACCOUNT, existing: false, idempotency_key: `portal:${acme.residentId}:client-key-1` });
        const again = (await c.query('select public.start_payment($1, $2, $3) as p', [acme.residentLeaseId, 100, 'client-key-1'])).rows[0].p;
        expect(again).toMatchObject({ id: ok.id, existing: true });
      }
    });
  });

  it('is for residents only', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      expect((await attempt(c, 'select public.start_payment($1, 100)', [acme.residentLeaseId])).code).toBe('LT403');
    });
    await asUser('anon', async (c) => {
      expect((await attempt(c, 'select public.start_payment()')).code).toBe('42501');
    });
    await asUser(login('resident', 'acme'), async (c) => {
      expect((await attempt(c, `select public.handle_stripe_event('{}')`)).code).toBe('42501');
      expect((await attempt(c, 'select public.claim_autopay_payments()')).code).toBe('42501');
    });
  });
});

describe('handle_stripe_event', () => {
  it('records an event once and books its payment once, whatever the event id', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const p = await pendingPayment(c);
      const e = event('payment_intent.succeeded', intent(p, 'succeeded'));
      expect(await handle(c, e)).toMatchObject({ duplicate: false, payment_id: p });
      expect(await handle(c, e)).toMatchObject({ duplicate: true });
      expect(await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded')))).toMatchObject({ duplicate: false });
      expect(await entries(c, p)).toEqual([{ kind: 'payment', amount: -50_000, idempotency_key: `stripe:pi_db13_${p.slice(0, 8)}` }]);
      expect((await c.query('select count(*)::int as n from private.stripe_events where id = $1', [e.id])).rows[0].n).toBe(1);
      expect(await balanceMismatches(c)).toBe(0);
    });
  });

  it('writes a payment once per event: its PaymentIntent with its status, or alone when the status stays', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const writes = async (p: string) => ({
        audit: (await c.query(`select count(*)::int as n from public.audit_log where table_name = 'payments' and record_id = $1 and action = 'update'`, [p])).rows[0].n,
        broadcasts: (await c.query(`select count(*)::int as n from realtime.messages where payload ->> 'table' = 'payments' and payload #>> '{record,id}' = $1 and event = 'UPDATE'`, [p])).rows[0].n,
      });
      const p = await pendingPayment(c);
      await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded')));
      expect(await row(c, p)).toMatchObject({ status: 'succeeded', stripe_payment_intent_id: `pi_db13_${p.slice(0, 8)}` });
      // One audit row (pending → succeeded, with the intent) and one message per topic: the org's
      // finance topic and the lease's resident.
      expect(await writes(p)).toEqual({ audit: 1, broadcasts: 2 });
      // Its audit rows say the change came from Stripe: the payment's and its ledger entry's.
      const via = await c.query(
        `select table_name, via from public.audit_log where (record_id = $1::text and action = 'update') or record_id in (select id::text from public.ledger_entries where payment_id = $1::uuid) order by table_name`,
        [p],
      );
      expect(via.rows).toEqual([{ table_name: 'ledger_entries', via: 'stripe_webhook' }, { table_name: 'payments', via: 'stripe_webhook' }]);
      // Autopay's own charge, synced by autopay-run, says autopay.
      const a = await pendingPayment(c);
      await c.query('select public.sync_payment_intent($1::jsonb, $2)', [JSON.stringify(intent(a, 'succeeded')), ACCOUNT]);
      const autopay = await c.query(
        `select distinct via from public.audit_log where (record_id = $1::text and action = 'update') or record_id in (select id::text from public.ledger_entries where payment_id = $1::uuid)`,
        [a],
      );
      expect(autopay.rows).toEqual([{ via: 'autopay' }]);

      // A pending intent's event finds a pending payment: nothing moves, but the intent is recorded.
      const q = await pendingPayment(c);
      await handle(c, event('payment_intent.canceled', intent(q, 'requires_payment_method', { last_payment_error: null })));
      expect(await row(c, q)).toMatchObject({ status: 'pending', stripe_payment_intent_id: `pi_db13_${q.slice(0, 8)}` });
      expect((await writes(q)).audit).toBe(1);
    });
  });

  it('never moves a payment back; asks for the PaymentIntent when two non-final events share a second', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const p = await pendingPayment(c);
      await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded'), { created: 1_800_000_010 }));
      await handle(c, event('payment_intent.payment_failed', intent(p, 'requires_payment_method'), { created: 1_800_000_020 }));
      await handle(c, event('payment_intent.processing', intent(p, 'processing'), { created: 1_800_000_030 }));
      expect((await row(c, p)).status).toBe('succeeded');

      const q = await pendingPayment(c);
      await handle(c, event('payment_intent.processing', intent(q, 'processing'), { created: 1_800_000_100 }));
      // An older failure is stale; a failure from the same second is unclear: fetch and call again.
      await handle(c, event('payment_intent.payment_failed', intent(q, 'requires_payment_method'), { created: 1_800_000_090 }));
      expect((await row(c, q)).status).toBe('processing');
      const unclear = event('payment_intent.payment_failed', intent(q, 'requires_payment_method'), { created: 1_800_000_100 });
      const asked = await attempt(c, 'select public.handle_stripe_event($1::jsonb)', [JSON.stringify(unclear)]);
      expect(asked.code).toBe('LT428');
      expect((await c.query('select count(*)::int as n from private.stripe_events where id = $1', [unclear.id])).rows[0].n).toBe(0);
      await handle(c, unclear, intent(q, 'requires_payment_method'));
      expect(await row(c, q)).toMatchObject({ status: 'failed', failure_reason: 'Your card was declined.' });
      expect(await entries(c, q)).toEqual([]);
    });
  });

  it('settles two Checkout events of the same second by the PaymentIntent the webhook fetched', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const p = await pendingPayment(c);
      const pi = intent(p, 'requires_payment_method');
      const session = (extra: Record<string, unknown>) => ({
        id: `cs_db13_${p.slice(0, 8)}`, object: 'checkout.session', mode: 'payment', payment_intent: pi.id,
        amount_total: 50_000, payment_status: 'unpaid', metadata: { payment_id: p }, ...extra,
      });
      // A bank debit: the session completes unpaid (processing), and fails within the same second.
      await handle(c, event('checkout.session.completed', session({}), { created: 1_800_000_200 }));
      expect(await row(c, p)).toMatchObject({ status: 'processing', stripe_checkout_session_id: `cs_db13_${p.slice(0, 8)}`, stripe_payment_intent_id: pi.id });
      const failed = event('checkout.session.async_payment_failed', session({}), { created: 1_800_000_200 });
      expect((await attempt(c, 'select public.handle_stripe_event($1::jsonb)', [JSON.stringify(failed)])).code).toBe('LT428');
      // Retried with the intent as Stripe has it now, it applies; another payment's intent does not.
      await handle(c, failed, { ...pi, id: 'pi_db13_someoneelse' });
      expect((await row(c, p)).status).toBe('processing');
      await handle(c, event('checkout.session.async_payment_failed', session({}), { created: 1_800_000_200 }), pi);
      expect(await row(c, p)).toMatchObject({ status: 'failed', failure_reason: 'Your card was declined.' });
      expect(await entries(c, p)).toEqual([]);
    });
  });

  it('ignores objects from another account or for another amount', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const p = await pendingPayment(c);
      await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded'), { account: 'acct_someoneelse0000' }));
      await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded'), { account: null }));
      await handle(c, event('payment_intent.succeeded', intent(p, 'succeeded', { amount: 1 })));
      expect((await row(c, p)).status).toBe('pending');
      expect(await entries(c, p)).toEqual([]);
    });
  });

  it('posts each refund increase once and reverses a lost dispute, even before the payment’s own event', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      const p = await pendingPayment(c);
      const pi = `pi_db13_${p.slice(0, 8)}`;
      const charge = (refunded: number) => ({ id: 'ch_db13', object: 'charge', payment_intent: pi, amount: 50_000, amount_refunded: refunded, metadata: { payment_id: p } });
      await handle(c, event('charge.refunded', charge(20_000)));
      await handle(c, event('charge.refunded', charge(20_000)));
      await handle(c, event('charge.refunded', charge(5_000)));
      expect(await row(c, p)).toMatchObject({ status: 'succeeded', refunded_minor: '20000' });
      await handle(c, event('charge.refunded', charge(50_000)));
      expect((await row(c, p)).status).toBe('refunded');
      expect((await entries(c, p)).map((e) => [e.kind, e.amount])).toEqual([
        ['payment', -50_000],
        ['refund', 20_000],
        ['refund', 30_000],
      ]);

      const d = await pendingPayment(c);
      const dpi = `pi_db13_${d.slice(0, 8)}`;
      const dispute = (status: string) => ({ id: 'dp_db13', object: 'dispute', payment_intent: dpi, amount: 50_000, status });
      const asked = await attempt(c, 'select public.handle_stripe_event($1::jsonb)', [JSON.stringify(event('charge.dispute.created', dispute('needs_response')))]);
      expect(asked.code).toBe('LT428');
      await handle(c, event('charge.dispute.closed', dispute('lost')), intent(d, 'succeeded'));
      await handle(c, event('charge.dispute.created', dispute('needs_response')), intent(d, 'succeeded'));
      expect(await row(c, d)).toMatchObject({ status: 'succeeded', dispute_status: 'lost' });
      expect((await entries(c, d)).map((e) => [e.kind, e.amount, e.idempotency_key])).toEqual([
        ['payment', -50_000, `stripe:${dpi}`],
        ['reversal', 50_000, 'dispute:dp_db13'],
      ]);
      expect(await balanceMismatches(c)).toBe(0);
    });
  });

  it('keeps an org’s Connect flags and subscription as Stripe has them now', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      await handle(c, event('account.updated', { id: ACCOUNT, object: 'account' }), { id: ACCOUNT, object: 'account', charges_enabled: false, payouts_enabled: true, details_submitted: true });
      expect((await c.query('select charges_enabled, payouts_enabled, details_submitted from public.organizations where id = $1', [acme.id])).rows[0]).toEqual({
        charges_enabled: false,
        payouts_enabled: true,
        details_submitted: true,
      });
      const sub = (status: string, lookup: string) => ({
        id: 'sub_db13',
        object: 'subscription',
        customer: 'cus_db13',
        status,
        metadata: { org_id: acme.id },
        items: { data: [{ price: { lookup_key: lookup } }] },
      });
      await handle(c, event('customer.subscription.created', { id: 'sub_db13', object: 'subscription' }, { account: null }), sub('active', 'lintel_enterprise_monthly'));
      expect((await c.query('select plan, unit_limit, billing_status, billing_grace_until from public.organizations where id = $1', [acme.id])).rows[0]).toEqual({
        plan: 'enterprise',
        unit_limit: 5000,
        billing_status: 'active',
        billing_grace_until: null,
      });
      await handle(c, event('customer.subscription.updated', { id: 'sub_db13', object: 'subscription' }, { account: null }), sub('unpaid', 'lintel_enterprise_monthly'));
      const lapsed = (await c.query('select billing_status, billing_grace_until > now() + $2::interval as later from public.organizations where id = $1', [acme.id, '6 days'])).rows[0];
      expect(lapsed).toEqual({ billing_status: 'unpaid', later: true });
    });
  });
});

describe('read-only orgs', () => {
  it('refuse staff writes after the grace period, keep reads, and let residents and the service role write', async () => {
    await rolledBack(async (c) => {
      await c.query(`update public.organizations set billing_status = 'past_due', billing_grace_until = now() - interval '1 minute' where id = $1`, [acme.id]);
      await actAs(c, login('manager', 'acme'));
      const write = await attempt(c, `update public.units set label = label where org_id = $1`, [acme.id]);
      expect(write.code).toBe('LT402');
      expect((await attempt(c, `insert into public.properties (org_id, name) values ($1, 'X')`, [acme.id])).code).toBe('LT402');
      expect(Number((await c.query('select count(*) as n from public.units where org_id = $1', [acme.id])).rows[0].n)).toBeGreaterThan(0);
      await actAsPostgres(c);
      await actAs(c, login('manager', 'birch'));
      expect((await attempt(c, `update public.units set label = label where org_id = $1`, [birch.id])).code).toBeUndefined();
      await actAsPostgres(c);
      await actAs(c, login('resident', 'acme'));
      const request = await attempt(c, `insert into public.maintenance_requests (org_id, unit_id, resident_id, title) values ($1, $2, $3, 'Leak')`, [
        acme.id,
        acme.residentUnitId,
        acme.residentId,
      ]);
      expect(request.code).toBeUndefined();
      // The service role (the webhook, billing) and the rent run carry no org claim: not refused.
      await actAsPostgres(c);
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      expect((await attempt(c, `update public.properties set name = name where org_id = $1`, [acme.id])).code).toBeUndefined();
    });
  });
});

describe('live updates', () => {
  it('broadcast autopay changes on the finance topic and to the lease’s residents, as payments are', async () => {
    await rolledBack(async (c) => {
      await c.query(
        `insert into public.autopay_enrollments (org_id, lease_id, resident_id, enabled, stripe_payment_method_id) values ($1, $2, $3, true, 'pm_x')`,
        [acme.id, acme.residentLeaseId, acme.residentId],
      );
      await actAs(c, login('resident', 'acme'));
      expect((await c.query('update public.autopay_enrollments set enabled = false where lease_id = $1 returning 1', [acme.residentLeaseId])).rowCount).toBe(1);
      await actAsPostgres(c);
      const { rows } = await c.query(
        `select topic, payload ->> 'operation' as op from realtime.messages
         where payload ->> 'table' = 'autopay_enrollments' and payload -> 'record' ->> 'lease_id' = $1 order by topic, op`,
        [acme.residentLeaseId],
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          { topic: `org:${acme.id}:finance`, op: 'UPDATE' },
          { topic: `resident:${acme.residentId}`, op: 'UPDATE' },
        ]),
      );
    });
  });
});

describe('claim_autopay_payments', () => {
  it('claims one payment per lease and period for rent posted after opting in, once', async () => {
    await rolledBack(async (c) => {
      await connect(c);
      await c.query(
        `insert into public.autopay_enrollments (org_id, lease_id, resident_id, enabled, stripe_customer_id, stripe_payment_method_id) values ($1, $2, $3, true, 'cus_x', 'pm_x')`,
        [acme.id, acme.residentLeaseId, acme.residentId],
      );
      await c.query(`select private.insert_ledger_entry($1, $2, 'rent', 70000, $3, 'Rent', '2031-03-01', null, null, '2031-03-01', '2031-03-31')`, [
        acme.id,
        acme.residentLeaseId,
        `rent:${acme.residentLeaseId}:2031-03`,
      ]);
      await c.query(`set local role service_role`);
      const first = (await c.query('select public.claim_autopay_payments() as r')).rows[0].r;
      const mine = first.filter((x: { lease_id: string }) => x.lease_id === acme.residentLeaseId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ idempotency_key: `autopay:${acme.residentLeaseId}:2031-03`, stripe_payment_method_id: 'pm_x', stripe_account_id: ACCOUNT });
      const again = (await c.query('select public.claim_autopay_payments() as r')).rows[0].r;
      expect(again.filter((x: { lease_id: string }) => x.lease_id === acme.residentLeaseId).map((x: { payment_id: string }) => x.payment_id)).toEqual([mine[0].payment_id]);
      expect(Number((await c.query(`select count(*) as n from public.payments where idempotency_key like 'autopay:%' and lease_id = $1`, [acme.residentLeaseId])).rows[0].n)).toBe(1);
    });
  });

  it('checks the cron secret against Vault', async () => {
    await rolledBack(async (c) => {
      const secret = (await c.query(`select decrypted_secret from vault.decrypted_secrets where name = 'lintel_cron_secret'`)).rows[0].decrypted_secret;
      await c.query(`set local role service_role`);
      expect((await c.query('select public.verify_cron_secret($1) as ok', [secret])).rows[0].ok).toBe(true);
      expect((await c.query('select public.verify_cron_secret($1) as ok', ['guess'])).rows[0].ok).toBe(false);
      expect((await c.query('select public.verify_cron_secret(null) as ok')).rows[0].ok).toBe(false);
    });
  });
});

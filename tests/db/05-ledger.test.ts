import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, balanceMismatches, committedAs, pool, rolledBack } from './db.ts';
import { createOrg, fixtures, login, ROLES, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});
// A lease's balance equals the sum of its entries after every test.
afterEach(async () => {
  expect(await balanceMismatches(pool())).toBe(0);
});

const post = `select (e).id, (e).kind, (e).amount_minor, (e).idempotency_key from public.post_ledger_entry($1, $2, $3, $4) e`;

describe('the ledger is append-only for every role', () => {
  for (const who of [...ROLES, 'anon', 'service_role', 'postgres'] as const) {
    it(`${who} cannot update, delete or truncate entries`, async () => {
      await rolledBack(async (c) => {
        const entry = (await c.query(`select id from public.ledger_entries where lease_id = $1 limit 1`, [F.acme.residentLeaseId])).rows[0].id;
        if (who === 'service_role') await actAs(c, 'anon', { claims: { role: 'service_role' } });
        else if (who !== 'postgres') await actAs(c, who === 'anon' ? 'anon' : login(who, 'acme'));
        const upd = await attempt(c, `update public.ledger_entries set amount_minor = 1 where id = $1 returning 1`, [entry]);
        const del = await attempt(c, `delete from public.ledger_entries where id = $1 returning 1`, [entry]);
        const trunc = await attempt(c, `truncate public.ledger_entries cascade`);
        for (const r of [upd, del, trunc]) {
          expect(r.rows).toHaveLength(0);
          expect(r.code).toMatch(/^(42501|LT409)$/);
        }
        if (who === 'postgres') expect([upd.code, del.code, trunc.code]).toEqual(['LT409', 'LT409', 'LT409']);
        // Nor may anyone but the money functions insert.
        if (who !== 'postgres') {
          const ins = await attempt(
            c,
            `insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, idempotency_key) values ($1, $2, 'credit', -100, 'USD', 'direct')`,
            [F.acme.id, F.acme.residentLeaseId],
          );
          expect(ins.code).toBe('42501');
        }
      });
    });
  }
});

describe('post_ledger_entry', () => {
  it('staff with money rights post charges and credits; the balance follows', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const before = Number((await c.query('select balance_minor from public.leases where id = $1', [F.acme.otherLeaseId])).rows[0].balance_minor);
      const charge = await attempt(c, post, [F.acme.otherLeaseId, 'charge', 2500, `k-${randomUUID()}`]);
      expect(charge.rows[0]).toMatchObject({ kind: 'charge', amount_minor: '2500' });
      const credit = await attempt(c, post, [F.acme.otherLeaseId, 'credit', 1000, `k-${randomUUID()}`]);
      expect(credit.rows[0]).toMatchObject({ kind: 'credit', amount_minor: '-1000' });
      const after = Number((await c.query('select balance_minor from public.leases where id = $1', [F.acme.otherLeaseId])).rows[0].balance_minor);
      expect(after - before).toBe(1500);
      await actAsPostgres(c);
      expect(await balanceMismatches(c)).toBe(0);
    });
  });

  for (const role of ['maintenance', 'viewer', 'resident'] as const) {
    it(`${role} cannot post`, async () => {
      await asUser(login(role, 'acme'), async (c) => {
        expect((await attempt(c, post, [F.acme.residentLeaseId, 'credit', 100000, `k-${randomUUID()}`])).code).toBe('LT403');
      });
    });
  }

  it('another org’s lease answers like a missing one', async () => {
    await asUser(login('owner', 'acme'), async (c) => {
      expect((await attempt(c, post, [F.birch.otherLeaseId, 'charge', 100, `k-${randomUUID()}`])).code).toBe('LT404');
    });
  });

  it('validates kind, amount and key', async () => {
    await asUser(login('admin', 'acme'), async (c) => {
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'rent', 100, `k-${randomUUID()}`])).code).toBe('LT422');
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'payment', 100, `k-${randomUUID()}`])).code).toBe('LT422');
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'charge', -100, `k-${randomUUID()}`])).code).toBe('LT422');
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'charge', 100, 'short'])).code).toBe('LT422');
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'charge', 100, 'rent:sneaky-key'])).code).toBe('LT422');
    });
  });

  it('a retry with the same key returns the same entry; the key reused for something else is a conflict', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const key = `k-${randomUUID()}`;
      const a = await attempt(c, post, [F.acme.otherLeaseId, 'charge', 700, key]);
      const b = await attempt(c, post, [F.acme.otherLeaseId, 'charge', 700, key]);
      expect(b.rows[0]!.id).toBe(a.rows[0]!.id);
      expect((await attempt(c, post, [F.acme.otherLeaseId, 'charge', 701, key])).code).toBe('LT409');
      const n = (await c.query(`select count(*)::int as n from public.ledger_entries where idempotency_key = $1`, [`manual:${key}`])).rows[0].n;
      expect(n).toBe(1);
    });
  });

  it('corrections are reversals of the original amount, at most once, on the same lease', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const orig = (await attempt(c, post, [F.acme.otherLeaseId, 'charge', 4200, `k-${randomUUID()}`])).rows[0]!;
      const rev = await attempt(
        c,
        `select (e).kind, (e).amount_minor, (e).reverses_entry_id from public.post_ledger_entry($1, 'reversal', null, $2, 'Charged in error', current_date, $3) e`,
        [F.acme.otherLeaseId, `k-${randomUUID()}`, orig.id],
      );
      expect(rev.rows[0]).toMatchObject({ kind: 'reversal', amount_minor: '-4200', reverses_entry_id: orig.id });
      const again = await attempt(c, `select public.post_ledger_entry($1, 'reversal', null, $2, '', current_date, $3)`, [
        F.acme.otherLeaseId,
        `k-${randomUUID()}`,
        orig.id,
      ]);
      expect(again.code).toBe('LT409');
      const wrongLease = await attempt(c, `select public.post_ledger_entry($1, 'reversal', null, $2, '', current_date, $3)`, [
        F.acme.residentLeaseId,
        `k-${randomUUID()}`,
        orig.id,
      ]);
      expect(wrongLease.code).toBe('LT404');
    });
  });

  it('50 concurrent identical calls give one entry and the same answer', async () => {
    const t = await createOrg();
    const key = `k-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        committedAs(t.users.manager!.email, async (c) => (await c.query(post, [t.lease, 'charge', 12345, key])).rows[0]),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const db = pool();
    const rows = (await db.query(`select amount_minor from public.ledger_entries where lease_id = $1`, [t.lease])).rows;
    expect(rows).toEqual([{ amount_minor: '12345' }]);
    expect((await db.query(`select balance_minor from public.leases where id = $1`, [t.lease])).rows[0].balance_minor).toBe('12345');
  });
});

describe('payments', () => {
  it('a succeeded payment posts its ledger entry exactly once (a duplicate webhook changes nothing)', async () => {
    await rolledBack(async (c) => {
      const pay = (
        await c.query(
          `insert into public.payments (org_id, lease_id, amount_minor, currency, stripe_payment_intent_id) values ($1, $2, 9900, 'USD', $3) returning id`,
          [F.acme.residentLeaseId, F.acme.residentLeaseId, `pi_${randomUUID()}`].map((v, i) => (i === 0 ? F.acme.id : v)),
        )
      ).rows[0].id;
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      const first = await attempt(c, `select (public.record_payment_succeeded($1)).id`, [pay]);
      const second = await attempt(c, `select (public.record_payment_succeeded($1)).id`, [pay]);
      expect(second.rows[0]!.id).toBe(first.rows[0]!.id);
      await actAsPostgres(c);
      expect((await c.query(`select count(*)::int as n from public.ledger_entries where payment_id = $1`, [pay])).rows[0].n).toBe(1);
      expect(await balanceMismatches(c)).toBe(0);
    });
  });

  it('only the service role records payments', async () => {
    await asUser(login('owner', 'acme'), async (c) => {
      expect((await attempt(c, `select public.record_payment_succeeded(gen_random_uuid())`)).code).toBe('42501');
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, attempt, balanceMismatches, pool, rolledBack, type Tx } from './db.ts';
import { createOrg, login } from './fixtures.ts';

afterEach(async () => {
  expect(await balanceMismatches(pool())).toBe(0);
});

interface LeaseTerms {
  start: string;
  end?: string | null;
  status?: string;
  rent?: number;
  dueDay?: number;
  graceDays?: number;
  lateFee?: number;
}

/** A lease in a fresh org inside the open transaction (dates far from the seed's). */
async function lease(c: Tx, t: LeaseTerms): Promise<string> {
  const org = (await c.query(`insert into public.organizations (name, slug) values ('Run', 'run-' || substr(md5(random()::text), 1, 8)) returning id`)).rows[0].id;
  const property = (await c.query(`insert into public.properties (org_id, name) values ($1, 'P') returning id`, [org])).rows[0].id;
  const unit = (await c.query(`insert into public.units (org_id, property_id, label) values ($1, $2, 'U') returning id`, [org, property])).rows[0].id;
  return (
    await c.query(
      `insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, due_day, grace_days, late_fee_minor)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
      [org, unit, t.status ?? 'active', t.start, t.end ?? null, t.rent ?? 300000, t.dueDay ?? 1, t.graceDays ?? 5, t.lateFee ?? 5000],
    )
  ).rows[0].id;
}

async function run(c: Tx, asOf: string): Promise<{ rent_entries: number; late_fee_entries: number }> {
  await actAs(c, 'anon', { claims: { role: 'service_role' } });
  const out = (await c.query('select public.run_rent_charges($1::date) as r', [asOf])).rows[0].r;
  await actAsPostgres(c);
  return out;
}

const entries = async (c: Tx, leaseId: string) =>
  (
    await c.query(
      `select kind, amount_minor::int as amount, to_char(period_start, 'YYYY-MM-DD') as from, to_char(period_end, 'YYYY-MM-DD') as to
       from public.ledger_entries where lease_id = $1 order by created_at, kind`,
      [leaseId],
    )
  ).rows;

describe('rent: one period per run, prorated by days', () => {
  const cases: { name: string; terms: LeaseTerms; asOf: string; rent: { amount: number; from: string; to: string } | null }[] = [
    { name: 'full month', terms: { start: '2001-01-01' }, asOf: '2001-03-01', rent: { amount: 300000, from: '2001-03-01', to: '2001-03-31' } },
    { name: 'later in the month, same charge', terms: { start: '2001-01-01' }, asOf: '2001-03-17', rent: { amount: 300000, from: '2001-03-01', to: '2001-03-31' } },
    { name: 'partial first month (16 of 31 days)', terms: { start: '2001-03-16' }, asOf: '2001-03-16', rent: { amount: 154839, from: '2001-03-16', to: '2001-03-31' } },
    { name: 'lease not started yet this month', terms: { start: '2001-03-20' }, asOf: '2001-03-10', rent: null },
    { name: 'partial last month (10 of 28 days)', terms: { start: '2000-01-01', end: '2001-02-10' }, asOf: '2001-02-01', rent: { amount: 107143, from: '2001-02-01', to: '2001-02-10' } },
    { name: 'starts and ends in one month (20 of 30 days)', terms: { start: '2001-04-05', end: '2001-04-24' }, asOf: '2001-04-24', rent: { amount: 200000, from: '2001-04-05', to: '2001-04-24' } },
    { name: 'ended before the period', terms: { start: '2000-01-01', end: '2001-01-31' }, asOf: '2001-02-01', rent: null },
    { name: 'draft lease', terms: { start: '2001-01-01', status: 'draft' }, asOf: '2001-02-01', rent: null },
    { name: 'leap February, full', terms: { start: '2004-02-01' }, asOf: '2004-02-01', rent: { amount: 300000, from: '2004-02-01', to: '2004-02-29' } },
    { name: 'leap February, from the 15th (15 of 29 days)', terms: { start: '2004-02-15' }, asOf: '2004-02-20', rent: { amount: 155172, from: '2004-02-15', to: '2004-02-29' } },
    { name: 'tiny rent never rounds to zero', terms: { start: '2001-03-31', rent: 10 }, asOf: '2001-03-31', rent: { amount: 1, from: '2001-03-31', to: '2001-03-31' } },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      await rolledBack(async (c) => {
        const id = await lease(c, t.terms);
        await run(c, t.asOf);
        const rows = (await entries(c, id)).filter((e) => e.kind === 'rent');
        expect(rows).toEqual(t.rent ? [{ kind: 'rent', ...t.rent }] : []);
        expect(await balanceMismatches(c)).toBe(0);
      });
    });
  }
});

describe('late fees: once the grace days have passed, on an unpaid balance, once per period', () => {
  const cases: { name: string; terms: LeaseTerms; asOf: string; paid?: boolean; fee: number | null }[] = [
    { name: 'on the last grace day: none', terms: { start: '2001-01-01' }, asOf: '2001-03-06', fee: null },
    { name: 'the day after grace: fee', terms: { start: '2001-01-01' }, asOf: '2001-03-07', fee: 5000 },
    { name: 'paid in time: none', terms: { start: '2001-01-01' }, asOf: '2001-03-20', paid: true, fee: null },
    { name: 'due on the 5th with 3 grace days: none on the 8th', terms: { start: '2001-01-01', dueDay: 5, graceDays: 3 }, asOf: '2001-03-08', fee: null },
    { name: 'due on the 5th with 3 grace days: fee on the 9th', terms: { start: '2001-01-01', dueDay: 5, graceDays: 3, lateFee: 2500 }, asOf: '2001-03-09', fee: 2500 },
    { name: 'no late fee on the lease', terms: { start: '2001-01-01', lateFee: 0 }, asOf: '2001-03-28', fee: null },
    { name: 'moved in on the 20th: due that day, none on the 25th', terms: { start: '2001-03-20' }, asOf: '2001-03-25', fee: null },
    { name: 'moved in on the 20th: fee on the 26th', terms: { start: '2001-03-20' }, asOf: '2001-03-26', fee: 5000 },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      await rolledBack(async (c) => {
        const id = await lease(c, t.terms);
        await run(c, t.asOf.slice(0, 8) + '01');
        if (t.paid) {
          await c.query(
            `select private.insert_ledger_entry(l.org_id, l.id, 'payment', -l.balance_minor, 'paid-' || l.id) from public.leases l where l.id = $1 and l.balance_minor > 0`,
            [id],
          );
        }
        await run(c, t.asOf);
        await run(c, t.asOf); // a second run the same day adds nothing
        const fees = (await entries(c, id)).filter((e) => e.kind === 'late_fee').map((e) => e.amount);
        expect(fees).toEqual(t.fee ? [t.fee] : []);
        expect(await balanceMismatches(c)).toBe(0);
      });
    });
  }
});

describe('idempotence and concurrency', () => {
  it('running twice gives the same ledger', async () => {
    await rolledBack(async (c) => {
      const ids = [await lease(c, { start: '2002-01-01' }), await lease(c, { start: '2002-05-10', end: '2002-09-15' })];
      const snapshot = async () => (await c.query(`select id, amount_minor from public.ledger_entries where lease_id = any ($1) order by id`, [ids])).rows;
      const first = await run(c, '2002-05-12');
      expect(first.rent_entries).toBeGreaterThanOrEqual(2);
      const after = await snapshot();
      const second = await run(c, '2002-05-12');
      expect(second).toMatchObject({ rent_entries: 0, late_fee_entries: 0 });
      expect(await snapshot()).toEqual(after);
    });
  });

  it('a rerun skips what the lease records as posted; a late run for an earlier month still posts it once', async () => {
    await rolledBack(async (c) => {
      const id = await lease(c, { start: '2002-01-01' });
      const posted = async () =>
        (await c.query(`select to_char(rent_posted_period, 'YYYY-MM-DD') as rent, to_char(late_fee_posted_period, 'YYYY-MM-DD') as fee from public.leases where id = $1`, [id])).rows[0];
      // The run covers every org's leases (other tests commit some): counts are checked per lease.
      await run(c, '2002-05-12');
      expect(await posted()).toEqual({ rent: '2002-05-01', fee: '2002-05-01' });
      // April was never run: a backfill posts it through the unique keys, once, and the markers
      // keep naming the latest month posted.
      await run(c, '2002-04-20');
      expect(await posted()).toEqual({ rent: '2002-05-01', fee: '2002-05-01' });
      expect(await run(c, '2002-04-25')).toMatchObject({ rent_entries: 0, late_fee_entries: 0 });
      expect(await run(c, '2002-05-20')).toMatchObject({ rent_entries: 0, late_fee_entries: 0 });
      const kinds = (await entries(c, id)).map((e) => `${e.kind} ${e.from}`).sort();
      expect(kinds).toEqual(['late_fee 2002-04-01', 'late_fee 2002-05-01', 'rent 2002-04-01', 'rent 2002-05-01']);
      // June goes through the plain insert (the marker names May) and moves the marker on.
      await run(c, '2002-06-01');
      expect(await posted()).toEqual({ rent: '2002-06-01', fee: '2002-05-01' });
    });
  });

  it('a marker that lags the ledger makes the run fail on the unique key, never post twice', async () => {
    await rolledBack(async (c) => {
      const id = await lease(c, { start: '2002-01-01' });
      await run(c, '2002-05-01');
      // Only a hand edit as postgres can do this: the trigger moves markers forward only.
      await c.query(`update public.leases set rent_posted_period = '2002-04-01' where id = $1`, [id]);
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      expect((await attempt(c, `select public.run_rent_charges('2002-05-02')`)).code).toBe('23505');
      await actAsPostgres(c);
      expect((await entries(c, id)).filter((e) => e.kind === 'rent')).toHaveLength(1);
    });
  });

  it('two runs in parallel post each charge once', async () => {
    const t = await createOrg({ start: '1999-01-01' });
    const a = await pool().connect();
    const b = await pool().connect();
    try {
      await a.query('begin');
      await b.query('begin');
      // Both start at once; whichever takes the run's advisory lock first commits, and the
      // other then finds everything posted.
      const runAndCommit = async (c: Tx) => {
        const r = await run(c, '1999-03-15');
        await c.query('commit');
        return r;
      };
      const results = await Promise.all([runAndCommit(a), runAndCommit(b)]);
      const posted = results.map((r) => r.rent_entries + r.late_fee_entries).sort((x, y) => x - y);
      expect(posted[0]).toBe(0);
      expect(posted[1]).toBeGreaterThanOrEqual(2);
    } finally {
      a.release();
      b.release();
    }
    const rows = (await pool().query(`select kind, amount_minor from public.ledger_entries where lease_id = $1 order by kind`, [t.lease])).rows;
    expect(rows).toEqual([
      { kind: 'late_fee', amount_minor: '5000' },
      { kind: 'rent', amount_minor: '100000' },
    ]);
  });

  it('only the service role (and the scheduler as postgres) may run it', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('owner', 'acme'));
      expect((await attempt(c, `select public.run_rent_charges('2001-01-01')`)).code).toBe('42501');
    });
  });
});

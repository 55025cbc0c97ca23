import { afterEach, describe, expect, it } from 'vitest';
import { actAs, attempt, balanceMismatches, pool, rolledBack, type Tx } from './db.ts';
import { login } from './fixtures.ts';

// What one org's rent run posts as of a local date (private.post_rent): rent once the date
// reaches the lease's due day, prorated by days; late fees after the grace days on what is still
// owed; each once (rent:/late: keys). The calendar that calls it per org and day, its run table
// and "run now" are tests/db/12-rent-calendar.test.ts.

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
async function lease(c: Tx, t: LeaseTerms): Promise<{ org: string; id: string }> {
  const org = (await c.query(`insert into public.organizations (name, slug) values ('Run', 'run-' || substr(md5(random()::text), 1, 8)) returning id`)).rows[0].id;
  const property = (await c.query(`insert into public.properties (org_id, name) values ($1, 'P') returning id`, [org])).rows[0].id;
  const unit = (await c.query(`insert into public.units (org_id, property_id, label) values ($1, $2, 'U') returning id`, [org, property])).rows[0].id;
  const id = (
    await c.query(
      `insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, due_day, grace_days, late_fee_minor)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
      [org, unit, t.status ?? 'active', t.start, t.end ?? null, t.rent ?? 300000, t.dueDay ?? 1, t.graceDays ?? 5, t.lateFee ?? 5000],
    )
  ).rows[0].id;
  return { org, id };
}

async function run(c: Tx, org: string, asOf: string): Promise<{ rent_entries: number; late_fee_entries: number; charged_lease_ids: string[] }> {
  return (await c.query('select * from private.post_rent($1, $2::date)', [org, asOf])).rows[0];
}

const entries = async (c: Tx, leaseId: string) =>
  (
    await c.query(
      `select kind, amount_minor::int as amount, to_char(period_start, 'YYYY-MM-DD') as from, to_char(period_end, 'YYYY-MM-DD') as to
       from public.ledger_entries where lease_id = $1 order by created_at, kind`,
      [leaseId],
    )
  ).rows;

describe('rent: posted once the date reaches the due day, prorated by days', () => {
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
    { name: 'due on the 15th: not yet on the 14th', terms: { start: '2001-01-01', dueDay: 15 }, asOf: '2001-03-14', rent: null },
    { name: 'due on the 15th: posted on the 15th', terms: { start: '2001-01-01', dueDay: 15 }, asOf: '2001-03-15', rent: { amount: 300000, from: '2001-03-01', to: '2001-03-31' } },
    { name: 'due on the 15th, moved in on the 10th: due the 15th', terms: { start: '2001-03-10', dueDay: 15 }, asOf: '2001-03-14', rent: null },
    {
      name: 'due on the 15th but ending on the 10th: posted on its last day (10 of 31 days)',
      terms: { start: '2000-01-01', end: '2001-03-10', dueDay: 15 },
      asOf: '2001-03-10',
      rent: { amount: 96774, from: '2001-03-01', to: '2001-03-10' },
    },
    {
      name: 'marked ended before the run: still owes its days this month',
      terms: { start: '2000-01-01', end: '2001-03-10', status: 'ended', dueDay: 15 },
      asOf: '2001-03-12',
      rent: { amount: 96774, from: '2001-03-01', to: '2001-03-10' },
    },
    { name: 'terminated: nothing more', terms: { start: '2000-01-01', end: '2001-03-10', status: 'terminated' }, asOf: '2001-03-05', rent: null },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      await rolledBack(async (c) => {
        const l = await lease(c, t.terms);
        const out = await run(c, l.org, t.asOf);
        const rows = (await entries(c, l.id)).filter((e) => e.kind === 'rent');
        expect(rows).toEqual(t.rent ? [{ kind: 'rent', ...t.rent }] : []);
        expect(out.charged_lease_ids).toEqual(t.rent ? [l.id] : []);
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
    { name: 'due on the 27th with 5 grace days: none on 1 April', terms: { start: '2001-01-01', dueDay: 27 }, asOf: '2001-04-01', fee: null },
    { name: 'due on the 27th with 5 grace days: March’s fee on 2 April', terms: { start: '2001-01-01', dueDay: 27 }, asOf: '2001-04-02', fee: 5000 },
    { name: 'grace into next month, paid in time: none', terms: { start: '2001-01-01', dueDay: 27 }, asOf: '2001-04-03', paid: true, fee: null },
    { name: 'grace into next month: not assessed past its week', terms: { start: '2001-01-01', dueDay: 27 }, asOf: '2001-04-09', fee: null },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      await rolledBack(async (c) => {
        const l = await lease(c, t.terms);
        // The rent falls due first (a run on the due day; late in the month, the month before)...
        const dueMonth = (t.terms.dueDay ?? 1) > 20 ? '2001-03-' : t.asOf.slice(0, 8);
        await run(c, l.org, dueMonth + String(t.terms.dueDay ?? 1).padStart(2, '0'));
        if (t.paid) {
          await c.query(
            `select private.insert_ledger_entry(l.org_id, l.id, 'payment', -l.balance_minor, 'paid-' || l.id) from public.leases l where l.id = $1 and l.balance_minor > 0`,
            [l.id],
          );
        }
        await run(c, l.org, t.asOf);
        await run(c, l.org, t.asOf); // a second run the same day adds nothing
        const fees = (await entries(c, l.id)).filter((e) => e.kind === 'late_fee').map((e) => `${e.amount} ${e.from.slice(0, 7)}`);
        expect(fees).toEqual(t.fee ? [`${t.fee} ${t.asOf.slice(0, 7) === '2001-04' ? '2001-03' : t.asOf.slice(0, 7)}`] : []);
        expect(await balanceMismatches(c)).toBe(0);
      });
    });
  }
});

describe('idempotence and scope', () => {
  it('running twice gives the same ledger', async () => {
    await rolledBack(async (c) => {
      const a = await lease(c, { start: '2002-01-01' });
      const b = await lease(c, { start: '2002-05-10', end: '2002-09-15' });
      const snapshot = async () => (await c.query(`select id, amount_minor from public.ledger_entries where lease_id = any ($1) order by id`, [[a.id, b.id]])).rows;
      for (const l of [a, b]) expect((await run(c, l.org, '2002-05-12')).rent_entries).toBe(1);
      const after = await snapshot();
      for (const l of [a, b]) expect(await run(c, l.org, '2002-05-12')).toMatchObject({ rent_entries: 0, late_fee_entries: 0, charged_lease_ids: [] });
      expect(await snapshot()).toEqual(after);
    });
  });

  it('posts only the given org: another org’s lease due the same day waits for its own run', async () => {
    await rolledBack(async (c) => {
      const a = await lease(c, { start: '2002-01-01' });
      const b = await lease(c, { start: '2002-01-01' });
      await run(c, a.org, '2002-05-01');
      expect((await entries(c, a.id)).map((e) => e.kind)).toEqual(['rent']);
      expect(await entries(c, b.id)).toEqual([]);
    });
  });

  it('a rerun skips what the lease records as posted; a late run for an earlier month still posts it once', async () => {
    await rolledBack(async (c) => {
      const l = await lease(c, { start: '2002-01-01' });
      const posted = async () =>
        (await c.query(`select to_char(rent_posted_period, 'YYYY-MM-DD') as rent, to_char(late_fee_posted_period, 'YYYY-MM-DD') as fee from public.leases where id = $1`, [l.id])).rows[0];
      await run(c, l.org, '2002-05-12');
      expect(await posted()).toEqual({ rent: '2002-05-01', fee: '2002-05-01' });
      // April was never run: a catch-up posts it through the unique keys, once, and the markers
      // keep naming the latest month posted.
      await run(c, l.org, '2002-04-20');
      expect(await posted()).toEqual({ rent: '2002-05-01', fee: '2002-05-01' });
      expect(await run(c, l.org, '2002-04-25')).toMatchObject({ rent_entries: 0, late_fee_entries: 0 });
      expect(await run(c, l.org, '2002-05-20')).toMatchObject({ rent_entries: 0, late_fee_entries: 0 });
      const kinds = (await entries(c, l.id)).map((e) => `${e.kind} ${e.from}`).sort();
      expect(kinds).toEqual(['late_fee 2002-04-01', 'late_fee 2002-05-01', 'rent 2002-04-01', 'rent 2002-05-01']);
      // June goes through the plain insert (the marker names May) and moves the marker on.
      await run(c, l.org, '2002-06-01');
      expect(await posted()).toEqual({ rent: '2002-06-01', fee: '2002-05-01' });
    });
  });

  it('a marker that lags the ledger makes the run fail on the unique key, never post twice', async () => {
    await rolledBack(async (c) => {
      const l = await lease(c, { start: '2002-01-01' });
      await run(c, l.org, '2002-05-01');
      // Only a hand edit as postgres can do this: the trigger moves markers forward only.
      await c.query(`update public.leases set rent_posted_period = '2002-04-01' where id = $1`, [l.id]);
      expect((await attempt(c, `select * from private.post_rent($1, '2002-05-02')`, [l.org])).code).toBe('23505');
      expect((await entries(c, l.id)).filter((e) => e.kind === 'rent')).toHaveLength(1);
    });
  });

  it('is audited as one bulk change of its org, through rent_run, whatever its size', async () => {
    await rolledBack(async (c) => {
      const l = await lease(c, { start: '2002-01-01' });
      await run(c, l.org, '2002-05-01');
      const audit = (await c.query(`select record_id, via, new_values from public.audit_log where org_id = $1 and table_name = 'ledger_entries'`, [l.org])).rows;
      expect(audit).toEqual([{ record_id: expect.stringMatching(/^bulk:\d+$/), via: 'rent_run', new_values: expect.objectContaining({ bulk: true, entries: 1, kinds: { rent: 1 } }) }]);
      // One bulk_change each for the entries and the lease balances, no message per row.
      const messages = (
        await c.query(
          `select topic, event, payload ->> 'table' as t from realtime.messages
           where topic = $1 and (payload ->> 'table' = 'ledger_entries' or (payload ->> 'table' = 'leases' and event <> 'INSERT'))
           order by t`,
          [`org:${l.org}:finance`],
        )
      ).rows;
      expect(messages).toEqual([
        { topic: `org:${l.org}:finance`, event: 'bulk_change', t: 'leases' },
        { topic: `org:${l.org}:finance`, event: 'bulk_change', t: 'ledger_entries' },
      ]);
    });
  });

  it('no API role may post rent directly: the run is the database’s own', async () => {
    for (const who of [login('owner', 'acme'), 'service_role'] as const) {
      await rolledBack(async (c) => {
        if (who === 'service_role') await actAs(c, 'anon', { claims: { role: 'service_role' } });
        else await actAs(c, who);
        expect((await attempt(c, `select * from private.post_rent(gen_random_uuid(), '2001-01-01')`)).code).toBe('42501');
      });
    }
  });
});

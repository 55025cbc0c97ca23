import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate, localHour, runCalendar } from '../db/calendar.ts';
import { db } from '../setup/clients.ts';
import { createPortfolio, mailTo, remind, type OrgSpec, type Portfolio } from './portfolio.ts';
import { browserKeys, startPushService, type PushService } from './push-service.ts';

// A simulated year, 2037, for five companies in five time zones (Los Angeles, London, Auckland, and
// both sides of the date line: Kiritimati at UTC+14 and Pago Pago at UTC-11): residents move in
// and out mid-month, pay on time, late, by half or not at all, and one company's run fails on a
// bad lease until a manager fixes it. Time is driven, not waited for: once a day, at 20:00 UTC
// (a morning or afternoon in every one of these zones, whatever their daylight saving: 08:00-
// 10:00 on the next day in Auckland and Kiritimati, 09:00 in Pago Pago), the test does what the
// hourly jobs would do at that instant (the rent calendar for the orgs whose local date moved on,
// then rent-reminders), then does it all again to show nothing changes.
//
// What the database posts and the function sends is compared with a model of the rules written
// here from first principles, not from the SQL: rent falls due on the lease's due day (its first
// day if it moves in later, its last day if it moves out before), prorated by days; a late fee the
// first run after the grace days while something is owed (grace days that end in the next month
// included); reminders N days before, from the due day through the grace days, and for two weeks
// after, in each org's local morning (08:00+).

const YEAR = 2037;
const MAX_BIGINT = 2n ** 63n - 1n;

// Calendar arithmetic on ISO dates (UTC midnight, no time zone involved).
const dayMs = 86_400_000;
const toDay = (iso: string) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / dayMs;
const fromDay = (n: number) => new Date(n * dayMs).toISOString().slice(0, 10);
const addDays = (iso: string, n: number) => fromDay(toDay(iso) + n);
const monthStart = (iso: string) => `${iso.slice(0, 7)}-01`;
const addMonths = (iso: string, n: number) => {
  const d = new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1 + n, 1));
  return d.toISOString().slice(0, 10);
};
const monthEnd = (iso: string) => addDays(addMonths(monthStart(iso), 1), -1);
const maxDay = (a: string, b: string) => (a > b ? a : b);
const minDay = (a: string, b: string) => (a < b ? a : b);
const span = (a: string, b: string) => toDay(b) - toDay(a) + 1;

type PayPlan = 'on-due' | 'late' | 'half' | 'never';

interface LeaseModel {
  org: number;
  start: string;
  end: string | null;
  rent: bigint;
  dueDay: number;
  grace: number;
  lateFee: bigint;
  residents: number[];
  status: 'active' | 'draft' | 'ended';
  pay: PayPlan;
  balance: bigint;
  rentPosted: Set<string>;
  feePosted: Set<string>;
  /** Expected ledger: kind, period, amount, effective date. */
  ledger: string[];
}

interface ResidentModel {
  org: number;
  email: boolean;
  login: boolean;
  prefs?: { email?: boolean; push?: boolean; in_app?: boolean };
  push: boolean;
}

interface OrgModel {
  tz: string;
  daysBefore: number;
  lastRun: string | null;
  /** Days queued behind a failing one. */
  pending: string[];
}

// The portfolio. Lease and resident indexes are global; each lease names its org.
const orgs: OrgModel[] = [
  { tz: 'America/Los_Angeles', daysBefore: 3, lastRun: null, pending: [] },
  { tz: 'Europe/London', daysBefore: 2, lastRun: null, pending: [] },
  { tz: 'Pacific/Auckland', daysBefore: 5, lastRun: null, pending: [] },
  { tz: 'Pacific/Kiritimati', daysBefore: 0, lastRun: null, pending: [] },
  { tz: 'Pacific/Pago_Pago', daysBefore: 3, lastRun: null, pending: [] },
];
const residents: ResidentModel[] = [
  { org: 0, email: true, login: true, push: false },
  { org: 0, email: true, login: false, push: false },
  { org: 0, email: true, login: true, prefs: { email: false, push: true }, push: true },
  { org: 0, email: true, login: true, prefs: { in_app: false }, push: false },
  { org: 1, email: true, login: true, push: true, prefs: { push: true } },
  { org: 1, email: false, login: true, push: false },
  { org: 2, email: true, login: false, push: false },
  { org: 2, email: true, login: true, prefs: { email: false }, push: false },
  { org: 3, email: true, login: false, push: false },
  { org: 3, email: true, login: true, push: false },
  { org: 4, email: true, login: false, push: false },
  { org: 4, email: true, login: true, push: false },
];
const lease = (o: Partial<LeaseModel> & Pick<LeaseModel, 'org' | 'start' | 'rent' | 'dueDay' | 'grace' | 'residents' | 'pay'>): LeaseModel => ({
  end: null,
  lateFee: 5000n,
  status: 'active',
  balance: 0n,
  rentPosted: new Set(),
  feePosted: new Set(),
  ledger: [],
  ...o,
});
const leases: LeaseModel[] = [
  // Los Angeles: due on the 1st; one moves in mid-March; one moves out on 14 June and a new
  // resident moves into that unit on the 20th.
  lease({ org: 0, start: `${YEAR}-01-01`, rent: 180000n, dueDay: 1, grace: 5, residents: [0], pay: 'on-due' }),
  lease({ org: 0, start: `${YEAR}-03-16`, rent: 210000n, dueDay: 1, grace: 5, residents: [1, 2], pay: 'late' }),
  lease({ org: 0, start: `${YEAR}-01-01`, end: `${YEAR}-06-14`, rent: 150000n, dueDay: 1, grace: 5, residents: [3], pay: 'half' }),
  lease({ org: 0, start: `${YEAR}-06-20`, rent: 160000n, dueDay: 1, grace: 5, residents: [3], pay: 'on-due', status: 'draft' }),
  // London: due on the 15th; one ends on 10 September, before its due day.
  lease({ org: 1, start: `${YEAR}-01-01`, rent: 120000n, dueDay: 15, grace: 3, residents: [4], pay: 'never', lateFee: 2500n }),
  lease({ org: 1, start: `${YEAR}-01-01`, end: `${YEAR}-09-10`, rent: 95000n, dueDay: 15, grace: 3, residents: [5], pay: 'on-due' }),
  // Auckland: due on the 27th, so the grace days run into the next month.
  lease({ org: 2, start: `${YEAR}-01-01`, rent: 150000n, dueDay: 27, grace: 5, residents: [6], pay: 'late', lateFee: 3000n }),
  lease({ org: 2, start: `${YEAR}-02-10`, rent: 98000n, dueDay: 27, grace: 5, residents: [7], pay: 'on-due', lateFee: 3000n }),
  // Kiritimati (UTC+14): no upcoming reminders; one moves in on 20 January.
  lease({ org: 3, start: `${YEAR}-01-01`, rent: 90000n, dueDay: 5, grace: 2, residents: [8], pay: 'half' }),
  lease({ org: 3, start: `${YEAR}-01-20`, rent: 110000n, dueDay: 5, grace: 2, residents: [9], pay: 'late' }),
  // Pago Pago (UTC-11): a rent typed with too many digits posts once, then overflows the
  // balance from February's run on, failing the company's runs until it is corrected.
  lease({ org: 4, start: `${YEAR}-01-01`, rent: 100000n, dueDay: 1, grace: 5, residents: [10], pay: 'on-due' }),
  lease({ org: 4, start: `${YEAR}-01-01`, rent: 9_000_000_000_000_000_000n, dueDay: 1, grace: 5, residents: [11], pay: 'never', lateFee: 0n }),
];
const BAD_LEASE = 11;
/** Lifecycle, on the org's local date, before that day's run: a manager's edits. */
const events: { lease: number; on: string; apply: 'end' | 'activate' | 'fix-rent' }[] = [
  { lease: 2, on: `${YEAR}-06-15`, apply: 'end' },
  { lease: 3, on: `${YEAR}-06-20`, apply: 'activate' },
  { lease: 5, on: `${YEAR}-09-11`, apply: 'end' },
  { lease: BAD_LEASE, on: `${YEAR}-02-04`, apply: 'fix-rent' },
];
const FIXED_RENT = 100000n;

/** The model of one org's rent run as of `day`: returns false when the run fails. */
function modelRun(orgIndex: number, day: string): boolean {
  const p = monthStart(day);
  const pEnd = monthEnd(day);
  const mine = leases.filter((l) => l.org === orgIndex);
  const eligible = (l: LeaseModel) =>
    (l.status === 'active' || (l.status === 'ended' && l.end !== null && l.end >= p)) && l.start <= pEnd && (l.end === null || l.end >= p);
  const dueDate = (l: LeaseModel) => maxDay(addDays(p, l.dueDay - 1), l.start);
  const posts: [LeaseModel, string, bigint, string, string][] = [];
  const balances = new Map(mine.map((l) => [l, l.balance]));
  for (const l of mine.filter(eligible)) {
    const first = maxDay(l.start, p);
    const last = l.end === null ? pEnd : minDay(l.end, pEnd);
    if (minDay(dueDate(l), last) > day || l.rentPosted.has(p)) continue;
    const days = BigInt(span(first, last));
    const month = BigInt(span(p, pEnd));
    // round half up on positive amounts, never below 1
    let amount = (2n * l.rent * days + month) / (2n * month);
    if (amount < 1n) amount = 1n;
    posts.push([l, 'rent', amount, first, p]);
    balances.set(l, balances.get(l)! + amount);
  }
  // Late fees: this period's once its grace days are over, and last period's when its grace days
  // ended at the turn of the month or in this one (assessed in the week after). Owed = the balance
  // once this run's rent is counted.
  const owed = new Map(balances);
  const previous = addMonths(p, -1);
  for (const l of mine) {
    for (const [period, isPrevious] of [
      [p, false],
      [previous, true],
    ] as const) {
      const periodEnd = monthEnd(period);
      const inPeriod = (l.status === 'active' || (l.status === 'ended' && l.end !== null && l.end >= period)) && (l.end === null || l.end >= period);
      if (!inPeriod || l.lateFee <= 0n || owed.get(l)! <= 0n || l.start > minDay(day, periodEnd) || l.feePosted.has(period)) continue;
      const lastGraceDay = addDays(maxDay(addDays(period, l.dueDay - 1), l.start), l.grace);
      if (day <= lastGraceDay) continue;
      if (isPrevious && (lastGraceDay < addDays(p, -1) || day > addDays(lastGraceDay, 7))) continue;
      posts.push([l, 'late_fee', l.lateFee, day, period]);
      balances.set(l, balances.get(l)! + l.lateFee);
    }
  }
  if ([...balances.values()].some((b) => b > MAX_BIGINT)) return false;
  for (const [l, kind, amount, effective, period] of posts) {
    (kind === 'rent' ? l.rentPosted : l.feePosted).add(period);
    l.balance += amount;
    l.ledger.push(`${kind} ${period} ${amount} ${effective}`);
  }
  return true;
}

/** The reminders the model expects planned for an org at this instant, as keys. */
function modelReminders(orgIndex: number, instant: Date, keys: Set<string>): void {
  const org = orgs[orgIndex]!;
  if (localHour(instant, org.tz) < 8) return;
  const today = localDate(instant, org.tz);
  for (const [li, l] of leases.entries()) {
    if (l.org !== orgIndex || (l.status !== 'active' && l.status !== 'ended')) continue;
    for (const m of [-1, 0, 1]) {
      const p = addMonths(monthStart(today), m);
      const pEnd = monthEnd(p);
      if (l.start > pEnd || (l.end !== null && l.end < p) || (l.status === 'ended' && (l.end === null || l.end < p))) continue;
      const due = maxDay(addDays(p, l.dueDay - 1), l.start);
      const last = l.end === null ? pEnd : minDay(l.end, pEnd);
      const charge = minDay(due, last);
      const days = BigInt(span(maxDay(l.start, p), last));
      const month = BigInt(span(p, pEnd));
      let rent = (2n * l.rent * days + month) / (2n * month);
      if (rent < 1n) rent = 1n;
      const kinds: string[] = [];
      if (l.status === 'active' && org.daysBefore > 0 && today >= addDays(charge, -org.daysBefore) && today < charge && l.balance + rent > 0n) kinds.push('upcoming');
      if (today >= charge && today <= addDays(due, l.grace) && l.balance > 0n) kinds.push('due');
      if (today > addDays(due, l.grace) && today <= addDays(due, l.grace + 14) && l.balance > 0n) kinds.push('overdue');
      for (const kind of kinds) {
        for (const ri of l.residents) {
          const r = residents[ri]!;
          if ((r.prefs?.email ?? true) && r.email) keys.add(`${li}|${p}|${kind}|email|${ri}`);
          if ((r.prefs?.in_app ?? true) && r.login) keys.add(`${li}|${p}|${kind}|in_app|${ri}`);
          if ((r.prefs?.push ?? false) && r.login && r.push) keys.add(`${li}|${p}|${kind}|push|${ri}`);
        }
      }
    }
  }
}

/** When a lease pays in a period, and how much of its balance. */
function paymentDue(l: LeaseModel, p: string): { on: string; half: boolean } | null {
  const due = maxDay(addDays(p, l.dueDay - 1), l.start);
  switch (l.pay) {
    case 'on-due':
      return { on: due, half: false };
    case 'late':
      return { on: addDays(due, l.grace + 2), half: false };
    case 'half':
      return { on: addDays(due, 1), half: true };
    case 'never':
      return null;
  }
}

describe(`a simulated year (${YEAR}) of rent and reminders in five time zones`, () => {
  let client: pg.Client;
  let push: PushService;
  let portfolios: Portfolio[];
  const leaseIds: string[] = [];
  const residentRows: { id: string; userId: string | null; email: string | null }[] = [];
  const endpoints = new Map<number, string>();

  beforeAll(async () => {
    client = await db();
    push = await startPushService();
    portfolios = [];
    for (const [oi, o] of orgs.entries()) {
      const mine = residents.map((r, i) => [r, i] as const).filter(([r]) => r.org === oi);
      const spec: OrgSpec = {
        name: `Year ${oi} ${Date.now()}`,
        timezone: o.tz,
        currency: { 'Europe/London': 'GBP', 'Pacific/Auckland': 'NZD', 'Pacific/Kiritimati': 'AUD' }[o.tz] ?? 'USD',
        locale: { 'Europe/London': 'en-GB', 'Pacific/Auckland': 'en-NZ', 'Pacific/Kiritimati': 'en-AU' }[o.tz] ?? 'en-US',
        reminderDaysBefore: o.daysBefore,
        residents: mine.map(([r, i]) => {
          const endpoint = `${push.url}/year-${Date.now()}-${i}`;
          if (r.push) endpoints.set(i, endpoint);
          return {
            name: `Resident ${i}`,
            email: r.email ? undefined : null,
            login: r.login,
            prefs: r.prefs,
            push: r.push ? [{ endpoint, ...browserKeys() }] : [],
          };
        }),
        leases: leases
          .filter((l) => l.org === oi)
          .map((l) => ({
            start: l.start,
            end: l.end,
            status: l.status === 'draft' ? 'draft' : 'active',
            rent: Number(l.rent > BigInt(Number.MAX_SAFE_INTEGER) ? 1 : l.rent),
            dueDay: l.dueDay,
            graceDays: l.grace,
            lateFee: Number(l.lateFee),
            residents: l.residents.map((ri) => mine.findIndex(([, i]) => i === ri)),
          })),
      };
      const made = await createPortfolio(client, spec);
      portfolios.push(made);
      for (const [k, [, i]] of mine.entries()) residentRows[i] = made.residents[k]!;
      const ofOrg = leases.map((_, i) => i).filter((i) => leases[i]!.org === oi);
      for (const [k, li] of ofOrg.entries()) leaseIds[li] = made.leases[k]!;
    }
    // The moves out and in share a unit, as they would.
    await client.query(`update public.leases set unit_id = (select unit_id from public.leases where id = $1) where id = $2`, [leaseIds[2], leaseIds[3]]);
    // A rent too large for the ledger's balance: typed as 9,000,000,000,000,000,000.
    await client.query(`update public.leases set rent_minor = $1 where id = $2`, [leases[BAD_LEASE]!.rent.toString(), leaseIds[BAD_LEASE]]);
  });

  afterAll(async () => {
    await client.end();
    await push.close();
  });

  it('posts exactly the modelled charges and sends each modelled reminder once; rerunning any day changes nothing; a failing org is retried without holding up the others', async () => {
    const orgIds = portfolios.map((p) => p.id);
    const expectedReminders = new Set<string>();
    const applied = new Set<number>();
    const paid = new Set<string>();
    let failures = 0;
    let fixedAt: string | null = null;
    const counts = async () =>
      (
        await client.query(
          `select (select count(*)::int from public.ledger_entries where org_id = any ($1)) as ledger,
                  (select count(*)::int from public.reminders_sent where org_id = any ($1)) as reminders`,
          [orgIds],
        )
      ).rows[0] as { ledger: number; reminders: number };

    for (let t = Date.UTC(YEAR - 1, 11, 31, 20); t <= Date.UTC(YEAR, 11, 31, 20); t += 24 * 3600_000) {
      const instant = new Date(t);
      const now = instant.toISOString();
      // 1. Managers' edits effective on each org's local date.
      for (const [ei, e] of events.entries()) {
        const l = leases[e.lease]!;
        if (applied.has(ei) || localDate(instant, orgs[l.org]!.tz) < e.on) continue;
        applied.add(ei);
        if (e.apply === 'end') l.status = 'ended';
        if (e.apply === 'activate') l.status = 'active';
        if (e.apply === 'fix-rent') {
          l.rent = FIXED_RENT;
          fixedAt = now;
        }
        await client.query(
          e.apply === 'fix-rent' ? `update public.leases set rent_minor = $2 where id = $1` : `update public.leases set status = $2 where id = $1`,
          [leaseIds[e.lease], e.apply === 'fix-rent' ? FIXED_RENT.toString() : l.status],
        );
      }
      // 2. The hourly rent calendar, and the model of it: each org's new local days in order,
      // a failed day retried once per job and holding back the days after it.
      await runCalendar(client, now, orgIds);
      for (const [oi, o] of orgs.entries()) {
        const today = localDate(instant, o.tz);
        for (let d = o.lastRun === null ? today : addDays(o.lastRun, 1); d <= today; d = addDays(d, 1)) o.pending.push(d);
        if (o.pending.length) o.lastRun = o.pending.at(-1)!;
        while (o.pending.length) {
          if (!modelRun(oi, o.pending[0]!)) {
            failures++;
            break;
          }
          o.pending.shift();
        }
      }
      // 3. Residents pay, after the day's run, on their local date.
      for (const [li, l] of leases.entries()) {
        if (l.status === 'draft') continue;
        const today = localDate(instant, orgs[l.org]!.tz);
        for (const p of [addMonths(monthStart(today), -1), monthStart(today)]) {
          const plan = paymentDue(l, p);
          if (!plan || plan.on > today || paid.has(`${li}|${p}`) || l.start > monthEnd(p)) continue;
          paid.add(`${li}|${p}`);
          const dbBalance = (await client.query(`select balance_minor from public.leases where id = $1`, [leaseIds[li]])).rows[0].balance_minor;
          expect(BigInt(dbBalance), `lease ${li}'s balance before its ${p} payment (${now})`).toBe(l.balance);
          const amount = plan.half ? l.balance / 2n : l.balance;
          if (amount <= 0n) continue;
          await client.query(`select private.insert_ledger_entry($1, $2, 'payment', $3, $4)`, [portfolios[l.org]!.id, leaseIds[li], (-amount).toString(), `sim:${leaseIds[li]}:${p}`]);
          l.balance -= amount;
          l.ledger.push(`payment ${p} ${-amount}`);
        }
      }
      // 4. The reminders job, and the model of what it plans.
      const before = expectedReminders.size;
      for (const oi of orgs.keys()) modelReminders(oi, instant, expectedReminders);
      const run = await remind(now, orgIds);
      expect(run, `reminders at ${now}`).toMatchObject({ planned: expectedReminders.size - before, failed: 0, more: false });
      // 5. The same instant again: nothing new anywhere.
      const after = await counts();
      await runCalendar(client, now, orgIds);
      expect(await remind(now, orgIds), `rerun of ${now}`).toEqual({ planned: 0, sent: 0, failed: 0, skipped: 0, more: false });
      expect(await counts(), `rerun of ${now}`).toEqual(after);
    }

    // The bad lease failed Pago Pago's runs on 1, 2 and 3 February until the fix, retried each time.
    expect(failures).toBe(3);
    expect(fixedAt).not.toBeNull();
    const pago = (
      await client.query(
        `select to_char(local_date, 'YYYY-MM-DD') as day, status, attempts, error_code from public.rent_runs
         where org_id = $1 and local_date between $2 and $3 order by local_date`,
        [portfolios[4]!.id, `${YEAR}-02-01`, `${YEAR}-02-04`],
      )
    ).rows;
    expect(pago.map((r) => [r.day, r.status])).toEqual([
      [`${YEAR}-02-01`, 'succeeded'],
      [`${YEAR}-02-02`, 'succeeded'],
      [`${YEAR}-02-03`, 'succeeded'],
      [`${YEAR}-02-04`, 'succeeded'],
    ]);
    expect(pago[0].attempts).toBeGreaterThan(3);
    // The other companies' February runs went on meanwhile, each on its first attempt.
    const others = (
      await client.query(
        `select count(*)::int as n, max(attempts) as most from public.rent_runs where org_id = any ($1) and local_date between $2 and $3`,
        [orgIds.slice(0, 4), `${YEAR}-02-01`, `${YEAR}-02-04`],
      )
    ).rows[0];
    expect(others).toEqual({ n: 16, most: 1 });

    // Every lease's ledger is exactly the model's.
    for (const [li, l] of leases.entries()) {
      const rows = (
        await client.query(
          `select kind, to_char(period_start, 'YYYY-MM-DD') as p, amount_minor::text as amount, to_char(effective_date, 'YYYY-MM-DD') as eff, idempotency_key
           from public.ledger_entries where lease_id = $1`,
          [leaseIds[li]],
        )
      ).rows;
      const actual = rows
        .map((r) => (r.kind === 'payment' ? `payment ${r.idempotency_key.split(':').at(-1)} ${r.amount}` : `${r.kind} ${monthStart(r.p)} ${r.amount} ${r.kind === 'rent' ? r.p : r.eff}`))
        .sort();
      expect(actual, `ledger of lease ${li}`).toEqual([...l.ledger].sort());
      const balance = (await client.query(`select balance_minor from public.leases where id = $1`, [leaseIds[li]])).rows[0].balance_minor;
      expect(BigInt(balance), `balance of lease ${li}`).toBe(l.balance);
    }

    // Every modelled reminder was planned and sent once, and nothing else.
    const rows = (
      await client.query(
        `select lease_id, to_char(period_start, 'YYYY-MM-DD') as p, kind, channel, resident_id, status
         from public.reminders_sent where org_id = any ($1)`,
        [orgIds],
      )
    ).rows;
    const leaseIndex = new Map(leaseIds.map((id, i) => [id, i]));
    const residentIndex = new Map(residentRows.map((r, i) => [r.id, i]));
    expect(rows.map((r) => `${leaseIndex.get(r.lease_id)}|${r.p}|${r.kind}|${r.channel}|${residentIndex.get(r.resident_id)}`).sort()).toEqual(
      [...expectedReminders].sort(),
    );
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['sent']));
    const per = (channel: string, ri: number) => [...expectedReminders].filter((k) => k.endsWith(`|${channel}|${ri}`)).length;
    for (const [ri, r] of residentRows.entries()) {
      if (r.email) expect((await mailTo(r.email)).length, `emails to resident ${ri}`).toBe(per('email', ri));
      if (r.userId) {
        const inApp = (await client.query(`select count(*)::int as n from public.notifications where user_id = $1 and kind like 'rent.%'`, [r.userId])).rows[0].n;
        expect(inApp, `in-app notifications of resident ${ri}`).toBe(per('in_app', ri));
      }
      const endpoint = endpoints.get(ri);
      if (endpoint) expect(push.deliveries.filter((d) => endpoint.endsWith(d.path)).length, `pushes to resident ${ri}`).toBe(per('push', ri));
    }
    // Sanity: the year exercised every kind, channel and zone.
    for (const k of ['upcoming', 'due', 'overdue']) expect([...expectedReminders].some((x) => x.includes(`|${k}|`))).toBe(true);
    for (const c of ['email', 'push', 'in_app']) expect([...expectedReminders].some((x) => x.includes(`|${c}|`))).toBe(true);
    // About 30 s alone on our machines; more when other files share the two cores.
  }, 180_000);
});

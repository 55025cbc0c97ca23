import { createHmac, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { percentile, printTable, processRunMs, writeResult, type BenchContext } from './lib.ts';

const PAYMENTS = 2000;
const DUPLICATE_SHARE = 0.3;
const SENDERS = 16;

/**
 * stripe-webhook's throughput, exactly once: signed payment_intent.succeeded events posted straight
 * to the function (as Stripe signs them: HMAC-SHA256 of "<t>.<body>" with the Connect secret), 30%
 * of them again under the same id, from 16 senders. The first delivery of each books the payment
 * (one transaction: event id, status, ledger entry, balance, realtime, audit) and is answered; its
 * PDF receipt follows in the worker's background queue (Storage, then receipt_path in batches); a
 * duplicate is one insert that finds the id. Afterwards the database must hold exactly one payment
 * entry per payment and balances equal to ledger sums. The whole burst, receipts included, is
 * reported too, with the database's CPU per payment split by who spent it.
 */
export default async function webhooksBench({ stack }: BenchContext): Promise<void> {
  const db = new pg.Client({ connectionString: stack.DB_URL });
  await db.connect();
  try {
    const slug = `wh-${randomUUID().slice(0, 8)}`;
    const account = `acct_bench${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const org = (await db.query(`insert into public.organizations (name, slug, plan, unit_limit, stripe_account_id, charges_enabled) values ('Webhook bench', $1, 'enterprise', 5000, $2, true) returning id`, [slug, account])).rows[0].id as string;
    const leases = (
      await db.query(
        `with p as (insert into public.properties (org_id, name) values ($1, 'Bench') returning id),
              u as (insert into public.units (org_id, property_id, label) select $1, p.id, 'U' || g from p, generate_series(1, 200) g returning id)
         insert into public.leases (org_id, unit_id, status, start_date, rent_minor) select $1, id, 'active', '2026-01-01', 100000 from u returning id`,
        [org],
      )
    ).rows.map((r) => r.id as string);
    const payments = (
      await db.query(
        `insert into public.payments (org_id, lease_id, status, amount_minor, currency, stripe_account_id)
         select $1, ($2::uuid[])[1 + g % 200], 'pending', 1000 + g, 'USD', $3 from generate_series(0, $4 - 1) g returning id, amount_minor`,
        [org, leases, account, PAYMENTS],
      )
    ).rows as { id: string; amount_minor: string }[];

    const created = Math.floor(Date.now() / 1000);
    const events = payments.map((p, i) => ({
      id: `evt_bench${i}${randomUUID().replace(/-/g, '').slice(0, 10)}`,
      object: 'event',
      api_version: '2026-11-18.endive',
      created,
      livemode: false,
      account,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: `pi_bench${i}${randomUUID().replace(/-/g, '').slice(0, 10)}`,
          object: 'payment_intent',
          amount: Number(p.amount_minor),
          amount_received: Number(p.amount_minor),
          currency: 'usd',
          status: 'succeeded',
          last_payment_error: null,
          metadata: { org_id: org, payment_id: p.id },
        },
      },
    }));
    const bodies = events.map((e) => JSON.stringify(e, null, 2));
    const dupes = bodies.filter(() => Math.random() < DUPLICATE_SHARE);
    const order = [...bodies, ...dupes].sort(() => Math.random() - 0.5);

    const url = `${stack.API_URL}/functions/v1/stripe-webhook`;
    const secret = stack.STRIPE_CONNECT_WEBHOOK_SECRET!;
    const post = async (body: string) => {
      const t = Math.floor(Date.now() / 1000);
      const sig = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
      const t0 = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sig }, body });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - t0 };
    };
    // Warm the worker (boot, npm imports, first connection) before timing.
    await post(JSON.stringify({ ...events[0], id: 'evt_bench_warmup', type: 'customer.created', data: { object: { id: 'cus_x', object: 'customer' } } }));

    // Where the machine's time goes, per event: the database's backends (with the Realtime
    // feed's walsender), the function's Deno worker, and the stack process (gateway, Storage).
    // On hosted Supabase functions run apart from the database, so the database's share is what
    // bounds the rate there.
    const workers = pidsOf('deno-worker', 'stripe-webhook');
    // The database's backends, and whose each is: the function's, the Realtime feed, or others.
    const sessions = async () =>
      new Map((await db.query(`select pid, case when backend_type = 'walsender' then 'realtime' when application_name = 'lintel edge function' then 'function' else 'other' end as who from pg_catalog.pg_stat_activity where pid <> pg_backend_pid()`)).rows.map((r) => [r.pid as number, r.who as string]));
    const dbPids = async () => [...(await sessions()).keys()];
    const cpu = (pid: number) => processRunMs(pid) ?? 0;
    const withCpu = async <T extends { events: number }>(measure: () => Promise<T>) => {
      const before = new Map([...(await dbPids()), ...workers, Number(stack.PID)].map((pid) => [pid, cpu(pid)]));
      const out = await measure();
      const spent = (pids: number[]) => pids.reduce((sum, pid) => sum + cpu(pid) - (before.get(pid) ?? 0), 0) / out.events;
      return { ...out, db_cpu_ms: round2(spent(await dbPids())), fn_cpu_ms: round2(spent(workers)), stack_cpu_ms: round2(spent([Number(stack.PID)])) };
    };
    // Receipts are written after each first delivery's answer: wait for them, so the next case
    // is not measured against that work, and say how long they took.
    const receiptsDone = async (since: number) => {
      for (;;) {
        const n = Number((await db.query('select count(*) as n from public.payments where org_id = $1 and receipt_path is not null', [org])).rows[0].n);
        if (n >= PAYMENTS || performance.now() - since > 120_000) return { receipts: n, seconds: (performance.now() - since) / 1000 };
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const run = async (list: string[]) => {
      const ms: number[] = [];
      const statuses = new Map<number, number>();
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < list.length) {
            const r = await post(list[next++]!);
            ms.push(r.ms);
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      return { events: list.length, seconds, events_per_s: list.length / seconds, p50_ms: percentile(ms, 50), p99_ms: percentile(ms, 99), non_2xx: list.length - (statuses.get(200) ?? 0) };
    };
    // The whole burst until the last receipt: the database's CPU by connection, per payment.
    const burstStart = new Map((await dbPids()).map((pid) => [pid, cpu(pid)]));
    const t0 = performance.now();
    const first = await withCpu(() => run(order));
    const receipts = await receiptsDone(t0);
    const burstDb: Record<string, number> = { function: 0, other: 0, realtime: 0 };
    for (const [pid, who] of await sessions()) burstDb[who] = (burstDb[who] ?? 0) + (cpu(pid) - (burstStart.get(pid) ?? 0)) / PAYMENTS;
    const again = await withCpu(() => run(bodies));
    // The ceiling of the path itself (gateway, Deno, signature, zod): verified, not handled, no database.
    const ignored = await withCpu(() => run(bodies.slice(0, 1000).map((b) => b.replace('"payment_intent.succeeded"', '"customer.updated"'))));

    const check = (
      await db.query(
        `select (select count(*) from public.ledger_entries where org_id = $1 and kind = 'payment') as entries,
                (select count(*) from public.payments where org_id = $1 and status = 'succeeded') as succeeded,
                (select count(*) from public.payments where org_id = $1 and receipt_path is not null) as receipts,
                (select count(*) from public.leases l where l.org_id = $1 and l.balance_minor <> coalesce((select sum(e.amount_minor) from public.ledger_entries e where e.lease_id = l.id), 0)) as mismatches`,
        [org],
      )
    ).rows[0];
    const exactlyOnce = Number(check.entries) === PAYMENTS && Number(check.succeeded) === PAYMENTS && Number(check.mismatches) === 0;
    const rows = [
      { case: `first deliveries + ${Math.round(DUPLICATE_SHARE * 100)}% same-id duplicates, shuffled`, ...first },
      { case: 'every event again (all duplicates)', ...again },
      { case: 'verified but not handled (no database)', ...ignored },
    ];
    printTable(`stripe-webhook, ${SENDERS} senders, ${PAYMENTS} payments (CPU per event: database, function, stack)`, rows);
    const burstTotal = burstDb.function! + burstDb.other! + burstDb.realtime!;
    process.stdout.write(
      `\nAll ${receipts.receipts} receipts written ${receipts.seconds.toFixed(1)} s after the first delivery was sent.` +
        `\nDatabase CPU per payment over the whole burst, receipts included: ${burstTotal.toFixed(2)} ms ` +
        `(the function's connections ${burstDb.function!.toFixed(2)}, Storage's and others ${burstDb.other!.toFixed(2)}, the Realtime feed ${burstDb.realtime!.toFixed(2)}), ` +
        `so one database core takes about ${Math.round(1000 / burstTotal)} payments/s with their receipts when the functions and Storage run elsewhere, as on hosted Supabase.\n`,
    );
    printTable('Exactly once afterwards', [
      { payments: PAYMENTS, payment_entries: Number(check.entries), succeeded: Number(check.succeeded), receipts: Number(check.receipts), balance_mismatches: Number(check.mismatches), exactly_once: String(exactlyOnce) },
    ]);
    const readOnly = await readOnlyCheckCost(db, org);
    printTable('Read-only check (billing lapse) per staff write statement: 2,000 one-row updates of a property as a manager', readOnly);
    writeResult('webhooks', { payments: PAYMENTS, senders: SENDERS, runs: rows, receipts, burst_db_cpu_ms_per_payment: burstDb, check, exactlyOnce, readOnly });
    if (!exactlyOnce) throw new Error(`not exactly once: ${JSON.stringify(check)}`);
  } finally {
    await db.end();
  }
}

/**
 * What the lapsed-billing trigger adds to a staff write: one statement-level check (a primary-key
 * lookup of the org) per statement. 2,000 single-row updates as a manager, with and without it, in
 * a rolled-back transaction; the median of three rounds each.
 */
async function readOnlyCheckCost(db: pg.Client, org: string) {
  const property = (await db.query('select id from public.properties where org_id = $1 limit 1', [org])).rows[0].id as string;
  const claims = JSON.stringify({ role: 'authenticated', sub: randomUUID(), org_id: org, org_role: 'manager' });
  const round = async (withCheck: boolean) => {
    await db.query('begin');
    try {
      if (!withCheck) await db.query('alter table public.properties disable trigger properties_before_write_require_writable');
      await db.query(`select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`, [claims]);
      const t0 = performance.now();
      await db.query(`do $$ begin for i in 1..2000 loop update public.properties set name = name where id = '${property}'; end loop; end $$`);
      return performance.now() - t0;
    } finally {
      await db.query('rollback');
    }
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  const withCheck: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 3; i++) {
    without.push(await round(false));
    withCheck.push(await round(true));
  }
  const a = median(without);
  const b = median(withCheck);
  return [
    { case: 'without the check', ms_per_2000: a, us_per_statement: (a * 1000) / 2000 },
    { case: 'with the check', ms_per_2000: b, us_per_statement: (b * 1000) / 2000 },
    { case: 'the check costs', ms_per_2000: b - a, us_per_statement: ((b - a) * 1000) / 2000 },
  ];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Local processes whose command line mentions every one of `words`. */
function pidsOf(...words: string[]): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return words.every((w) => cmd.includes(w));
      } catch {
        return false;
      }
    });
}

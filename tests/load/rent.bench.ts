import pg from 'pg';
import { calendarJobForOrgs, setCalendarJob } from '../db/calendar.ts';
import { DEFAULT_DATASET, generateDataset } from './generate.ts';
import { percentile, printTable, processRunMs, settle, writeResult, type BenchContext } from './lib.ts';

// The rent calendar at scale: 2,000 orgs with about 100,000 active leases (the RLS benchmark's
// skewed shape, its own copy with the prefix "rent"), all in one time zone, so every org's
// local date turns at once (the worst hour). It runs the hourly job in the database as pg_cron
// does (a DO block committing per claim and per org), on as many backends at once as there are
// rent-calendar jobs (BENCH_RENT_RUNNERS overrides, to compare), limited to this dataset's orgs,
// as of chosen instants: the 1st (every lease's rent falls due), the same hour again, the whole
// day again, and the 7th (six days caught up, late fees on everything unpaid). Figures: wall
// time for all orgs and the job backends' CPU time, each org's transaction (claim to finish),
// entries, WAL.

interface Phase {
  phase: string;
  wall_ms: number;
  /** CPU the job backends used: on a shared machine, the figure other work does not inflate. */
  cpu_ms: number | string;
  runs: number;
  rent_entries: number;
  late_fees: number;
  max_tx_ms: number;
  p99_tx_ms: number;
  p50_tx_ms: number;
  failed: number;
  wal_mb: number;
}

export default async function rentBench({ stack }: BenchContext): Promise<void> {
  const url = process.env.BENCH_DB_URL || stack.DB_URL!;
  const small = Boolean(process.env.BENCH_SMALL);
  const dataset = await generateDataset(url, { ...DEFAULT_DATASET, ...(small ? { orgs: 40, largeUnits: 400 } : {}), months: 1, prefix: 'rent' });
  process.stdout.write(`Dataset: ${JSON.stringify(dataset)}\n`);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  // The stack's own hourly jobs would charge these orgs for today too: hold them for the bench.
  const jobs = (await db.query(`select jobid from cron.job where (jobname like 'rent-calendar%' or jobname = 'rent-reminders') and active`)).rows.map((r) => r.jobid);
  const scheduled = (await db.query(`select count(*)::int as n from cron.job where jobname like 'rent-calendar%'`)).rows[0].n as number;
  const runners = await Promise.all(
    Array.from({ length: Number(process.env.BENCH_RENT_RUNNERS) || scheduled }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  process.stdout.write(`Runners: ${runners.length} (${scheduled} rent-calendar jobs scheduled)\n`);
  for (const id of jobs) await db.query('select cron.alter_job($1, active := false)', [id]);
  try {
    const orgIds = (await db.query(`select id from public.organizations where slug like 'rent-%' order by id`)).rows.map((r) => r.id as string);
    const month = (await db.query(`select to_char(date_trunc('month', current_date), 'YYYY-MM') as m`)).rows[0].m as string;
    await settle(db, 600_000, (s) => process.stdout.write(s));

    const pid = (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const runnerPids = await Promise.all(runners.map(async (r) => (await r.query('select pg_backend_pid() as pid')).rows[0].pid as number));
    const runnersCpu = (): number | undefined => {
      let sum = 0;
      for (const p of runnerPids) {
        const ms = processRunMs(p);
        if (ms === undefined) return undefined;
        sum += ms;
      }
      return sum;
    };
    const wal = async () => (await db.query('select pg_current_wal_insert_lsn()::text as l')).rows[0].l as string;
    const phase = async (name: string, now: string, prepare?: () => Promise<void>): Promise<Phase> => {
      await prepare?.();
      const from = (await db.query('select clock_timestamp() as t')).rows[0].t as Date;
      const w0 = await wal();
      for (const r of runners) await setCalendarJob(r, now, orgIds);
      const command = await calendarJobForOrgs(runners[0]!);
      const c0 = runnersCpu();
      const t0 = performance.now();
      await Promise.all(runners.map((r) => r.query(command)));
      const wall = performance.now() - t0;
      const c1 = runnersCpu();
      const walMb = Number((await db.query('select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) as d', [w0])).rows[0].d) / 1e6;
      const runs = (
        await db.query(
          `select extract(epoch from finished_at - started_at) * 1000 as ms, status from public.rent_runs
           where org_id = any ($1) and finished_at >= $2`,
          [orgIds, from],
        )
      ).rows;
      const posted = (
        await db.query(
          `select count(*) filter (where kind = 'rent')::int as rent, count(*) filter (where kind = 'late_fee')::int as late
           from public.ledger_entries where org_id = any ($1) and created_at >= $2`,
          [orgIds, from],
        )
      ).rows[0];
      const ms = runs.map((r) => Number(r.ms));
      return {
        phase: name,
        wall_ms: Math.round(wall),
        cpu_ms: c0 === undefined || c1 === undefined ? 'n/a' : Math.round(c1 - c0),
        runs: runs.length,
        rent_entries: posted.rent,
        late_fees: posted.late,
        max_tx_ms: ms.length ? Math.round(Math.max(...ms)) : 0,
        p99_tx_ms: ms.length ? Math.round(percentile(ms, 99)) : 0,
        p50_tx_ms: ms.length ? Math.round(percentile(ms, 50) * 10) / 10 : 0,
        failed: runs.filter((r) => r.status === 'failed').length,
        wal_mb: Math.round(walMb),
      };
    };

    const rows: Phase[] = [];
    rows.push(await phase(`the 1st: rent falls due`, `${month}-01T01:00:00Z`));
    rows.push(await phase('the same hour again', `${month}-01T02:00:00Z`));
    rows.push(
      await phase('the 1st again, every run redone', `${month}-01T02:00:00Z`, async () => {
        await db.query(`update public.rent_runs set status = 'queued' where org_id = any ($1) and local_date = $2`, [orgIds, `${month}-01`]);
      }),
    );
    rows.push(await phase('the 7th: six days caught up, late fees', `${month}-07T01:00:00Z`));
    printTable(`Rent calendar over ${orgIds.length} orgs, ${dataset.active_leases} active leases (all in one time zone)`, rows as unknown as Record<string, string | number>[]);

    // Reminders planned the same morning: one statement over every org.
    const cpu = () => processRunMs(pid) ?? Number.NaN;
    const [t0, p0] = [performance.now(), cpu()];
    const planned = (await db.query('select private.plan_rent_reminders($1, $2) as r', [`${month}-07T09:00:00Z`, orgIds])).rows[0].r;
    const [planMs, planCpu] = [Math.round(performance.now() - t0), Math.round(cpu() - p0)];
    const [t1, p1] = [performance.now(), cpu()];
    const again = (await db.query('select private.plan_rent_reminders($1, $2) as r', [`${month}-07T10:00:00Z`, orgIds])).rows[0].r;
    const [replanMs, replanCpu] = [Math.round(performance.now() - t1), Math.round(cpu() - p1)];
    process.stdout.write(
      `\nReminders planned for the 7th: ${planned.planned} in ${planMs} ms (CPU ${planCpu} ms); an hour later ${again.planned} new in ${replanMs} ms (CPU ${replanCpu} ms)\n`,
    );

    const file = writeResult('rent', {
      dataset,
      phases: rows,
      reminders: { planned: planned.planned, ms: planMs, cpuMs: planCpu, replanned: again.planned, replanMs, replanCpuMs: replanCpu },
    });
    process.stdout.write(`Results: ${file}\n`);
  } finally {
    for (const id of jobs) await db.query('select cron.alter_job($1, active := true)', [id]);
    await Promise.all(runners.map((r) => r.end()));
    await db.end();
  }
}

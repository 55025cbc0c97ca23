import pg from 'pg';
import { DEFAULT_DATASET, generateDataset } from './generate.ts';
import { percentile, printTable, processRunMs, settle, writeResult, type BenchContext } from './lib.ts';

// The rent calendar at scale: 2,000 orgs with about 100,000 active leases (the RLS benchmark's
// skewed shape, its own copy with the prefix "rent"), all in one time zone, so every org's
// local date turns at once (the worst hour). It runs the hourly job's steps in the database as
// the job does (a DO block committing per claim and per org), limited to this dataset's orgs,
// as of chosen instants: the 1st (every lease's rent falls due), the same hour again, the whole
// day again, and the 7th (six days caught up, late fees on everything unpaid). Figures: wall
// time for all orgs and the job backend's CPU time, each org's transaction (claim to finish),
// entries, WAL.

/** The job's DO block (supabase/migrations/*_add_rent_calendar.sql) with the org list and "now" as settings. */
const JOB = `
do $run$
declare
  v_since timestamptz := clock_timestamp();
  v_orgs uuid[] := current_setting('lintel.bench_orgs')::uuid[];
  v_run uuid;
  v_from uuid;
begin
  perform private.queue_rent_runs(current_setting('lintel.bench_now')::timestamptz, v_orgs);
  commit;
  loop
    v_run := private.claim_rent_run(v_since, v_orgs, v_from);
    if v_run is null and v_from is not null then
      v_from := null;
      continue;
    end if;
    exit when v_run is null;
    commit;
    select org_id into v_from from public.rent_runs where id = v_run;
    perform private.execute_rent_run(v_run);
    commit;
  end loop;
end
$run$`;

interface Phase {
  phase: string;
  wall_ms: number;
  /** CPU the job's backend used: on a shared machine, the figure other work does not inflate. */
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
  const jobs = (await db.query(`select jobid from cron.job where jobname in ('rent-calendar', 'rent-reminders') and active`)).rows.map((r) => r.jobid);
  for (const id of jobs) await db.query('select cron.alter_job($1, active := false)', [id]);
  try {
    const orgIds = (await db.query(`select id from public.organizations where slug like 'rent-%' order by id`)).rows.map((r) => r.id as string);
    await db.query(`select set_config('lintel.bench_orgs', $1, false)`, [`{${orgIds.join(',')}}`]);
    const month = (await db.query(`select to_char(date_trunc('month', current_date), 'YYYY-MM') as m`)).rows[0].m as string;
    await settle(db, 600_000, (s) => process.stdout.write(s));

    const pid = (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const wal = async () => (await db.query('select pg_current_wal_insert_lsn()::text as l')).rows[0].l as string;
    const phase = async (name: string, now: string, prepare?: () => Promise<void>): Promise<Phase> => {
      await prepare?.();
      const from = (await db.query('select clock_timestamp() as t')).rows[0].t as Date;
      const w0 = await wal();
      await db.query(`select set_config('lintel.bench_now', $1, false)`, [now]);
      const c0 = processRunMs(pid);
      const t0 = performance.now();
      await db.query(JOB);
      const wall = performance.now() - t0;
      const c1 = processRunMs(pid);
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
    await db.end();
  }
}

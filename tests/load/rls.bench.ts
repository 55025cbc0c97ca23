import pg from 'pg';
import { DEFAULT_DATASET, generateDataset } from './generate.ts';
import { percentile, preRequestFunction, processRunMs, roleSettings, settle, writeResult, type BenchContext } from './lib.ts';

// RLS cost of the dashboard's main queries, measured as PostgREST runs them: one transaction
// per request, settings by set_config (role, JWT claims, the role's own settings), then the
// statement. Each query also carries the explicit org_id filter the app sends
// (STYLE.md, web/lib/data); the baseline is the same statement with RLS bypassed (postgres).

const QUERIES: Record<string, string> = {
  'rent roll': `
    select l.id, p.name as property, u.label as unit, l.rent_minor, l.balance_minor,
           coalesce(sum(e.amount_minor) filter (where e.amount_minor > 0), 0) as charged,
           coalesce(-sum(e.amount_minor) filter (where e.amount_minor < 0), 0) as paid
    from public.leases l
    join public.units u on u.org_id = l.org_id and u.id = l.unit_id
    join public.properties p on p.org_id = u.org_id and p.id = u.property_id
    left join public.ledger_entries e on e.org_id = l.org_id and e.lease_id = l.id and e.effective_date >= $2
    where l.org_id = $1 and l.status = 'active'
    group by l.id, p.name, u.label
    order by p.name, u.label`,
  'delinquency aging': `
    select case when $2::date - e.effective_date < 30 then '0-30' when $2::date - e.effective_date < 60 then '31-60'
                when $2::date - e.effective_date < 90 then '61-90' else '90+' end as bucket,
           count(distinct l.id) as leases, sum(e.amount_minor) as charged
    from public.leases l
    join public.ledger_entries e on e.org_id = l.org_id and e.lease_id = l.id and e.amount_minor > 0
    where l.org_id = $1 and l.status = 'active' and l.balance_minor > 0
    group by 1 order by 1`,
  'open maintenance': `
    select priority, status, count(*) as requests, min(created_at) as oldest
    from public.maintenance_requests
    where org_id = $1 and status in ('open', 'in_progress', 'on_hold') and created_at < $2::date + 31
    group by priority, status`,
  'org totals': `
    select (select count(*) from public.units where org_id = $1) as units,
           (select count(*) from public.leases where org_id = $1 and status = 'active') as active_leases,
           (select coalesce(sum(balance_minor), 0) from public.leases where org_id = $1 and status = 'active') as outstanding,
           (select coalesce(sum(amount_minor) filter (where kind = 'rent'), 0) from public.ledger_entries
              where org_id = $1 and effective_date >= $2::date - 31) as rent_charged,
           (select coalesce(-sum(amount_minor) filter (where kind = 'payment'), 0) from public.ledger_entries
              where org_id = $1 and effective_date >= $2::date - 31) as collected`,
};

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 25);
const WARMUP = 10;

interface Who {
  label: string;
  org: string;
  user: string;
  units: number;
}

type Mode = 'fresh' | 'prepared' | 'prepared after other org';

/** How each request is set up: the impersonated role's own settings and PostgREST's pre-request function. */
interface RequestSetup {
  roleSettings: [string, string][];
  preRequest?: string;
}

async function requestSettings(db: pg.Client, who: Who | null, setup: RequestSetup): Promise<void> {
  // PostgREST: one set_config per setting, transaction-local; the impersonated role's own
  // ALTER ROLE ... SET settings are applied the same way (PostgREST "role settings"). The
  // baseline gets those settings and the pre-request too, so the two sides differ by RLS alone.
  const claims = who && { aud: 'authenticated', role: 'authenticated', sub: who.user, org_id: who.org, org_role: 'manager', aal: 'aal1', is_anonymous: false };
  const pairs: [string, string][] = [
    ...(claims
      ? ([
          ['role', 'authenticated'],
          ['request.jwt.claims', JSON.stringify(claims)],
          ['request.method', 'GET'],
          ['request.path', '/rest/v1/rpc/dashboard'],
        ] as [string, string][])
      : []),
    ...setup.roleSettings,
  ];
  if (pairs.length) {
    await db.query(`select ${pairs.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, pairs.flat());
  }
  // Then the pre-request function, if the project sets one, on both sides: it may change how the
  // prepared statements below are planned (plan_cache_mode).
  if (setup.preRequest) await db.query(`select ${setup.preRequest}()`);
}

/**
 * Milliseconds of the statement alone, one transaction per request: as the client waited for it,
 * and as its backend ran on a CPU (when the database is on this machine). The backend is idle
 * between statements, so its CPU over the statement is the statement's own work: time spent
 * waiting for a core, the client and the network are left out. (On a VM that does not report
 * steal time, the host's contention still shows in it.)
 */
async function timed(
  db: pg.Client, cpu: () => number | undefined, who: Who | null, sql: string, params: unknown[], setup: RequestSetup,
): Promise<{ ms: number; cpuMs?: number }> {
  await db.query('begin');
  await requestSettings(db, who, setup);
  const c0 = cpu();
  const t0 = performance.now();
  await db.query(sql, params);
  const ms = performance.now() - t0;
  const c1 = cpu();
  await db.query('commit');
  return { ms, cpuMs: c0 === undefined || c1 === undefined ? undefined : c1 - c0 };
}

interface Cell {
  p50: number;
  p95: number;
  /** Median backend CPU of the statement, ms (undefined for a remote database). */
  cpu?: number;
  plan: string;
}

/**
 * One cell: the same statement through RLS (as the org's manager) and with RLS bypassed, on two
 * connections, samples alternating so both see the same machine load.
 */
async function measurePair(url: string, mode: Mode, query: string, target: Who, other: Who, monthStart: string, setup: RequestSetup) {
  const sides = [true, false].map((rls) => ({
    rls, db: new pg.Client({ connectionString: url }), cpu: (): number | undefined => undefined, times: [] as number[], cpus: [] as number[], plan: '',
  }));
  await Promise.all(sides.map((s) => s.db.connect()));
  try {
    for (const s of sides) s.cpu = await backendCpu(s.db);
    const sql = QUERIES[query]!;
    const as = (rls: boolean, w: Who) => (rls ? w : null);
    const exec = (w: Who) => (mode === 'fresh' ? { text: sql, params: [w.org, monthStart] } : { text: `execute q('${w.org}', '${monthStart}')`, params: [] });
    if (mode !== 'fresh') {
      // A server-side prepared statement, as PostgREST prepares every statement.
      const warm = mode === 'prepared' ? target : other;
      for (const s of sides) {
        await s.db.query(`prepare q(uuid, date) as ${sql}`);
        for (let i = 0; i < WARMUP; i++) await timed(s.db, s.cpu, as(s.rls, warm), exec(warm).text, exec(warm).params, setup);
      }
    }
    for (let i = 0; i < SAMPLES; i++) {
      for (const s of i % 2 ? [...sides].reverse() : sides) {
        const t = await timed(s.db, s.cpu, as(s.rls, target), exec(target).text, exec(target).params, setup);
        s.times.push(t.ms);
        if (t.cpuMs !== undefined) s.cpus.push(t.cpuMs);
      }
    }
    for (const s of sides) {
      await s.db.query('begin');
      await requestSettings(s.db, as(s.rls, target), setup);
      const stmt = mode === 'fresh' ? `explain (analyze, costs off, timing off, summary off) ${sql}` : `explain (analyze, costs off, timing off, summary off) execute q('${target.org}', '${monthStart}')`;
      s.plan = (await s.db.query(stmt, mode === 'fresh' ? [target.org, monthStart] : [])).rows.map((r) => r['QUERY PLAN']).join('\n');
      await s.db.query('commit');
    }
    const cell = (s: (typeof sides)[number]): Cell => ({
      p50: percentile(s.times, 50), p95: percentile(s.times, 95), cpu: s.cpus.length ? percentile(s.cpus, 50) : undefined, plan: s.plan,
    });
    return { rls: cell(sides[0]!), bypass: cell(sides[1]!) };
  } finally {
    await Promise.all(sides.map((s) => s.db.end()));
  }
}

/** CPU the connection's backend has used so far (ms), when the database runs on this machine. */
async function backendCpu(db: pg.Client): Promise<() => number | undefined> {
  const pid = (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  return () => processRunMs(pid);
}

/**
 * RLS benchmark on a generated dataset: BENCH_DB_URL if set (a database that already holds the
 * dataset is reused), else the shared bench stack's database.
 */
export default async function rlsBench({ stack }: BenchContext): Promise<void> {
  const t0 = performance.now();
  const database = { url: process.env.BENCH_DB_URL || stack.DB_URL! };
    // BENCH_SMALL=1: a few orgs, to check the harness quickly (figures are then meaningless).
    const dataset = await generateDataset(
      database.url,
      process.env.BENCH_SMALL ? { ...DEFAULT_DATASET, orgs: 40, largeUnits: 400, months: 3 } : DEFAULT_DATASET,
    );
    process.stdout.write(`Dataset: ${JSON.stringify(dataset)}\n`);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const pick = async (label: string, where: string) => {
      const r = (
        await admin.query(`select o.id as org, m.user_id as user, o.unit_count as units from public.organizations o
          join public.memberships m on m.org_id = o.id and m.role = 'manager'
          where o.slug like 'bench-%' ${where} limit 1`)
      ).rows[0];
      return { label, ...r } as Who;
    };
    const large = await pick('large', `order by o.unit_count desc, o.slug`);
    const medianUnits = Number(
      (await admin.query(`select percentile_disc(0.5) within group (order by unit_count) as m from public.organizations where slug like 'bench-%'`)).rows[0].m,
    );
    const median = await pick('median', `and o.unit_count = ${medianUnits} order by o.slug`);
    const authenticatedSettings = await roleSettings(admin, 'authenticated');
    const preRequest = await preRequestFunction(admin);
    const monthStart = (await admin.query(`select date_trunc('month', current_date)::date::text as d`)).rows[0].d as string;
    // A newly generated dataset is one multi-gigabyte transaction for the realtime feed.
    await settle(admin, 600_000, (s) => process.stdout.write(s));
    await admin.end();
    process.stdout.write(`Orgs: large ${large.units} units, median ${median.units} units. Role settings for authenticated: ${JSON.stringify(authenticatedSettings)}; pre-request: ${preRequest ?? 'none'}\n`);

    const rows: Record<string, unknown>[] = [];
    // ratio: p50 through RLS / p50 bypassed (the target). CPU: the median statement's backend
    // CPU on each side and their ratio: whether a gap is the database's own work or waiting.
    process.stdout.write(`\n${'query'.padEnd(18)} ${'org'.padEnd(7)} ${'mode'.padEnd(25)} ${'RLS p50/p95 ms'.padEnd(18)} ${'bypass p50/p95 ms'.padEnd(18)} ratio  ${'CPU ms RLS/bypass'.padEnd(18)} CPU ratio\n`);
    for (const query of Object.keys(QUERIES)) {
      for (const [target, other] of [
        [large, median],
        [median, large],
      ] as [Who, Who][]) {
        for (const mode of ['fresh', 'prepared', 'prepared after other org'] as Mode[]) {
          const { rls: withRls, bypass } = await measurePair(database.url, mode, query, target, other, monthStart, { roleSettings: authenticatedSettings, preRequest });
          const ratio = withRls.p50 / bypass.p50;
          const cpuRatio = withRls.cpu !== undefined && bypass.cpu !== undefined ? withRls.cpu / bypass.cpu : undefined;
          rows.push({
            query, org: target.label, units: target.units, mode,
            rls: { p50: withRls.p50, p95: withRls.p95, cpu: withRls.cpu }, bypass: { p50: bypass.p50, p95: bypass.p95, cpu: bypass.cpu },
            ratio, cpuRatio, plan: withRls.plan, bypassPlan: bypass.plan,
          });
          const f = (x: { p50: number; p95: number }) => `${x.p50.toFixed(2)} / ${x.p95.toFixed(2)}`.padEnd(18);
          const cpu = cpuRatio === undefined ? '' : `${`${withRls.cpu!.toFixed(2)} / ${bypass.cpu!.toFixed(2)}`.padEnd(18)} ${cpuRatio.toFixed(2)}`;
          process.stdout.write(`${query.padEnd(18)} ${target.label.padEnd(7)} ${mode.padEnd(25)} ${f(withRls)} ${f(bypass)} ${ratio.toFixed(2).padEnd(6)} ${cpu}\n`);
        }
      }
    }
    const worst = Math.max(...rows.map((r) => r.ratio as number));
    const cpuRatios = rows.map((r) => r.cpuRatio).filter((x): x is number => x !== undefined);
    const worstCpu = cpuRatios.length ? Math.max(...cpuRatios) : undefined;
    const file = writeResult('rls', { samples: SAMPLES, dataset, orgs: { large, median }, roleSettings: authenticatedSettings, preRequest, rows, worstRatio: worst, worstCpuRatio: worstCpu });
    process.stdout.write(
      `Worst ratio ${worst.toFixed(2)}${worstCpu === undefined ? '' : ` (backend CPU: ${worstCpu.toFixed(2)})`}. ` +
        `Results and EXPLAIN plans: ${file} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
}

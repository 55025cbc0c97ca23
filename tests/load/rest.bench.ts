import autocannon from 'autocannon';
import pg from 'pg';
import { SignJWT } from 'jose';
import { percentile, preRequestFunction, printTable, processRunMs, roleSettings, settle, writeResult, type BenchContext } from './lib.ts';

// /rest/v1 against the same SQL over a direct connection, 16 concurrent clients: a typical
// dashboard read (a page of leases with their unit embedded and an exact count) and a
// single-row insert, both as a signed-in manager under RLS.
const CLIENTS = 16;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
// Unrecorded load before each measurement, so both paths are measured in steady state: not the
// stack's JIT compiling its request path, the pools opening connections, statements being prepared.
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
// Each path's SECONDS are measured in ROUNDS slices, the paths taking turns (the order reversed
// every round), and each path's figures are computed over all its slices. This machine's speed
// drifts by a third within a minute; measured one after the other, the two paths of one ratio
// saw different machines (the same code gave an insert ratio of 1.47 and then 1.91).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const ORG = '00000000-0000-4000-c000-000000000001';

const FIXTURE = `
drop table if exists public.rest_b_leases, public.rest_b_units cascade;
create table public.rest_b_units (id serial primary key, org_id uuid not null, name text not null);
create table public.rest_b_leases (id serial primary key, org_id uuid not null, unit_id int not null references public.rest_b_units(id),
  rent int not null, starts_on date not null default current_date, note text);
create index rest_b_leases_org_id_idx on public.rest_b_leases (org_id, id);
create index rest_b_leases_unit_id_idx on public.rest_b_leases (unit_id);
create index rest_b_units_org_id_idx on public.rest_b_units (org_id);
alter table public.rest_b_units enable row level security;
alter table public.rest_b_leases enable row level security;
create policy "rest_b_units: members can select own org" on public.rest_b_units for select to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_b_leases: members can select own org" on public.rest_b_leases for select to authenticated
  using (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
create policy "rest_b_leases: members can insert own org" on public.rest_b_leases for insert to authenticated
  with check (org_id = ((select current_setting('request.jwt.claims', true)::jsonb) ->> 'org_id')::uuid);
insert into public.rest_b_units (org_id, name)
  select case when i % 10 = 0 then '${ORG}'::uuid else gen_random_uuid() end, 'Unit ' || i from generate_series(1, 2000) i;
insert into public.rest_b_leases (org_id, unit_id, rent)
  select u.org_id, u.id, 1000 + (u.id % 500) from public.rest_b_units u, generate_series(1, 5);
analyze public.rest_b_units, public.rest_b_leases;
`;

const READ_SQL = `select l.id, l.rent, l.starts_on, json_build_object('name', u.name) as unit
  from public.rest_b_leases l left join public.rest_b_units u on u.id = l.unit_id
  where l.org_id = $1 order by l.id desc limit 20`;
const COUNT_SQL = 'select count(*) from public.rest_b_leases where org_id = $1';
const INSERT_SQL = 'insert into public.rest_b_leases (org_id, unit_id, rent) values ($1, $2, $3) returning id';

interface Figures {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  errors: number;
  /** CPU this bench process spent per request: what the client side itself costs (fetch vs pg). */
  clientCpuMs: number;
  /** CPU per request of the stack's process and of every PostgreSQL process (backends, walsender). */
  stackCpuMs?: number;
  dbCpuMs?: number;
  /** Every response's latency, ms: slices of one path are pooled before taking percentiles. */
  latencies: number[];
}

/**
 * Runs one measurement and adds where the server-side CPU went per request. On a shared 2-core
 * machine latencies move with everything else; CPU per request says which side the time is on.
 */
async function withServerCpu(admin: pg.Client, stackPid: number, measure: () => Promise<Figures>): Promise<Figures> {
  const dbPids = async () => (await admin.query<{ pid: number }>('select pid from pg_catalog.pg_stat_activity where pid <> pg_backend_pid()')).rows.map((r) => r.pid);
  const cpu = (pid: number) => processRunMs(pid) ?? 0;
  const before = new Map((await dbPids()).map((pid) => [pid, cpu(pid)]));
  const stack0 = cpu(stackPid);
  const figures = await measure();
  const stack1 = cpu(stackPid);
  let db = 0;
  for (const pid of await dbPids()) db += cpu(pid) - (before.get(pid) ?? 0);
  return { ...figures, stackCpuMs: (stack1 - stack0) / figures.requests, dbCpuMs: db / figures.requests };
}

async function run(op: () => Promise<boolean>, seconds = SECONDS): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await op().catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p95: percentile(latencies, 95), errors,
    clientCpuMs: (cpu.user + cpu.system) / 1000 / latencies.length, latencies,
  };
}

/**
 * The same figures for HTTP, from autocannon's 16 keep-alive connections. The load generator is
 * an instrument: in production the client is not on the server's machine, but here it shares two
 * cores with the stack and PostgreSQL, so its own CPU slows both. fetch() spent ~0.46 ms CPU per
 * request (three times pg's client), time the stack and Postgres then waited for; autocannon's
 * raw HTTP/1.1 client spends about as little as pg does. Every response's own latency is kept
 * (autocannon's histogram has no p95), so p50 / p95 are computed exactly as for the SQL side.
 */
async function runHttp(opts: { url: string; method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, ok: (status: number) => boolean, seconds = SECONDS): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ ...opts, connections: CLIENTS, duration: seconds }, (err, r) => (err ? reject(err) : resolve(r)))
      .on('response', (_client, status, _bytes, ms) => {
        latencies.push(ms);
        if (!ok(status)) errors++;
      });
  });
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Connection errors and timeouts never reach 'response': count them as failed requests.
  errors += result.errors + result.timeouts;
  const requests = latencies.length + result.errors + result.timeouts;
  return {
    requests, rps: requests / elapsed, p50: percentile(latencies, 50), p95: percentile(latencies, 95), errors,
    clientCpuMs: (cpu.user + cpu.system) / 1000 / requests, latencies,
  };
}

/** One path's slices as one measurement: latencies pooled, CPU per request over every request. */
function pooled(slices: Figures[]): Figures {
  const requests = slices.reduce((n, f) => n + f.requests, 0);
  const elapsed = slices.reduce((t, f) => t + f.requests / f.rps, 0);
  const perRequest = (pick: (f: Figures) => number | undefined) =>
    slices.some((f) => pick(f) === undefined) ? undefined : slices.reduce((t, f) => t + pick(f)! * f.requests, 0) / requests;
  const latencies = slices.flatMap((f) => f.latencies);
  return {
    requests, rps: requests / elapsed, p50: percentile(latencies, 50), p95: percentile(latencies, 95),
    errors: slices.reduce((n, f) => n + f.errors, 0),
    clientCpuMs: perRequest((f) => f.clientCpuMs)!, stackCpuMs: perRequest((f) => f.stackCpuMs), dbCpuMs: perRequest((f) => f.dbCpuMs),
    // Not written to the results file: the percentiles above are its summary.
    latencies: [],
  };
}

export default async function restBench({ stack }: BenchContext): Promise<void> {
  const admin = new pg.Client({ connectionString: stack.DB_URL });
  await admin.connect();
  const stackPid = Number(stack.PID);
  await admin.query(FIXTURE);
  await admin.query("notify pgrst, 'reload schema'");
  const unitId = (await admin.query(`select id from public.rest_b_units where org_id = '${ORG}' limit 1`)).rows[0].id as number;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: '00000000-0000-4000-c000-0000000000aa', role: 'authenticated', aud: 'authenticated', org_id: ORG, org_role: 'manager' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(stack.JWT_SECRET!));
  const headers = { apikey: stack.ANON_KEY!, authorization: `Bearer ${token}` };
  const readUrl = `${stack.API_URL}/rest/v1/rest_b_leases?select=id,rent,starts_on,unit:rest_b_units(name)&org_id=eq.${ORG}&order=id.desc&limit=20`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(readUrl, { headers })).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // The direct side runs the same statements as the same role with the same claims, in a
  // transaction per request, so the ratio is what /rest/v1 itself adds.
  const pool = new pg.Pool({ connectionString: stack.DB_URL, max: CLIENTS });
  const claims = JSON.stringify({ role: 'authenticated', org_id: ORG });
  // A login as `authenticated` (and /rest/v1, like PostgREST) also gets the role's own settings
  // (ALTER ROLE ... SET, e.g. statement_timeout); SET ROLE alone does not. The extra direct row
  // applies them too, and the project's pre-request function if it sets one (PostgREST runs it
  // in every request), to show which part of the gap is the project's per-request settings.
  const settings = await roleSettings(admin, 'authenticated');
  const preRequest = await preRequestFunction(admin);
  const withSettingsSql = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)${settings.map((_, i) => `, set_config($${2 * i + 2}, $${2 * i + 3}, true)`).join('')}`;
  const direct = async (fn: (c: pg.PoolClient) => Promise<unknown>, asLogin = false) => {
    const c = await pool.connect();
    try {
      await c.query('begin');
      if (asLogin) {
        await c.query({ name: 'b_set_login', text: withSettingsSql, values: [claims, ...settings.flat()] });
        if (preRequest) await c.query({ name: 'b_pre_request', text: `select ${preRequest}()` });
      }
      else await c.query({ name: 'b_set', text: "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", values: [claims] });
      await fn(c);
      await c.query('commit');
      return true;
    } finally {
      c.release();
    }
  };

  const rows: Record<string, string | number>[] = [];
  const row = (scenario: string, path: string, f: Figures) => ({
    scenario, path, 'req/s': f.rps, 'p50 ms': f.p50, 'p95 ms': f.p95, errors: f.errors,
    'client CPU ms/req': f.clientCpuMs, 'stack CPU ms/req': f.stackCpuMs ?? '', 'db CPU ms/req': f.dbCpuMs ?? '',
  });
  // How many times the SQL path's throughput, and /rest/v1's latencies over the SQL path's.
  const overhead = (scenario: string, path: string, rest: Figures, sql: Figures) => ({
    scenario, path, 'req/s': sql.rps / rest.rps, 'p50 ms': rest.p50 / sql.p50, 'p95 ms': rest.p95 / sql.p95, errors: 0,
    'client CPU ms/req': '', 'stack CPU ms/req': '', 'db CPU ms/req': '',
  });
  const result: Record<string, unknown> = { clients: CLIENTS, seconds: SECONDS, rounds: ROUNDS };
  const scenarios: [string, (seconds?: number) => Promise<Figures>, (asLogin?: boolean) => Promise<boolean>][] = [
    [
      'dashboard read (embed + exact count)',
      (seconds) => runHttp({ url: readUrl, headers: { ...headers, prefer: 'count=exact' } }, (s) => s === 200 || s === 206, seconds),
      (asLogin) => direct(async (c) => {
        await c.query({ name: 'b_read', text: READ_SQL, values: [ORG] });
        await c.query({ name: 'b_count', text: COUNT_SQL, values: [ORG] });
      }, asLogin),
    ],
    [
      'single-row insert',
      (seconds) => runHttp({
        url: `${stack.API_URL}/rest/v1/rest_b_leases`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', prefer: 'return=minimal' },
        body: JSON.stringify({ org_id: ORG, unit_id: unitId, rent: 1234 }),
      }, (s) => s === 201, seconds),
      (asLogin) => direct((c) => c.query({ name: 'b_insert', text: INSERT_SQL, values: [ORG, unitId, 1234] }), asLogin),
    ],
  ];
  /** The paths take turns (see ROUNDS); each one's slices pooled into one set of figures. */
  const measureTogether = async (paths: ((seconds?: number) => Promise<Figures>)[]): Promise<Figures[]> => {
    for (const go of paths) await go(WARMUP_SECONDS);
    const slices: Figures[][] = paths.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = paths.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) {
        await settle(admin);
        slices[i]!.push(await withServerCpu(admin, stackPid, () => paths[i]!(SECONDS / ROUNDS)));
      }
    }
    return slices.map(pooled);
  };
  for (const [name, rest, sql] of scenarios) {
    const [viaRest, viaSql, viaLogin] = (await measureTogether([rest, (seconds) => run(() => sql(), seconds), (seconds) => run(() => sql(true), seconds)])) as [Figures, Figures, Figures];
    const ratio = viaRest.p95 / viaSql.p95;
    rows.push(row(name, '/rest/v1', viaRest));
    rows.push(row(name, 'direct SQL', viaSql));
    rows.push(row(name, 'direct SQL + role settings', viaLogin));
    rows.push(overhead(name, 'overhead (p95 rest / p95 sql)', viaRest, viaSql));
    rows.push(overhead(name, 'overhead vs SQL + role settings', viaRest, viaLogin));
    result[name] = { rest: viaRest, sql: viaSql, sqlWithRoleSettings: viaLogin, p95Ratio: ratio, throughputRatio: viaSql.rps / viaRest.rps };
  }
  // What the gateway and the HTTP client cost on their own (an unrouted path), to separate them from /rest/v1.
  const [baseline] = (await measureTogether([(seconds) => runHttp({ url: `${stack.API_URL}/no-such-service/v1`, headers }, (s) => s === 404, seconds)])) as [Figures];
  rows.push(row('HTTP + gateway only (unrouted path)', 'gateway', baseline));
  result.gatewayBaseline = baseline;
  printTable(`/rest/v1 vs direct SQL, ${CLIENTS} clients, ${SECONDS} s each in ${ROUNDS} turns (target: p95 < 30 ms, ≤ 1.5× SQL)`, rows);
  process.stdout.write(`role settings of authenticated: ${settings.map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}; pre-request: ${preRequest ?? 'none'}\n`);
  result.roleSettings = settings;
  result.preRequest = preRequest ?? null;
  writeResult('rest', result);
  await pool.end();
  await admin.query('drop table if exists public.rest_b_leases, public.rest_b_units cascade');
  await admin.end();
}

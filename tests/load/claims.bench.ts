import pg from 'pg';
import { percentile, printTable, processRunMs, roleSettings, settle, writeResult, type BenchContext } from './lib.ts';

// What it costs to refuse a removed member's token on their next request (migration
// add_claim_revocations): a transaction's first claim check probes private.revoked_claims, later
// ones compare the claims with the ones that passed, and PostgREST runs private.check_request
// before each request. On the seeded demo data, as backend CPU (not wall time):
//   1. each helper call alone, in ns, the previous claims-only body against the current one, with
//      no revocations and with 10,000 of other users, and the one probe a transaction pays;
//   2. whole requests as PostgREST runs them (begin, settings, [pre-request], statement, commit),
//      with the previous helpers and no pre-request (before) against the current ones without and
//      with the pre-request, in alternating rounds on the same machine.

const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
// The variants take turns, so each sees the same machine (its speed drifts within a minute).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const WARMUP = 100;

// The helpers as 20261124070000_create_private_helpers.sql wrote them (claims only).
const PREVIOUS = {
  current_org_id: `create or replace function private.current_org_id() returns uuid
    language plpgsql stable security invoker set search_path = '' as $$
    begin
      return nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id', '')::uuid;
    end; $$`,
  current_org_role: `create or replace function private.current_org_role() returns text
    language plpgsql stable security invoker set search_path = '' as $$
    begin
      return nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_role', '');
    end; $$`,
  current_resident_id: `create or replace function private.current_resident_id() returns uuid
    language plpgsql stable security invoker set search_path = '' as $$
    begin
      return nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'resident_id', '')::uuid;
    end; $$`,
  has_org_role: `create or replace function private.has_org_role(p_roles text[]) returns boolean
    language plpgsql stable security invoker set search_path = '' as $$
    begin
      return coalesce(nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_role', '') = any (p_roles), false);
    end; $$`,
};

const STATEMENTS: Record<string, string> = {
  // The Properties page: a page of the directory view and its exact count (two helper calls per table).
  'properties page': `select *, count(*) over () as total from public.property_directory where org_id = $1 order by name limit 50`,
  // A detail read: one unit by id.
  'unit by id': `select * from public.units where org_id = $1 and id = (select id from public.units where org_id = $1 order by id limit 1)`,
  // The Team page's RPC (a security definer checking the caller against memberships).
  'team_members()': `select * from public.team_members() where $1::uuid is not null`,
};

interface Who {
  org: string;
  user: string;
  claims: string;
}

async function manager(admin: pg.Client): Promise<Who> {
  const r = (
    await admin.query(`select m.org_id as org, m.user_id as user from public.memberships m join public.organizations o on o.id = m.org_id
      join auth.users u on u.id = m.user_id where o.slug = 'acme' and u.email = 'manager@acme.test'`)
  ).rows[0];
  if (!r) throw new Error('the claims bench needs the demo seed (manager@acme.test)');
  const now = Math.floor(Date.now() / 1000);
  const claims = { aud: 'authenticated', role: 'authenticated', sub: r.user, email: 'manager@acme.test', iat: now, exp: now + 3600, session_id: crypto.randomUUID(), org_id: r.org, org_role: 'manager', aal: 'aal1', is_anonymous: false };
  return { org: r.org, user: r.user, claims: JSON.stringify(claims) };
}

/**
 * Per-call ns of one helper expression, evaluated CALLS times in one statement: the backend's own
 * CPU time (processRunMs), so other work on a shared machine does not count. Median of 5 runs.
 */
async function perCall(db: pg.Client, who: Who, expr: string): Promise<number> {
  const pid = (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  await db.query('savepoint calls');
  await db.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [who.claims]);
  const sql = `select count(${expr}) from generate_series(1, ${CALLS})`;
  await db.query(sql);
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const c0 = processRunMs(pid)!;
    await db.query(sql);
    runs.push(((processRunMs(pid)! - c0) * 1e6) / CALLS);
  }
  await db.query('rollback to savepoint calls');
  return percentile(runs, 50);
}

async function helperCalls(url: string, who: Who): Promise<Record<string, string | number>[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const previous = Object.values(PREVIOUS).map((sql) => sql.replace('private.', 'pg_temp.prev_'));
    for (const sql of previous) await db.query(sql);
    const rows: Record<string, string | number>[] = [];
    const exprs: [string, string, string][] = [
      ['current_org_id()', 'pg_temp.prev_current_org_id()', 'private.current_org_id()'],
      ["has_org_role('{owner,admin,manager}')", "pg_temp.prev_has_org_role('{owner,admin,manager}')", "private.has_org_role('{owner,admin,manager}')"],
    ];
    // The probe itself, which a transaction pays once (at its first helper call or the pre-request).
    await db.query('begin');
    const probe = await perCall(db, who, `private.claims_revoked(current_setting('request.jwt.claims'))`);
    await db.query('rollback');
    for (const [label, before, after] of exprs) {
      await db.query('begin');
      const b = await perCall(db, who, before);
      const a = await perCall(db, who, after);
      // 10,000 revocations of other users (a busy week of removals), rolled back afterwards.
      await db.query(`insert into private.revoked_claims (org_id, user_id, role)
        select $1, gen_random_uuid(), 'manager' from generate_series(1, 10000)`, [who.org]);
      const many = await perCall(db, who, after);
      await db.query('rollback');
      rows.push({ helper: label, 'previous ns': Math.round(b), 'now ns': Math.round(a), 'now, 10k revoked ns': Math.round(many), 'added ns': Math.round(a - b) });
    }
    rows.push({ helper: 'claims_revoked(): once per transaction', 'previous ns': '—', 'now ns': Math.round(probe), 'now, 10k revoked ns': '', 'added ns': Math.round(probe) });
    return rows;
  } finally {
    await db.end();
  }
}

type Variant = 'before' | 'now, no pre-request' | 'now';

async function setHelpers(admin: pg.Client, previous: boolean, current: Record<string, string>) {
  await admin.query('begin');
  for (const [name, sql] of Object.entries(previous ? PREVIOUS : current)) {
    void name;
    await admin.query(sql);
  }
  await admin.query('commit');
}

/** Backend CPU (µs) of whole requests, one transaction each, as /rest/v1 runs them. */
async function requests(db: pg.Client, who: Who, sql: string, preRequest: boolean, settings: [string, string][]): Promise<number[]> {
  const pid = (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  const pairs: [string, string][] = [
    ['role', 'authenticated'],
    ['request.jwt.claims', who.claims],
    ['request.method', 'GET'],
    ['request.path', '/rest/v1/bench'],
    ['request.headers', '{"x-request-id":"bench"}'],
    ...settings,
  ];
  const setSql = `select ${pairs.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`;
  const out: number[] = [];
  for (let i = 0; i < REQUESTS + WARMUP; i++) {
    const c0 = processRunMs(pid);
    await db.query('begin isolation level read committed read only');
    await db.query({ name: 'bench_settings', text: setSql, values: pairs.flat() });
    if (preRequest) await db.query({ name: 'bench_pre', text: 'select private.check_request()' });
    await db.query({ name: `bench_${sql.length}`, text: sql, values: [who.org] });
    await db.query('commit');
    const c1 = processRunMs(pid);
    if (i >= WARMUP && c0 !== undefined && c1 !== undefined) out.push((c1 - c0) * 1000);
  }
  return out;
}

export default async function claimsBench({ stack }: BenchContext): Promise<void> {
  const url = process.env.BENCH_DB_URL || stack.DB_URL!;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const who = await manager(admin);
    await settle(admin);
    const calls = await helperCalls(url, who);
    printTable(`Claim helpers, per call (${CALLS.toLocaleString('en')} calls in one statement)`, calls);

    // The current definitions, to restore after the rounds with the previous ones.
    const current: Record<string, string> = {};
    for (const name of Object.keys(PREVIOUS)) {
      const sig = name === 'has_org_role' ? 'private.has_org_role(text[])' : `private.${name}()`;
      current[name] = (await admin.query(`select pg_get_functiondef($1::regprocedure) as d`, [sig])).rows[0].d;
    }
    const settings = await roleSettings(admin, 'authenticated');
    const samples = new Map<string, number[]>();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const order: Variant[] = round % 2 ? ['now', 'now, no pre-request', 'before'] : ['before', 'now, no pre-request', 'now'];
        for (const variant of order) {
          await setHelpers(admin, variant === 'before', current);
          const db = new pg.Client({ connectionString: url });
          await db.connect();
          try {
            for (const [label, sql] of Object.entries(STATEMENTS)) {
              const key = `${label}|${variant}`;
              samples.set(key, [...(samples.get(key) ?? []), ...(await requests(db, who, sql, variant === 'now', settings))]);
            }
          } finally {
            await db.end();
          }
        }
      }
    } finally {
      await setHelpers(admin, false, current);
    }
    const rows = Object.keys(STATEMENTS).map((label) => {
      const med = (v: Variant) => percentile(samples.get(`${label}|${v}`) ?? [], 50);
      return {
        request: label,
        'before µs': Math.round(med('before')),
        'helpers µs': Math.round(med('now, no pre-request')),
        'helpers + pre-request µs': Math.round(med('now')),
        'added µs': Math.round(med('now') - med('before')),
      };
    });
    printTable(`Whole requests, median backend CPU (${ROUNDS} rounds × ${REQUESTS} requests per cell)`, rows);
    process.stdout.write(`Results: ${writeResult('claims', { calls: CALLS, requests: REQUESTS, rounds: ROUNDS, helpers: calls, requestsTable: rows })}\n`);
  } finally {
    await admin.end();
  }
}

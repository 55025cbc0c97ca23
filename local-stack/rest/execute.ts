import type pg from 'pg';
import { headersObject } from '../service.ts';
import type { Auth } from './auth.ts';
import type { RestConfig } from './config.ts';
import { ApiError, fromPg } from './errors.ts';
import { runBatch, type Step } from './pipeline.ts';
import { ident } from './query.ts';
import type { Preferences, QueryRequest } from './request.ts';
import type { Plan } from './statement.ts';

// PostgREST's Query step: one transaction per request, the role and request.* settings set with
// set_config, the plan's statement, then commit or roll back.

// The fixed statements of every request, prepared once per connection.
const BEGIN_READ_ONLY: Step = { name: 'pgrst_begin_ro', text: 'begin isolation level read committed read only' };
const BEGIN_READ_WRITE: Step = { name: 'pgrst_begin_rw', text: 'begin isolation level read committed read write' };
const RESET_ALL: Step = { name: 'pgrst_reset', text: 'reset all' };
const COMMIT: Step = { name: 'pgrst_commit', text: 'commit' };
const ROLLBACK: Step = { name: 'pgrst_rollback', text: 'rollback' };
/**
 * `pg_advisory_unlock_all(), set_config($1, $2, true), ...` for n settings (the values travel as
 * parameters), built once per n. Releasing advisory locks rides in the same statement: one
 * statement fewer in every request. The calls sit in a subquery the outer select reads no column
 * of, so the answer is one row of no columns instead of every value just set (the request's
 * headers, claims and token, ~1 KB, sent back and decoded for nothing). The planner keeps a
 * subquery's volatile outputs, so every call still runs.
 */
const settingsSteps = new Map<number, { name: string; text: string }>();
const settingsStep = (n: number) => {
  let step = settingsSteps.get(n);
  if (!step) {
    const calls = Array.from({ length: n }, (_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
    settingsSteps.set(n, (step = { name: `pgrst_settings_${n}`, text: `select from (select pg_catalog.pg_advisory_unlock_all(), ${calls.join(', ')}) as pgrst_settings` }));
  }
  return step;
};

/** The response row every statement selects (PostgREST's Query/Statements.hs shape). */
export interface ResultRow {
  total_result_set: string | null;
  page_total: string;
  body: string;
  location?: string | null;
  response_headers: string | null;
  response_status: string | null;
  inserted?: string | null;
}

/** What ran: an EXPLAIN's text, or the result row with the page size and the total count asked for. */
export type Outcome =
  | { readonly kind: 'explain'; readonly format: 'json' | 'text'; readonly body: string }
  | { readonly kind: 'rows'; readonly row: ResultRow; readonly pageTotal: number; readonly total: number | undefined };

/** What execution holds for every request: the pool and the prepared statements' names. */
export interface ExecuteDeps {
  pool: pg.Pool;
  /** The prepared statement's name for this SQL, or undefined to run it unnamed. */
  statementName: (sql: string) => string | undefined;
}

/** One request to run: what was asked, the plan, who asks, under which configuration. */
export interface Execution {
  readonly request: QueryRequest;
  readonly plan: Plan;
  readonly auth: Auth;
  readonly config: RestConfig;
  /** The role's own settings (`alter role ... set`), applied as PostgREST applies them. */
  readonly roleSettings: readonly (readonly [string, string])[];
  /** The request's headers as received, for `request.headers` and `request.cookies`. */
  readonly rawHeaders: readonly string[];
}

/** Whether the transaction ends in a rollback (db-tx-end, or Prefer: tx= where overriding is allowed). */
export function transactionEnd(config: RestConfig, prefer: Preferences): { rollback: boolean; overridden: boolean } {
  const overridden = !!prefer.tx && config.txEnd.endsWith('allow-override');
  return { rollback: overridden ? prefer.tx === 'rollback' : config.txEnd.startsWith('rollback'), overridden };
}

/** Runs a plan in one transaction as the caller's role, with the checks that must precede its commit. */
export async function execute(d: ExecuteDeps, x: Execution): Promise<Outcome> {
  const { plan, auth, config, request } = x;
  const { prefer } = request;
  const headersJson = headersObject(x.rawHeaders);
  const cookies: Record<string, string> = {};
  for (const part of (headersJson.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) cookies[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  // The schema, then the extra search path as configured, repeats kept: PostgREST does not
  // drop them (its own explain output shows "public", "public", "extensions").
  const searchPath = [request.schema, ...config.extraSearchPath].map(ident).join(', ');
  const { rollback } = transactionEnd(config, prefer);

  let client: pg.PoolClient;
  try {
    client = await d.pool.connect();
  } catch (err) {
    throw new ApiError(503, 'PGRST000', 'Could not connect with the database', (err as Error).message);
  }
  let broken: Error | undefined;
  try {
    const settings: string[] = [
      'search_path', searchPath, 'role', auth.role, 'request.jwt.claims', JSON.stringify(auth.claims), 'request.method', request.method,
      'request.path', request.path, 'request.headers', JSON.stringify(headersJson), 'request.cookies', JSON.stringify(cookies),
    ];
    for (const [k, v] of x.roleSettings) {
      if (k.startsWith('pgrst.') || k === 'search_path' || k === 'session_preload_libraries') continue;
      settings.push(k, v);
    }
    if (prefer.timezone) settings.push('timezone', prefer.timezone);
    // Extra counts run inside the transaction, and a failed cardinality or max-affected check
    // must roll a write back: those requests end the transaction in a second round trip.
    const extraCount = !!(plan.countSql && prefer.count) && (
      plan.countSql === 'rpc' ? !!(plan.rpcCountSql && plan.countValues)
        : plan.countSql !== 'affected' && (prefer.count === 'planned' || (prefer.count === 'estimated' && config.maxRows !== undefined)));
    const checksAfter = plan.media.kind === 'plan' || extraCount
      || (!plan.readOnly && plan.media.kind === 'object')
      || (!plan.readOnly && prefer.maxAffected !== undefined && prefer.handling === 'strict' && plan.kind !== 'read');
    // RESET ALL and the advisory-lock release undo whatever a previous request on this pooled
    // connection set at session level (set_config(..., false), pg_advisory_lock). They run first
    // inside the request's transaction (the release with its settings), so every request
    // starts clean.
    const steps: Step[] = [
      plan.readOnly ? BEGIN_READ_ONLY : BEGIN_READ_WRITE,
      RESET_ALL,
      { ...settingsStep(settings.length / 2), values: settings },
    ];
    // Prepared like every other statement (PostgREST prepares its pre-request call too).
    if (config.preRequestSql) steps.push({ name: d.statementName(config.preRequestSql), text: config.preRequestSql });
    const mainStep = steps.length;
    if (plan.media.kind !== 'plan') steps.push({ name: d.statementName(plan.sql), text: plan.sql, values: plan.values as unknown[], rows: true });
    if (!checksAfter) steps.push(rollback ? ROLLBACK : COMMIT);
    try {
      const results = await runBatch(client, steps);
      if (plan.media.kind === 'plan') {
        const fmt = plan.media.planFormat === 'text' ? 'text' : 'json';
        const extra = (plan.media.planOptions ?? []).filter((o) => ['analyze', 'verbose', 'settings', 'buffers', 'wal'].includes(o)).map((o) => `, ${o}`).join('');
        const res = await client.query({ text: `explain (format ${fmt}${extra}) ${plan.sql}`, values: plan.values as unknown[] });
        await client.query('rollback');
        const body = fmt === 'json' ? JSON.stringify(res.rows[0]['QUERY PLAN']) : res.rows.map((r) => r['QUERY PLAN']).join('\n');
        return { kind: 'explain', format: fmt, body };
      }
      const row = results[mainStep]![0] as unknown as ResultRow;
      const pageTotal = Number(row.page_total);
      let total: number | undefined;
      if (plan.countSql && prefer.count) {
        if (plan.countSql === 'affected') total = pageTotal;
        else if (plan.countSql === 'rpc') {
          total = pageTotal + plan.offset;
          if (plan.rpcCountSql && plan.countValues) {
            const c = await client.query({ text: plan.rpcCountSql!, values: plan.countValues as unknown[] });
            total = Number(c.rows[0].n);
          }
        }
        else if (prefer.count === 'exact' || prefer.count === 'estimated') {
          total = Number(row.total_result_set);
          if (prefer.count === 'estimated' && config.maxRows !== undefined && total > config.maxRows) {
            total = await plannedCount(client, plan);
          }
        } else total = await plannedCount(client, plan);
      }
      // Cardinality and max-affected are checked before a write commits: a violation rolls
      // back (a read-only transaction has nothing to undo, so its COMMIT went out already).
      if (plan.media.kind === 'object' && pageTotal !== 1 && !(plan.kind === 'call' && plan.fn && !plan.fn.setof && pageTotal === 1)) {
        if (checksAfter) await client.query('rollback');
        throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${pageTotal} rows`);
      }
      if (prefer.maxAffected !== undefined && prefer.handling === 'strict' && plan.kind !== 'read' && pageTotal > prefer.maxAffected) {
        if (checksAfter) await client.query('rollback');
        throw new ApiError(400, 'PGRST124', 'Query result exceeds max-affected preference constraint', `The query affects ${pageTotal} rows`);
      }
      if (checksAfter) await client.query(rollback ? 'rollback' : 'commit');
      return { kind: 'rows', row, pageTotal, total };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const pgErr = err as { code?: string; message: string; detail?: string; hint?: string };
      await client.query('rollback').catch((e: Error) => { broken = e; });
      if (!pgErr.code) {
        broken = err as Error;
        throw new ApiError(503, 'PGRST001', 'Database client error. Retrying the connection.', pgErr.message);
      }
      throw fromPg(pgErr, auth.authed);
    }
  } finally {
    client.release(broken);
  }
}

async function plannedCount(client: pg.PoolClient, plan: Plan): Promise<number> {
  const res = await client.query({ text: `explain (format json) ${plan.countSql}`, values: plan.countValues as unknown[] | undefined });
  const top = res.rows[0]['QUERY PLAN'][0].Plan;
  const inner = top.Plans?.[0] ?? top;
  return Number(inner['Plan Rows'] ?? 0);
}

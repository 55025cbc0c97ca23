// A PostgREST-compatible `/rest/v1` so `@supabase/supabase-js` works unchanged on the local
// stack. Behaviour follows PostgREST 12/13 (docs/references/*, src/library/PostgREST/*):
// one transaction per request, the role and request.* settings set with set_config, one
// statement shaped like PostgREST's, its error bodies and statuses.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { headersObject, type MountedService, type RequestContext, type ServiceContext } from '../service.ts';
import { readCredential, type BearerRule } from '../bearer.ts';
import { JwtError } from '../jwt.ts';
import { ApiError, columnNotFound, fromPg } from './errors.ts';
import { openApi } from './openapi.ts';
import {
  parseFieldRef, parseFilterValue, parseLogic, parseOrder, parseSelect,
  type Filter, type LogicTree, type SelectItem,
} from './parse.ts';
import {
  buildSelect, checkLevels, embedPaths, ident, orderSql, Params, whereSql,
  type BuildOptions, type EmbedInfo, type Level, type Levels,
} from './query.ts';
import { key, loadSchemaCache, type Fn, type SchemaCache, type Table } from './schema.ts';
import { runBatch, type Step } from './pipeline.ts';

const PREFIX = '/rest/v1';
/** Request bodies above this size are refused (413) before they reach Postgres. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Prepared statements kept per distinct SQL text; rarer shapes run unnamed. */
const MAX_NAMED_STATEMENTS = 2000;
/** Plans kept per schema-cache generation (oldest dropped first). */
const MAX_CACHED_PLANS = 1000;
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
/** Kong copies `apikey` into `Authorization` when the request has no bearer token. */
const POSTGREST_BEARER: BearerRule = { scheme: 'postgrest', apikey: 'without-bearer' };
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'and', 'or', 'not.and', 'not.or']);

interface RestConfig {
  schemas: string[];
  extraSearchPath: string[];
  maxRows: number | undefined;
  planEnabled: boolean;
  aggregatesEnabled: boolean;
  txEnd: 'commit' | 'commit-allow-override' | 'rollback' | 'rollback-allow-override';
  /** The statement that calls db_pre_request, built once per configuration load. */
  preRequestSql: string | undefined;
  anonRole: string;
}

interface Auth {
  role: string;
  claims: Record<string, unknown>;
  authed: boolean;
}

interface Prefer {
  return?: 'minimal' | 'representation' | 'headers-only';
  count?: 'exact' | 'planned' | 'estimated';
  resolution?: 'merge-duplicates' | 'ignore-duplicates';
  missing?: 'default' | 'null';
  handling?: 'strict' | 'lenient';
  tx?: 'commit' | 'rollback';
  maxAffected?: number;
  params?: 'single-object';
  timezone?: string;
  invalid: string[];
  applied: string[];
}

type Media = { kind: 'json' | 'object' | 'csv' | 'plan'; stripNulls?: boolean; planFormat?: 'json' | 'text'; planOptions?: string[]; planFor?: string };

function parsePrefer(headers: Headers): Prefer {
  const out: Prefer = { invalid: [], applied: [] };
  const raw = headers.get('prefer');
  if (!raw) return out;
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    const ok = (() => {
      switch (k) {
        case 'return': if (v === 'minimal' || v === 'representation' || v === 'headers-only') { out.return = v; return true; } return false;
        case 'count': if (v === 'exact' || v === 'planned' || v === 'estimated') { out.count = v; return true; } return false;
        case 'resolution': if (v === 'merge-duplicates' || v === 'ignore-duplicates') { out.resolution = v; return true; } return false;
        case 'missing': if (v === 'default' || v === 'null') { out.missing = v; return true; } return false;
        case 'handling': if (v === 'strict' || v === 'lenient') { out.handling = v; return true; } return false;
        case 'tx': if (v === 'commit' || v === 'rollback') { out.tx = v; return true; } return false;
        case 'max-affected': if (v && /^\d+$/.test(v)) { out.maxAffected = Number(v); return true; } return false;
        case 'params': if (v === 'single-object') { out.params = v; return true; } return false;
        case 'timezone': if (v) { out.timezone = v; return true; } return false;
        default: return false;
      }
    })();
    if (!ok) out.invalid.push(part);
  }
  return out;
}

function parseAccept(header: string | null, planEnabled: boolean): Media {
  const raw = header?.trim() || '*/*';
  const offered: string[] = [];
  for (const partRaw of raw.split(',')) {
    const part = partRaw.trim();
    const [typeRaw, ...params] = part.split(';').map((s) => s.trim());
    const type = (typeRaw ?? '').toLowerCase();
    offered.push(type);
    const p = Object.fromEntries(params.map((x) => { const i = x.indexOf('='); return [x.slice(0, i).trim().toLowerCase(), x.slice(i + 1).trim().replace(/^"|"$/g, '')]; }));
    const strip = p.nulls === 'stripped';
    if (type === '*/*' || type === 'application/json' || type === 'application/*') return { kind: 'json' };
    if (type === 'application/vnd.pgrst.array+json') return { kind: 'json', stripNulls: strip };
    if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object') return { kind: 'object', stripNulls: strip };
    if (type === 'text/csv') return { kind: 'csv' };
    if ((type === 'application/vnd.pgrst.plan+json' || type === 'application/vnd.pgrst.plan+text' || type === 'application/vnd.pgrst.plan') && planEnabled) {
      return { kind: 'plan', planFormat: type.endsWith('+text') ? 'text' : 'json', planOptions: (p.options ?? '').split('|').filter(Boolean), planFor: p.for };
    }
  }
  throw new ApiError(406, 'PGRST107', `None of these media types are available: ${offered.join(', ')}`);
}

const toInt = (v: string, what: string) => {
  if (!/^\d+$/.test(v) || v.length > 15) {
    if (/^-\d+$/.test(v)) throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', 'Limit should be greater than or equal to zero.');
    throw new ApiError(400, 'PGRST100', `"failed to parse ${what} parameter (${v})" (line 1, column 1)`, 'unexpected input expecting digit');
  }
  return Number(v);
};

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

function errorResponse(err: ApiError): Response {
  return jsonResponse(err.status, err.body(), err.headers);
}

/** The authenticator login PostgREST uses, derived from the stack's database URL. */
function authenticatorUrl(dbUrl: string): string {
  const u = new URL(dbUrl);
  u.username = 'authenticator';
  u.password = 'postgres';
  return u.toString();
}

const IN_DB_SETTINGS = ['db_schemas', 'db_extra_search_path', 'db_max_rows', 'db_plan_enabled', 'db_aggregates_enabled', 'db_tx_end', 'db_pre_request', 'db_anon_role'];

/** PostgREST's in-database configuration: `pgrst.*` settings of the authenticator role. */
async function readConfig(client: pg.ClientBase, ctx: ServiceContext): Promise<RestConfig> {
  const base: RestConfig = {
    schemas: ctx.config.api.schemas,
    extraSearchPath: ctx.config.api.extraSearchPath,
    maxRows: ctx.config.api.maxRows,
    planEnabled: false,
    aggregatesEnabled: false,
    txEnd: 'commit',
    preRequestSql: undefined,
    anonRole: 'anon',
  };
  const { rows } = await client.query<{ k: string; v: string }>(
    `with s as (
       select s.setdatabase, unnest(s.setconfig) as setting
       from pg_catalog.pg_db_role_setting s
       where s.setrole = (select oid from pg_roles where rolname = 'authenticator')
         and s.setdatabase in (0, (select oid from pg_database where datname = current_database())))
     select distinct on (k) k, v from (
       select replace(split_part(setting, '=', 1), 'pgrst.', '') as k, substr(setting, strpos(setting, '=') + 1) as v, setdatabase
       from s where setting like 'pgrst.%') x
     where k = any($1) order by k, setdatabase desc`,
    [IN_DB_SETTINGS],
  );
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const bool = (v: string) => ['true', 'on', 'yes', '1'].includes(v.toLowerCase());
  for (const { k, v } of rows) {
    if (k === 'db_schemas') base.schemas = list(v);
    else if (k === 'db_extra_search_path') base.extraSearchPath = list(v);
    else if (k === 'db_max_rows') base.maxRows = /^\d+$/.test(v) ? Number(v) : undefined;
    else if (k === 'db_plan_enabled') base.planEnabled = bool(v);
    else if (k === 'db_aggregates_enabled') base.aggregatesEnabled = bool(v);
    else if (k === 'db_tx_end' && ['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override'].includes(v)) base.txEnd = v as RestConfig['txEnd'];
    else if (k === 'db_pre_request') base.preRequestSql = v ? `select ${v.split('.').map(ident).join('.')}()` : undefined;
    else if (k === 'db_anon_role') base.anonRole = v || 'anon';
  }
  return base;
}

interface State {
  config: RestConfig;
  cache: SchemaCache;
  /**
   * Built plans by request shape; a reload starts a new state, so they never go stale. A write's
   * plan is keyed by the columns its body writes too, and its body parameter is filled per request.
   */
  plans: Map<string, Plan>;
}

/** Starts `/rest/v1`: a pool as `authenticator`, the schema cache, and its NOTIFY listener. */
export async function startRest(ctx: ServiceContext): Promise<MountedService> {
  let connUrl = authenticatorUrl(ctx.dbUrl);
  try {
    const probe = new pg.Client({ connectionString: connUrl });
    await probe.connect();
    await probe.end();
  } catch {
    connUrl = ctx.dbUrl; // a database without the authenticator login (e.g. a bare DB_URL)
  }
  const pool = new pg.Pool({ connectionString: connUrl, max: Number(process.env.LINTEL_REST_POOL ?? 10), idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => ctx.logger.warn({ err }, 'idle rest connection failed'));

  const listener = new pg.Client({ connectionString: connUrl });
  let state: State;
  let generation = 0;
  const load = async (what: 'schema' | 'config' | 'both') => {
    const client = await pool.connect();
    try {
      const config = what === 'schema' && state ? state.config : await readConfig(client, ctx);
      const cache = what === 'config' && state && sameSchemas(state.config, config) ? state.cache : await loadSchemaCache(client, config.schemas);
      state = { config, cache, plans: new Map() };
      generation++;
    } finally {
      client.release();
    }
  };
  const sameSchemas = (a: RestConfig, b: RestConfig) => a.schemas.join(',') === b.schemas.join(',');
  await load('both');
  let reloading: Promise<void> = Promise.resolve();
  let stopped = false;
  const connectListener = async () => {
    await listener.connect();
    listener.on('notification', (msg) => {
      const payload = (msg.payload ?? '').trim();
      const what = payload === 'reload schema' ? 'schema' : payload === 'reload config' ? 'config' : payload === '' ? 'both' : null;
      if (!what) return;
      reloading = reloading.then(() => load(what)).catch((err) => ctx.logger.error({ err }, 'schema cache reload failed'));
    });
    listener.on('error', (err) => {
      if (!stopped) ctx.logger.warn({ err }, 'rest NOTIFY listener lost');
    });
    await listener.query('listen pgrst');
  };
  await connectListener();

  const statements = new Map<string, string>();
  // Only shapes seen twice are prepared, so one-off queries (or a flood of malformed ones) do
  // not use up the named slots that recurring dashboard queries need.
  const seenOnce = new Set<string>();
  const statementName = (sql: string): string | undefined => {
    let name = statements.get(sql);
    if (name) return name;
    if (!seenOnce.has(sql)) {
      if (seenOnce.size >= 10_000) seenOnce.clear();
      seenOnce.add(sql);
      return undefined;
    }
    if (statements.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `pgrst_${generation}_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statements.set(sql, name);
    return name;
  };

  const handler = new Handler(ctx, () => state, () => reloading, pool, statementName);

  return {
    name: 'rest',
    prefix: PREFIX,
    fetch: (req, rctx) => handler.handle(req, rctx),
    async stop() {
      stopped = true;
      await listener.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

/** What one request runs: the statement and how to read its single result row. */
interface Plan {
  sql: string;
  values: unknown[];
  readOnly: boolean;
  media: Media;
  kind: 'read' | 'create' | 'update' | 'delete' | 'call' | 'upsert';
  /** Functions returning void answer 204; scalar functions return the value. */
  fn?: Fn;
  table?: string;
  countSql?: string;
  countValues?: unknown[];
  rpcCountSql?: string;
  offset: number;
  hasLimit: boolean;
  /**
   * A POST / PATCH body: where its JSON goes in `values`, and the `columns=` it was planned with.
   * Set on plans that may be cached; everything else in such a plan follows from the request's
   * shape and the columns written.
   */
  body?: { index: number; columnsParam: string[] | undefined; written: string[] };
  /** Preferences the planning applied (e.g. `missing=default`), replayed when the plan is reused. */
  applied?: string[];
}

class Handler {
  constructor(
    private ctx: ServiceContext,
    private getState: () => State,
    private reloading: () => Promise<void>,
    private pool: pg.Pool,
    private statementName: (sql: string) => string | undefined,
  ) {}

  async handle(req: Request, rctx: RequestContext): Promise<Response> {
    try {
      await this.reloading();
      return await this.route(req, rctx);
    } catch (err) {
      if (err instanceof ApiError) {
        this.ctx.logger.debug({ status: err.status, error: err.body(), url: req.url }, 'rest error response');
        return errorResponse(err);
      }
      this.ctx.logger.error({ err }, 'rest request failed');
      return jsonResponse(500, { code: 'PGRSTX00', details: null, hint: null, message: 'Internal server error' });
    }
  }

  private async authenticate(req: Request): Promise<Auth> {
    const { config } = this.getState();
    const keys = this.ctx.config.keys;
    const cred = readCredential(req.headers.get('authorization'), req.headers.get('apikey'), POSTGREST_BEARER);
    if (cred.from === 'none') return { role: config.anonRole, claims: { role: config.anonRole }, authed: false };
    const token = cred.token;
    if (token === '') {
      throw new ApiError(401, 'PGRST301', 'Empty JWT is sent in Authorization header', null, null, {
        'www-authenticate': 'Bearer error="invalid_token", error_description="Empty JWT is sent in Authorization header"',
      });
    }
    // The opaque API keys are not JWTs: the publishable key acts as anon, the secret key as service_role.
    if (token.startsWith('sb_publishable_')) {
      if (token !== keys.publishableKey) throw invalidApiKey();
      return { role: config.anonRole, claims: { role: config.anonRole }, authed: false };
    }
    if (token.startsWith('sb_secret_')) {
      if (token !== keys.secretKey) throw invalidApiKey();
      return { role: 'service_role', claims: { role: 'service_role' }, authed: true };
    }
    try {
      const claims = await this.verifyCached(token);
      const role = typeof claims.role === 'string' && claims.role ? claims.role : config.anonRole;
      return { role, claims: { ...claims, role }, authed: role !== config.anonRole };
    } catch (err) {
      if (err instanceof JwtError) throw jwtError(err);
      throw err;
    }
  }

  /** Verified tokens, kept until they expire (PostgREST's JWT cache); bounded, oldest dropped first. */
  private jwtCache = new Map<string, { claims: Record<string, unknown>; exp: number }>();

  private async verifyCached(token: string): Promise<Record<string, unknown>> {
    const now = Date.now() / 1000;
    const hit = this.jwtCache.get(token);
    if (hit && hit.exp > now) return hit.claims;
    const claims = (await this.ctx.verifyJwt(token)) as Record<string, unknown>;
    const exp = typeof claims.exp === 'number' ? claims.exp : now + 60;
    if (this.jwtCache.size >= 1000) this.jwtCache.delete(this.jwtCache.keys().next().value!);
    this.jwtCache.set(token, { claims, exp: Math.min(exp, now + 300) });
    return claims;
  }

  private async route(req: Request, rctx: RequestContext): Promise<Response> {
    const { url } = rctx;
    const path = url.pathname.slice(PREFIX.length) || '/';
    const method = req.method.toUpperCase();
    if (!['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'].includes(method)) {
      throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
    }
    const auth = await this.authenticate(req);
    rctx.log.role = auth.role;
    if (typeof auth.claims.sub === 'string') rctx.log.user = auth.claims.sub;
    const state = this.getState();
    const { config, cache } = state;
    const readMethod = method === 'GET' || method === 'HEAD';
    const profileHeader = readMethod ? req.headers.get('accept-profile') : req.headers.get('content-profile');
    const schema = profileHeader ?? config.schemas[0] ?? 'public';
    if (!config.schemas.includes(schema)) {
      throw new ApiError(406, 'PGRST106', `Invalid schema: ${schema}`, null, `Only the following schemas are exposed: ${config.schemas.join(', ')}`);
    }
    const profileHeaders: Record<string, string> = config.schemas.length > 1 ? { 'content-profile': schema } : {};
    let segments: string[];
    try {
      segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new ApiError(404, 'PGRST125', 'Invalid path specified in request URL');
    }

    if (method === 'OPTIONS') {
      return new Response(null, { status: 200, headers: { allow: 'OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE' } });
    }
    if (segments.length === 0) {
      if (!readMethod) throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
      const doc = openApi(cache, schema, url.host);
      return new Response(method === 'HEAD' ? null : JSON.stringify(doc), {
        status: 200,
        headers: { 'content-type': 'application/openapi+json; charset=utf-8', ...profileHeaders },
      });
    }
    let body: string | undefined;
    if (!readMethod && method !== 'DELETE') {
      const len = Number(req.headers.get('content-length') ?? '0');
      if (len > MAX_BODY_BYTES) throw new ApiError(413, 'PGRST413', 'Payload Too Large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      body = await req.text();
      if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new ApiError(413, 'PGRST413', 'Payload Too Large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    }
    const prefer = parsePrefer(req.headers);
    if (prefer.handling === 'strict' && prefer.invalid.length) {
      throw new ApiError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${prefer.invalid.join(', ')}`);
    }
    // A plan depends only on the URL and these headers (not on the caller: the role and claims
    // reach Postgres as settings) and, for a table write, on the columns its body writes. So a
    // repeated dashboard query or form submit skips parsing and building: a write's cached plan
    // gets this request's body as its parameter (checked by the same code that planned it).
    const tableWrite = (method === 'POST' || method === 'PATCH') && segments.length === 1;
    let shape = readMethod || method === 'DELETE' || tableWrite
      ? `${method} ${schema} ${url.pathname}${url.search}\n${req.headers.get('accept') ?? ''}\n${req.headers.get('prefer') ?? ''}\n${req.headers.get('range') ?? ''}`
      : undefined;
    const reuse = (cached: Plan, values = cached.values) => {
      if (cached.applied) prefer.applied.push(...cached.applied);
      return this.execute({ ...cached, values }, rctx, auth, config, schema, path, prefer, profileHeaders, method);
    };
    if (shape !== undefined && tableWrite) {
      shape += `\n${req.headers.get('content-type') ?? ''}`;
      const first = state.plans.get(shape);
      if (first?.body) {
        const written = writeBody(method, parseBody(body, req.headers), first.body.columnsParam);
        const cached = state.plans.get(`${shape}\n${JSON.stringify(written.cols)}`);
        if (cached?.body) {
          const values = cached.values.slice();
          values[cached.body.index] = written.param;
          return reuse(cached, values);
        }
      }
    } else if (shape !== undefined) {
      const cached = state.plans.get(shape);
      if (cached) return reuse(cached);
    }
    const media = parseAccept(req.headers.get('accept'), config.planEnabled);
    const opts: BuildOptions = { cache, aggregatesEnabled: config.aggregatesEnabled, counter: { n: 0 } };

    let plan: Plan;
    if (segments[0] === 'rpc' && segments.length === 2) {
      if (!['GET', 'HEAD', 'POST'].includes(method)) throw new ApiError(405, 'PGRST101', 'Cannot use the ' + method + ' method on RPC');
      plan = this.planCall(segments[1]!, schema, method, url.searchParams, body, req.headers, prefer, media, opts, config);
    } else if (segments.length === 1) {
      const table = cache.tables.get(key(schema, segments[0]!));
      if (!table) throw tableNotFound(cache, schema, segments[0]!);
      const appliedBefore = prefer.applied.length;
      plan = this.planTable(table, method, url.searchParams, body, req.headers, prefer, media, opts, config);
      if (prefer.applied.length > appliedBefore) plan.applied = prefer.applied.slice(appliedBefore);
    } else {
      throw new ApiError(404, 'PGRST125', 'Invalid path specified in request URL');
    }
    if (shape !== undefined && (!tableWrite || plan.body)) {
      const remember = (k: string) => {
        if (state.plans.size >= MAX_CACHED_PLANS) state.plans.delete(state.plans.keys().next().value!);
        state.plans.set(k, plan);
      };
      if (tableWrite) {
        // Two entries: by shape alone (to learn how to read the body's columns), then by columns.
        if (!state.plans.has(shape)) remember(shape);
        remember(`${shape}\n${JSON.stringify(plan.body!.written)}`);
      } else remember(shape);
    }
    return this.execute(plan, rctx, auth, config, schema, path, prefer, profileHeaders, method);
  }

  private parseLevels(params: URLSearchParams, skip: Set<string>): { levels: Levels; select: SelectItem[]; columns?: string[]; onConflict?: string[] } {
    const levels: Levels = new Map();
    const level = (p: string): Level => {
      let l = levels.get(p);
      if (!l) levels.set(p, (l = { filters: [] }));
      return l;
    };
    level('');
    let select: SelectItem[] = [{ kind: 'star' }];
    let columns: string[] | undefined;
    let onConflict: string[] | undefined;
    for (const [k, v] of params) {
      if (skip.has(k)) continue;
      if (k === 'select') {
        select = parseSelect(v);
        continue;
      }
      if (k === 'columns') {
        columns = v.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
        continue;
      }
      if (k === 'on_conflict') {
        onConflict = v.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
        continue;
      }
      const lm = /^(?:(.+)\.)?(not\.)?(and|or)$/.exec(k);
      if (lm) {
        level(lm[1] ?? '').filters.push(parseLogic(lm[3] as 'and' | 'or', !!lm[2], v, v));
        continue;
      }
      const om = /^(?:(.+)\.)?(order|limit|offset)$/.exec(k);
      if (om) {
        const l = level(om[1] ?? '');
        if (om[2] === 'order') l.order = parseOrder(v);
        else if (om[2] === 'limit') l.limit = toInt(v, 'limit');
        else l.offset = toInt(v, 'offset');
        continue;
      }
      // `rel.sub.col->x=op.val`: the embed path is everything before the last dot outside the field
      const arrow = k.indexOf('->');
      const head = arrow >= 0 ? k.slice(0, arrow) : k;
      const dot = head.lastIndexOf('.');
      const pathPart = dot >= 0 ? k.slice(0, dot) : '';
      const fieldPart = dot >= 0 ? k.slice(dot + 1) : k;
      level(pathPart).filters.push(parseFilterValue(parseFieldRef(fieldPart, 'filter'), v, v));
    }
    return { levels, select, columns, onConflict };
  }

  private planTable(
    table: Table, method: string, params: URLSearchParams, body: string | undefined, headers: Headers,
    prefer: Prefer, media: Media, opts: BuildOptions, config: RestConfig,
  ): Plan {
    const { levels, select, columns, onConflict } = this.parseLevels(params, new Set());
    checkLevels(levels, embedPaths(select));
    const top = levels.get('')!;
    const p = new Params();
    const alias = table.name;
    const from = `${ident(table.schema)}.${ident(table.name)}`;

    if (method === 'GET' || method === 'HEAD') {
      const range = parseRange(headers);
      const offset = (range?.offset ?? 0) + (top.offset ?? 0);
      let limit = top.limit;
      if (range?.limit !== undefined) limit = limit === undefined ? Math.max(0, range.limit - (top.offset ?? 0)) : Math.min(limit, range.limit);
      if (config.maxRows !== undefined) limit = limit === undefined ? config.maxRows : Math.min(limit, config.maxRows);
      const sel = buildSelect(select, table, alias, p, levels, '', opts);
      const where = whereSql(top, alias, p, sel.embeds, table);
      const group = sel.hasAggregate && sel.groupBy.length ? `group by ${sel.groupBy.join(', ')}` : '';
      const order = top.order?.length ? `order by ${orderSql(top.order, alias, sel.embeds, table.name)}` : '';
      const limitSql = limit !== undefined ? `limit ${p.add(limit)}` : '';
      const offsetSql = offset ? `offset ${p.add(offset)}` : '';
      const source = `select ${sel.columns.join(', ') || 'null'} from ${from} as ${ident(alias)} ${sel.joins.join(' ')} ${where} ${group} ${order} ${limitSql} ${offsetSql}`;
      let countSql: string | undefined;
      let countValues: unknown[] | undefined;
      if (prefer.count) {
        // Count with the same filters and the inner joins that restrict the top level.
        const cp = new Params();
        const csel = buildSelect(select, table, alias, cp, levels, '', { ...opts, counter: { n: 0 } });
        const cwhere = whereSql(top, alias, cp, csel.embeds, table);
        const usesEmbeds = top.filters.some((f) => f.kind === 'filter' && f.field.path.length === 0 && csel.embeds.has(f.field.name) && !table.colMap.has(f.field.name));
        countSql = `select pg_catalog.count(*) as n from (select 1 from ${from} as ${ident(alias)} ${(usesEmbeds ? csel.joins : csel.innerJoins).join(' ')} ${cwhere}) as pgrst_count`;
        countValues = cp.values;
      }
      // An exact count rides in the main statement as a CTE, as PostgREST's does: one round trip.
      let countCte = '';
      if (prefer.count === 'exact' || prefer.count === 'estimated') {
        const csel = buildSelect(select, table, alias, p, levels, '', { ...opts, counter: { n: 0 } });
        const cwhere = whereSql(top, alias, p, csel.embeds, table);
        const usesEmbeds = top.filters.some((f) => f.kind === 'filter' && f.field.path.length === 0 && csel.embeds.has(f.field.name) && !table.colMap.has(f.field.name));
        countCte = `, pgrst_source_count as (select 1 from ${from} as ${ident(alias)} ${(usesEmbeds ? csel.joins : csel.innerJoins).join(' ')} ${cwhere})`;
      }
      return { sql: wrapRead(source, media, countCte), values: p.values, readOnly: true, media, kind: 'read', countSql, countValues, offset, hasLimit: limit !== undefined };
    }

    if (method === 'DELETE') {
      if (!table.deletable) throw fromPg({ code: '42809', message: `cannot delete from view "${table.name}"` }, true);
      const sel = buildSelect(select, table, alias, p, levels, '', opts);
      const where = whereSql(top, alias, new Params(), sel.embeds, table) ? whereSql(top, alias, p, sel.embeds, table) : '';
      const mutation = `delete from ${from} as ${ident(alias)} ${where}`;
      return this.mutationPlan(mutation, select, table, p, levels, opts, prefer, media, 'delete');
    }

    const parsed = parseBody(body, headers);
    if (method === 'PATCH') {
      const { param, cols } = writeBody(method, parsed, columns);
      for (const c of cols) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
      if (cols.length === 0) {
        // PostgREST answers an empty PATCH without touching rows.
        const sql = wrapRead(`select ${ident(alias)}.* from ${from} as ${ident(alias)} where false`, media);
        return { sql, values: [], readOnly: false, media, kind: 'update', offset: 0, hasLimit: false };
      }
      const bodyParam = p.add(param);
      const bodyRef = { index: p.values.length - 1, columnsParam: columns, written: cols };
      const recordDef = cols.map((c) => `${ident(c)} ${table.colMap.get(c)!.type}`).join(', ');
      const sel = buildSelect(select, table, alias, new Params(), levels, '', { ...opts, counter: { n: 0 } });
      const where = whereSql(top, alias, p, sel.embeds, table);
      const set = cols.map((c) => `${ident(c)} = pgrst_body.${ident(c)}`).join(', ');
      const mutation = `update ${from} as ${ident(alias)} set ${set} from (select * from json_to_record(${bodyParam}::json) as _(${recordDef})) as pgrst_body ${where}`;
      return { ...this.mutationPlan(mutation, select, table, p, levels, opts, prefer, media, 'update'), body: bodyRef };
    }

    // POST (insert / upsert) and PUT (single-row upsert by primary key)
    if (!table.insertable) throw fromPg({ code: '42809', message: `cannot insert into view "${table.name}"` }, true);
    const { param, cols, rows } = writeBody(method, parsed, columns);
    for (const c of cols) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
    let conflict = '';
    let kind: Plan['kind'] = 'create';
    if (method === 'PUT') {
      if (top.limit !== undefined || top.offset !== undefined) throw new ApiError(400, 'PGRST114', 'limit/offset querystring parameters are not allowed for PUT');
      const pkFilters = new Map<string, string>();
      for (const f of top.filters) if (f.kind === 'filter' && f.op === 'eq' && !f.negate && f.field.path.length === 0) pkFilters.set(f.field.name, f.value as string);
      if (rows.length !== 1 || !table.pk.length || top.filters.length !== table.pk.length || !table.pk.every((c) => pkFilters.has(c))) {
        throw new ApiError(405, 'PGRST105', 'Filters must include all and only primary key columns with \'eq\' operators');
      }
      const row = rows[0] as Record<string, unknown>;
      if (!table.pk.every((c) => row[c] !== undefined && String(row[c]) === pkFilters.get(c))) {
        throw new ApiError(400, 'PGRST115', 'Payload values do not match URL in primary key column(s)');
      }
      const updates = cols.filter((c) => !table.pk.includes(c));
      conflict = ` on conflict (${table.pk.map(ident).join(', ')}) do ${updates.length ? `update set ${updates.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}` : 'nothing'}`;
      kind = 'upsert';
    } else if (prefer.resolution) {
      const target = onConflict ?? table.pk;
      for (const c of target) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
      if (!target.length) throw new ApiError(400, 'PGRST100', 'on_conflict parameter is required for a table without a primary key');
      if (prefer.resolution === 'ignore-duplicates') conflict = ` on conflict (${target.map(ident).join(', ')}) do nothing`;
      else {
        const updates = cols.filter((c) => !target.includes(c));
        const set = updates.length ? updates : cols;
        conflict = ` on conflict (${target.map(ident).join(', ')}) do ${set.length ? `update set ${set.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}` : 'nothing'}`;
      }
      prefer.applied.push(`resolution=${prefer.resolution}`);
    } else if (onConflict) {
      for (const c of onConflict) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
    }
    const bodyParam = p.add(param);
    const bodyRef = { index: p.values.length - 1, columnsParam: columns, written: cols };
    let insert: string;
    if (cols.length === 0) {
      // `insert ... select` without columns inserts one row of defaults per element.
      insert = `insert into ${from} as ${ident(alias)} (${table.columns.filter((c) => !c.generated).slice(0, 1).map((c) => ident(c.name)).join(', ')}) select ${table.columns.filter((c) => !c.generated).slice(0, 1).map((c) => c.default ?? 'null').join(', ')} from json_array_elements(${bodyParam}::json)${conflict}`;
    } else if (prefer.missing === 'default') {
      prefer.applied.push('missing=default');
      // Defaults are evaluated for every row, as PostgREST's default record does (a sequence
      // advances even for rows that carry their own value).
      const withDefault = cols.filter((c) => table.colMap.get(c)!.default !== null);
      const exprs = cols.map((c, i) => (withDefault.includes(c) ? `case when pgrst_el ? ${lit(c)} then pgrst_rec.${ident(c)} else pgrst_def.${ident(`d${i}`)} end` : `pgrst_rec.${ident(c)}`));
      const defs = withDefault.length ? `, lateral (select ${cols.map((c, i) => (withDefault.includes(c) ? `${table.colMap.get(c)!.default} as ${ident(`d${i}`)}` : null)).filter(Boolean).join(', ')}, pgrst_el as pgrst_row offset 0) as pgrst_def` : '';
      insert = `insert into ${from} as ${ident(alias)} (${cols.map(ident).join(', ')}) select ${exprs.join(', ')} from jsonb_array_elements(${bodyParam}::jsonb) as pgrst_el, lateral jsonb_populate_record(null::${from}, pgrst_el) as pgrst_rec${defs}${conflict}`;
    } else {
      const recordDef = cols.map((c) => `${ident(c)} ${table.colMap.get(c)!.type}`).join(', ');
      insert = `insert into ${from} as ${ident(alias)} (${cols.map(ident).join(', ')}) select ${cols.map((c) => `pgrst_body.${ident(c)}`).join(', ')} from json_to_recordset(${bodyParam}::json) as pgrst_body(${recordDef})${conflict}`;
    }
    return { ...this.mutationPlan(insert, select, table, p, levels, opts, prefer, media, kind), body: bodyRef };
  }

  /** Wraps an INSERT / UPDATE / DELETE (given without RETURNING) in PostgREST's response statement. */
  private mutationPlan(
    mutation: string, select: SelectItem[], table: Table, p: Params, levels: Levels, opts: BuildOptions,
    prefer: Prefer, media: Media, kind: Plan['kind'],
  ): Plan {
    const alias = table.name;
    const represent = prefer.return === 'representation';
    const sel = buildSelect(select, table, alias, p, levels, '', opts);
    const inner = represent ? `select ${sel.columns.join(', ') || 'null'} from pgrst_source as ${ident(alias)} ${sel.joins.join(' ')}` : 'select * from pgrst_source';
    const location = kind === 'create' && prefer.return === 'headers-only' && table.pk.length
      ? `case when pg_catalog.count(_postgrest_t) = 1 then (select string_agg(pgrst_k || '=eq.' || pgrst_v, '&') from json_each_text((pg_catalog.json_agg(_postgrest_t) -> 0)) as j(pgrst_k, pgrst_v) where pgrst_k = any(${p.add(table.pk)}::text[])) end`
      : 'null';
    // Upserts report whether any row was new (201) or all were updated (200), as PostgREST's
    // pgrst.inserted does; xmax = 0 marks a freshly inserted row version.
    const upsert = (kind === 'create' && prefer.resolution === 'merge-duplicates') || kind === 'upsert';
    // With no representation asked for (return=minimal, or no preference), PostgREST writes
    // `RETURNING 1` (QueryBuilder's returningF): the caller needs no SELECT privilege or policy
    // on the rows it writes, and nothing is built that nobody reads. Upserts still return the
    // row, for the xmax test that tells 201 from 200.
    const returning = upsert
      ? `${ident(alias)}.*, (${ident(alias)}.xmax = 0) as pgrst_is_insert`
      : prefer.return === 'representation' || prefer.return === 'headers-only' ? `${ident(alias)}.*` : '1';
    const cols = table.columns.map((c) => ident(c.name)).join(', ');
    const source = upsert
      ? `pgrst_raw as (${mutation} returning ${returning}), pgrst_source as (select ${cols} from pgrst_raw)`
      : `pgrst_source as (${mutation} returning ${returning})`;
    const inserted = upsert ? '(select count(*) from pgrst_raw where pgrst_is_insert)' : 'null';
    const sql = `with ${source} select '' as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${represent ? bodyExpr(media) : "''"} as body, ${location} as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status, ${inserted} as inserted from (${inner}) _postgrest_t`;
    return { sql, values: p.values, readOnly: false, media, kind, table: table.name, offset: 0, hasLimit: false, countSql: prefer.count ? 'affected' : undefined };
  }

  private planCall(
    name: string, schema: string, method: string, params: URLSearchParams, body: string | undefined, headers: Headers,
    prefer: Prefer, media: Media, opts: BuildOptions, config: RestConfig,
  ): Plan {
    const { cache } = this.getState();
    const candidates = (cache.functions.get(key(schema, name)) ?? []).filter((f) => f.callable);
    const isPost = method === 'POST';
    let args: Record<string, unknown> = {};
    let rawBody: unknown;
    const contentType = (headers.get('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (isPost) {
      if (contentType === 'application/json' || contentType === '' ) {
        rawBody = body && body.trim() !== '' ? parseJson(body) : {};
      } else if (contentType === 'application/x-www-form-urlencoded') {
        rawBody = Object.fromEntries(new URLSearchParams(body ?? ''));
      } else {
        rawBody = body ?? '';
      }
      if (rawBody !== null && typeof rawBody === 'object' && !Array.isArray(rawBody)) args = rawBody as Record<string, unknown>;
    }
    // GET: arguments are the query parameters named like the function's parameters.
    const paramNames = new Set(candidates.flatMap((f) => f.params.map((x) => x.name)));
    const skip = new Set<string>();
    if (!isPost) {
      for (const [k, v] of params) {
        if (RESERVED.has(k) || !paramNames.has(k)) continue;
        skip.add(k);
        const prev = args[k];
        args[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      // PostgREST treats every other non-reserved parameter as an argument when the function does
      // not know it, so an unknown one fails to find the function.
      for (const [k] of params) {
        if (RESERVED.has(k) || skip.has(k) || /\./.test(k)) continue;
        const looksLikeFilter = /^(not\.)?[a-z]+(\([a-z]+\))?\./.test(params.get(k) ?? '');
        if (!looksLikeFilter) {
          skip.add(k);
          args[k] = params.get(k);
        }
      }
    }
    const keys = Object.keys(args);
    let fn: Fn | undefined;
    let singleJson = false;
    // Unnamed parameters are addressed with the empty key, as postgrest-js sends them.
    const matches = candidates.filter((f) => {
      const required = f.params.filter((x) => !x.hasDefault).map((x) => x.name);
      return required.every((r) => keys.includes(r)) && keys.every((k) => f.params.some((x) => x.name === k));
    });
    const singleParam = candidates.filter((f) => f.params.length === 1 && (f.params[0]!.name === '' || prefer.params === 'single-object') && ['json', 'jsonb', 'text', 'xml', 'bytea'].includes(f.params[0]!.typname));
    if (isPost && (prefer.params === 'single-object' || (matches.length === 0 && singleParam.length > 0))) {
      const wanted = contentType === 'text/plain' ? ['text'] : contentType === 'application/octet-stream' ? ['bytea'] : contentType === 'text/xml' ? ['xml'] : ['json', 'jsonb'];
      const sp = singleParam.filter((f) => wanted.includes(f.params[0]!.typname));
      if (sp.length === 1) {
        fn = sp[0];
        singleJson = true;
      }
    }
    if (!fn) {
      if (matches.length === 1) fn = matches[0];
      else if (matches.length > 1) {
        const sig = (f: Fn) => `${f.schema}.${f.name}(${f.params.map((x) => `${x.name} => ${x.type}`).join(', ')})`;
        throw new ApiError(300, 'PGRST203', `Could not choose the best candidate function between: ${[...matches].sort((x, y) => x.params.length - y.params.length || sig(x).localeCompare(sig(y))).map(sig).join(', ')}`, null,
          'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
      }
    }
    if (!fn) {
      const sorted = [...keys].sort();
      const prms = sorted.join(', ');
      const isText = isPost && ['text/plain', 'text/xml', 'application/octet-stream'].includes(contentType);
      const withParams = sorted.length ? ` with parameter${sorted.length > 1 ? 's' : ''} ${prms}` : ' without parameters';
      const suffix = isPost && contentType === 'application/json' ? `${withParams} or with a single unnamed json/jsonb parameter` : isText ? ` with a single unnamed ${contentType === 'text/plain' ? 'text' : contentType === 'text/xml' ? 'xml' : 'bytea'} parameter` : withParams;
      let hint: string | null = null;
      if (!isText) {
        if (candidates.length) {
          const lists = candidates.map((f) => `(${f.params.map((x) => x.name).sort().join(', ')})`);
          const best = fuzzyBest(lists, `(${prms})`, 0.33);
          if (best) hint = `Perhaps you meant to call the function ${schema}.${name}${best}`;
        } else {
          const names = [...cache.functions.values()].flat().filter((f) => f.schema === schema && f.callable).map((f) => f.name);
          const best = fuzzyBest([...new Set(names)], name, 0.75);
          if (best) hint = `Perhaps you meant to call the function ${schema}.${best}`;
        }
      }
      throw new ApiError(404, 'PGRST202', `Could not find the function ${schema}.${name}${isText ? '' : sorted.length ? `(${prms})` : ' without parameters'} in the schema cache`,
        `Searched for the function ${schema}.${name}${suffix}, but no matches were found in the schema cache.`, hint);
    }
    const readOnly = !isPost || fn.volatility !== 'v';
    const p = new Params();
    const fnName = `${ident(fn.schema)}.${ident(fn.name)}`;
    let call: string;
    let argsCte = '';
    if (singleJson) {
      const v = typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
      call = `${fnName}(${p.add(v)}::${fn.params[0]!.type})`;
    } else if (keys.length === 0) {
      call = `${fnName}()`;
    } else {
      const given = fn.params.filter((x) => keys.includes(x.name));
      const jsonArgs: Record<string, unknown> = {};
      given.forEach((x, i) => { jsonArgs[`pgrst_arg_${i}`] = args[x.name]; });
      argsCte = `pgrst_args as (select * from json_to_record(${p.add(JSON.stringify(jsonArgs))}::json) as _(${given.map((x, i) => `${ident(`pgrst_arg_${i}`)} ${x.type}`).join(', ')})), `;
      // An unnamed parameter can only be passed by position (it is then the first one).
      call = `${fnName}(${given.map((x, i) => `${x.variadic ? 'variadic ' : ''}${x.name ? `${ident(x.name)} := ` : ''}(select ${ident(`pgrst_arg_${i}`)} from pgrst_args)`).join(', ')})`;
    }
    // Result shaping: scalar, set of scalars, or rows of a table type / RETURNS TABLE.
    const { levels, select } = this.parseLevels(params, new Set([...skip]));
    const top = levels.get('')!;
    const retTable = fn.returnTable ? cache.tables.get(key(fn.returnTable.schema, fn.returnTable.name)) : undefined;
    const pseudo: Table | undefined = retTable ?? (fn.outColumns ? {
      schema: fn.schema, name: fn.name, kind: 'f', description: null, insertable: false, updatable: false, deletable: false,
      columns: fn.outColumns.map((c) => ({ name: c.name, type: c.type, typname: c.type, nullable: true, default: null, description: null, enum: null, generated: false })),
      colMap: new Map(fn.outColumns.map((c) => [c.name, { name: c.name, type: c.type, typname: c.type, nullable: true, default: null, description: null, enum: null, generated: false }])),
      pk: [], uniques: [],
    } : undefined);
    let source: string;
    let limit = top.limit;
    const range = parseRange(headers);
    const offset = (range?.offset ?? 0) + (top.offset ?? 0);
    if (range?.limit !== undefined) limit = limit === undefined ? range.limit : Math.min(limit, range.limit);
    if (config.maxRows !== undefined && fn.setof) limit = limit === undefined ? config.maxRows : Math.min(limit, config.maxRows);
    let bodySql: string;
    const paging: number[] = [];
    // limit / offset travel as parameters so the count query can reuse the statement with nulls.
    const pageSql = () => {
      let out = '';
      if (limit !== undefined) { out += ` limit ${p.add(limit)}`; paging.push(p.values.length - 1); }
      if (offset) { out += ` offset ${p.add(offset)}`; paging.push(p.values.length - 1); }
      return out;
    };
    if (fn.returnTypname === 'void') {
      source = `select ${call}`;
      bodySql = "''";
    } else if (!pseudo || fn.scalar) {
      const alias = 'pgrst_scalar';
      checkLevels(levels, new Set());
      // Filters and order apply to a set of scalars only; a single scalar ignores them.
      const where = fn.setof ? whereSql(top, fn.name, p, new Map(), { schema, name: fn.name, kind: 'f', description: null, insertable: false, updatable: false, deletable: false, columns: [], colMap: new Map(), pk: [], uniques: [] }) : '';
      const order = fn.setof && top.order?.length ? `order by ${orderSql(top.order, fn.name, new Map(), fn.name)}` : '';
      source = fn.setof
        ? `select ${ident(fn.name)} as ${alias} from ${call} as ${ident(fn.name)} ${where} ${order} ${pageSql()}`
        : `select ${call} as ${alias}`;
      bodySql = fn.setof ? `coalesce(pg_catalog.json_agg(_postgrest_t.${alias}), '[]')::text` : `coalesce((pg_catalog.json_agg(_postgrest_t.${alias}) -> 0)::text, 'null')`;
      if (media.kind === 'object') bodySql = `coalesce((pg_catalog.json_agg(_postgrest_t.${alias}) -> 0)::text, 'null')`;
    } else {
      checkLevels(levels, embedPaths(select));
      const alias = fn.name;
      const sel = buildSelect(select, pseudo, alias, p, levels, '', opts);
      const where = whereSql(top, alias, p, sel.embeds, pseudo);
      const group = sel.hasAggregate && sel.groupBy.length ? `group by ${sel.groupBy.join(', ')}` : '';
      const order = top.order?.length ? `order by ${orderSql(top.order, alias, sel.embeds, pseudo.name)}` : '';
      source = `select ${sel.columns.join(', ') || 'null'} from ${call} as ${ident(alias)} ${sel.joins.join(' ')} ${where} ${group} ${order} ${pageSql()}`;
      bodySql = fn.setof ? bodyExpr(media) : `coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
      if (media.stripNulls) bodySql = fn.setof ? bodyExpr(media) : `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
    }
    const sql = `with ${argsCte}pgrst_source as (${source}) select null::bigint as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${bodySql} as body, null as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status from (select * from pgrst_source) _postgrest_t`;
    let countSql: string | undefined;
    let rpcCountSql: string | undefined;
    let countValues: unknown[] | undefined;
    if (prefer.count) {
      countSql = 'rpc';
      if (paging.length) {
        rpcCountSql = `with ${argsCte}pgrst_source as (${source}) select pg_catalog.count(*) as n from pgrst_source`;
        countValues = p.values.map((v, i) => (paging.includes(i) ? null : v));
      }
    }
    if (prefer.maxAffected !== undefined && prefer.handling === 'strict' && !fn.setof) {
      throw new ApiError(400, 'PGRST128', 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict');
    }
    return { sql, values: p.values, readOnly, media, kind: 'call', fn, countSql, rpcCountSql, countValues, offset, hasLimit: limit !== undefined };
  }

  private async execute(
    plan: Plan, rctx: RequestContext, auth: Auth, config: RestConfig, schema: string, path: string, prefer: Prefer,
    profileHeaders: Record<string, string>, method: string,
  ): Promise<Response> {
    const headersJson = headersObject(rctx.rawHeaders);
    const cookies: Record<string, string> = {};
    for (const part of (headersJson.cookie ?? '').split(';')) {
      const i = part.indexOf('=');
      if (i > 0) cookies[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    const roleSettings = this.getState().cache.roleSettings.get(auth.role) ?? [];
    const settingKeys: string[] = [];
    const settingValues: string[] = [];
    for (const [k, v] of roleSettings) {
      if (k.startsWith('pgrst.') || k === 'search_path' || k === 'session_preload_libraries') continue;
      settingKeys.push(k);
      settingValues.push(v);
    }
    if (prefer.timezone) {
      settingKeys.push('timezone');
      settingValues.push(prefer.timezone);
      prefer.applied.push(`timezone=${prefer.timezone}`);
    }
    // The schema, then the extra search path as configured, repeats kept: PostgREST does not
    // drop them (its own explain output shows "public", "public", "extensions").
    const searchPath = [schema, ...config.extraSearchPath].map(ident).join(', ');
    const txOverride = config.txEnd.endsWith('allow-override');
    let rollback = config.txEnd.startsWith('rollback');
    if (prefer.tx && txOverride) {
      rollback = prefer.tx === 'rollback';
      prefer.applied.push(`tx=${prefer.tx}`);
    }
    if (prefer.count) prefer.applied.push(`count=${prefer.count}`);
    if (prefer.return && plan.kind !== 'read' && plan.kind !== 'call') prefer.applied.push(`return=${prefer.return}`);
    if (prefer.handling) prefer.applied.push(`handling=${prefer.handling}`);
    if (prefer.maxAffected !== undefined && prefer.handling === 'strict') prefer.applied.push(`max-affected=${prefer.maxAffected}`);
    if (prefer.params) prefer.applied.push(`params=${prefer.params}`);

    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new ApiError(503, 'PGRST000', 'Could not connect with the database', (err as Error).message);
    }
    let broken: Error | undefined;
    try {
      const settings: string[] = [
        'search_path', searchPath, 'role', auth.role, 'request.jwt.claims', JSON.stringify(auth.claims), 'request.method', method,
        'request.path', path, 'request.headers', JSON.stringify(headersJson), 'request.cookies', JSON.stringify(cookies),
      ];
      settingKeys.forEach((k, i) => settings.push(k, settingValues[i]!));
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
      if (config.preRequestSql) steps.push({ name: this.statementName(config.preRequestSql), text: config.preRequestSql });
      const mainStep = steps.length;
      if (plan.media.kind !== 'plan') steps.push({ name: this.statementName(plan.sql), text: plan.sql, values: plan.values, rows: true });
      if (!checksAfter) steps.push(rollback ? ROLLBACK : COMMIT);
      try {
        const results = await runBatch(client, steps);
        if (plan.media.kind === 'plan') {
          const fmt = plan.media.planFormat === 'text' ? 'text' : 'json';
          const extra = (plan.media.planOptions ?? []).filter((o) => ['analyze', 'verbose', 'settings', 'buffers', 'wal'].includes(o)).map((o) => `, ${o}`).join('');
          const res = await client.query({ text: `explain (format ${fmt}${extra}) ${plan.sql}`, values: plan.values });
          await client.query('rollback');
          const out = fmt === 'json' ? JSON.stringify(res.rows[0]['QUERY PLAN']) : res.rows.map((r) => r['QUERY PLAN']).join('\n');
          return new Response(out, {
            status: 200,
            headers: { 'content-type': `application/vnd.pgrst.plan+${fmt}; for="${plan.media.planFor ?? 'application/json'}"; charset=utf-8`, ...profileHeaders },
          });
        }
        const row = results[mainStep]![0] as unknown as { total_result_set: string | null; page_total: string; body: string; location?: string | null; response_headers: string | null; response_status: string | null; inserted?: string | null };
        const pageTotal = Number(row.page_total);
        let total: number | undefined;
        if (plan.countSql && prefer.count) {
          if (plan.countSql === 'affected') total = pageTotal;
          else if (plan.countSql === 'rpc') {
            total = pageTotal + plan.offset;
            if (plan.rpcCountSql && plan.countValues) {
              const c = await client.query({ text: plan.rpcCountSql!, values: plan.countValues });
              total = Number(c.rows[0].n);
            }
          }
          else if (prefer.count === 'exact' || prefer.count === 'estimated') {
            total = Number(row.total_result_set);
            if (prefer.count === 'estimated' && config.maxRows !== undefined && total > config.maxRows) {
              total = await this.plannedCount(client, plan);
            }
          } else total = await this.plannedCount(client, plan);
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
        return this.respond(plan, row, pageTotal, total, prefer, profileHeaders, method);
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

  private async plannedCount(client: pg.PoolClient, plan: Plan): Promise<number> {
    const res = await client.query({ text: `explain (format json) ${plan.countSql}`, values: plan.countValues });
    const top = res.rows[0]['QUERY PLAN'][0].Plan;
    const inner = top.Plans?.[0] ?? top;
    return Number(inner['Plan Rows'] ?? 0);
  }

  private respond(
    plan: Plan, row: { body: string; location?: string | null; response_headers: string | null; response_status: string | null; inserted?: string | null },
    pageTotal: number, total: number | undefined, prefer: Prefer, profileHeaders: Record<string, string>, method: string,
  ): Response {
    const headers: Record<string, string> = { ...profileHeaders };
    if (prefer.applied.length) headers['preference-applied'] = prefer.applied.join(', ');
    let status = 200;
    let body: string | null = row.body;
    const contentType = plan.media.kind === 'csv' ? 'text/csv; charset=utf-8' : plan.media.kind === 'object' ? 'application/vnd.pgrst.object+json; charset=utf-8' : 'application/json; charset=utf-8';
    const totalStr = total === undefined ? '*' : String(total);
    if (plan.kind === 'read' || plan.kind === 'call') {
      const lower = plan.offset;
      const upper = lower + pageTotal - 1;
      headers['content-range'] = lower > upper ? `*/${totalStr}` : `${lower}-${upper}/${totalStr}`;
      if (total !== undefined) {
        if (lower > total || (lower > 0 && lower >= total && pageTotal === 0 && total > 0)) {
          return jsonResponse(416, new ApiError(416, 'PGRST103', 'Requested range not satisfiable', `An offset of ${lower} was requested, but there are only ${total} rows.`).body(), headers);
        }
        if (1 + upper - lower < total) status = 206;
      }
      if (plan.kind === 'call' && plan.fn?.returnTypname === 'void') {
        status = 204;
        body = null;
      }
      headers['content-type'] = contentType;
    } else if (plan.kind === 'create' || plan.kind === 'upsert') {
      status = 201;
      headers['content-range'] = `*/${totalStr}`;
      if (row.location) headers.location = `/${plan.table}?${row.location}`;
      if (row.inserted !== null && row.inserted !== undefined && Number(row.inserted) <= 0 && (plan.kind === 'upsert' || prefer.resolution === 'merge-duplicates')) status = 200;
      if (plan.kind === 'upsert' && prefer.return !== 'representation') status = 204;
      if (prefer.return === 'representation') headers['content-type'] = contentType;
      else body = null;
    } else {
      headers['content-range'] = plan.kind === 'update' ? (pageTotal ? `0-${pageTotal - 1}/${totalStr}` : `*/${totalStr}`) : `*/${totalStr}`;
      if (prefer.return === 'representation') {
        headers['content-type'] = contentType;
      } else {
        status = 204;
        body = null;
      }
    }
    if (row.response_headers) {
      try {
        for (const h of JSON.parse(row.response_headers) as Record<string, string>[]) for (const [k, v] of Object.entries(h)) headers[k.toLowerCase()] = String(v);
      } catch {
        return errorResponse(new ApiError(500, 'PGRST111', 'response.headers guc must be a JSON array composed of objects with a single key and a string value'));
      }
    }
    if (row.response_status) {
      const s = Number(row.response_status);
      if (!Number.isInteger(s) || s < 100 || s > 599) return errorResponse(new ApiError(500, 'PGRST112', 'response.status guc must be a valid status code'));
      status = s;
    }
    if (method === 'HEAD' || status === 204 || status === 304) body = null;
    return new Response(body, { status, headers });
  }
}

// PostgREST's CSV: the keys of the first row, then each row's record text without parentheses.
const CSV_BODY = `(select coalesce(string_agg(pgrst_k, ','), '') from (select json_object_keys(row_to_json(pgrst_h)) as pgrst_k from (select * from pgrst_source limit 1) as pgrst_h) as pgrst_keys) || chr(10) || coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), chr(10)), '')`;

function bodyExpr(media: Media): string {
  if (media.kind === 'csv') return CSV_BODY;
  if (media.kind === 'object') {
    return media.stripNulls ? `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')` : `coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
  }
  if (media.stripNulls) return `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t)), '[]')::text`;
  return `coalesce(pg_catalog.json_agg(_postgrest_t), '[]')::text`;
}

function wrapRead(source: string, media: Media, countCte = ''): string {
  const total = countCte ? '(select pg_catalog.count(*) from pgrst_source_count)' : 'null::bigint';
  return `with pgrst_source as (${source})${countCte} select ${total} as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${bodyExpr(media)} as body, null as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status from (select * from pgrst_source) _postgrest_t`;
}

function parseRange(headers: Headers): { offset: number; limit?: number } | undefined {
  const raw = headers.get('range');
  if (!raw) return undefined;
  const m = /^(?:items=)?\s*(\d+)-(\d*)$/.exec(raw.trim());
  if (!m || m[1]!.length > 15 || m[2]!.length > 15) return undefined;
  const from = Number(m[1]);
  if (m[2] === '') return { offset: from };
  const to = Number(m[2]);
  if (to < from) throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', 'The lower boundary must be lower than or equal to the upper boundary in the Range header.');
  return { offset: from, limit: to - from + 1 };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw invalidBody(`Empty or invalid json`, (err as Error).message);
  }
}

function parseBody(body: string | undefined, headers: Headers): unknown {
  const ct = (headers.get('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === 'text/csv') {
    const lines = (body ?? '').split(/\r?\n/).filter((l) => l !== '');
    const header = lines.shift()?.split(',') ?? [];
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v === 'NULL' ? null : v])));
  }
  if (ct === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body ?? ''));
  if (!body || body.trim() === '') return ct === 'application/json' ? {} : {};
  return parseJson(body);
}

/**
 * A table write's body as PostgREST reads it: the JSON that becomes the statement's parameter
 * (a POST's rows always as an array) and the columns written (`columns=` when given, else the
 * first row's keys, which every row must share). Planning and a cached plan's reuse both read
 * the body here, so a reused plan accepts and rejects exactly the bodies a fresh one would.
 */
function writeBody(method: string, parsed: unknown, columns: string[] | undefined): { param: string; cols: string[]; rows: Record<string, unknown>[] } {
  if (method === 'PATCH') {
    const obj = Array.isArray(parsed) ? parsed[0] : parsed;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalidBody('Empty or invalid json');
    return { param: JSON.stringify(obj), cols: columns ?? Object.keys(obj), rows: [obj as Record<string, unknown>] };
  }
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  if (rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) throw invalidBody('Empty or invalid json');
  let cols = columns;
  if (!cols) {
    const first = Object.keys(rows[0] ?? {});
    for (const r of rows.slice(1)) {
      const ks = Object.keys(r);
      if (ks.length !== first.length || !ks.every((k) => first.includes(k))) throw invalidBody('All object keys must match');
    }
    cols = first;
  }
  return { param: JSON.stringify(rows), cols, rows };
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

const invalidBody = (message: string, details: string | null = null) => new ApiError(400, 'PGRST102', message, details);

const invalidApiKey = () =>
  new ApiError(401, 'PGRST301', 'Invalid API key', null, 'Double check your Supabase `anon` or `service_role` API key.', {
    'www-authenticate': 'Bearer error="invalid_token", error_description="Invalid API key"',
  });

/** JwtError → PostgREST's PGRST301 (cannot decode) / PGRST303 (claims) with WWW-Authenticate. */
function jwtError(err: JwtError): ApiError {
  let code = 'PGRST301';
  let message: string;
  let details: string | null = null;
  switch (err.reason) {
    case 'expired':
      code = 'PGRST303';
      message = 'JWT expired';
      break;
    case 'invalid-claims':
      code = 'PGRST303';
      message = /nbf/.test(err.message) ? 'JWT not yet valid' : /iat/.test(err.message) ? 'JWT issued at future' : /aud/.test(err.message) ? 'JWT not in audience' : 'Parsing claims failed';
      break;
    case 'bad-signature':
      message = 'JWT cryptographic operation failed';
      break;
    case 'unsupported-alg':
      message = 'Wrong or unsupported encoding algorithm';
      details = err.message;
      break;
    default:
      message = /^Expected 3 parts/.test(err.message) ? err.message : 'JWT cryptographic operation failed';
  }
  return new ApiError(401, code, message, details, null, {
    'www-authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });
}

function tableNotFound(cache: SchemaCache, schema: string, name: string): ApiError {
  const names = [...cache.tables.values()].filter((t) => t.schema === schema).map((t) => t.name);
  const best = fuzzyBest(names, name, 0.75);
  return new ApiError(404, 'PGRST205', `Could not find the table '${schema}.${name}' in the schema cache`, null,
    best ? `Perhaps you meant the table '${schema}.${best}'` : null);
}

/**
 * The closest candidate as PostgREST's fuzzy-set hints pick it: names reduced to letters,
 * digits, commas and spaces, scored by Levenshtein similarity.
 */
function fuzzyBest(candidates: string[], wanted: string, min: number): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9\u00c0-\u00ff, ]+/g, '');
  const w = norm(wanted);
  if (!w) return undefined;
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const n = norm(c);
    if (!n) continue;
    const score = 1 - levenshtein(n, w) / Math.max(n.length, w.length);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return bestScore >= min ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export type { Filter, LogicTree, EmbedInfo };

// A PostgREST-compatible `/rest/v1` so `@supabase/supabase-js` works unchanged on the local
// stack. Behaviour follows PostgREST 12/13 (docs/references/*, src/library/PostgREST/*), and so
// does the shape of a request's way through it: ApiRequest (request.ts, read once and never
// changed) → Plan (plan.ts, cached by request shape) → Query (execute.ts: one transaction, the
// role and request.* settings set with set_config, one statement) → Response (respond.ts).
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { MountedService, RequestContext, ServiceContext } from '../service.ts';
import { createAuthenticator } from './auth.ts';
import { authenticatorUrl, readConfig, type RestConfig } from './config.ts';
import { ApiError } from './errors.ts';
import { execute } from './execute.ts';
import { planRequest, type PlanCache } from './plan.ts';
import { parseRequest, requestMethod } from './request.ts';
import { errorResponse, jsonResponse, respond, respondInfo, respondOpenApi } from './respond.ts';
import { loadSchemaCache, type SchemaCache } from './schema.ts';

const PREFIX = '/rest/v1';
/**
 * PostgREST's CORS middleware (src/PostgREST/Cors.hs) answers a request that carries an Origin
 * with these exposed headers, so a browser's supabase-js can read Content-Range (counts) and
 * Location; Kong in front of it adds the allowed origin but leaves this header alone.
 */
const EXPOSED_HEADERS = 'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit';
/** Prepared statements kept per distinct SQL text; rarer shapes run unnamed. */
const MAX_NAMED_STATEMENTS = 2000;

/** What a configuration or schema reload replaces at once. */
interface State {
  config: RestConfig;
  cache: SchemaCache;
  plans: PlanCache;
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
      const config = what === 'schema' && state ? state.config : await readConfig(client, ctx.config.api);
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

  const authenticate = createAuthenticator({ keys: ctx.config.keys, verifyJwt: ctx.verifyJwt });

  const handle = async (req: Request, rctx: RequestContext): Promise<Response> => {
    const res = await answer(req, rctx);
    if (req.headers.has('origin')) res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
    return res;
  };

  const answer = async (req: Request, rctx: RequestContext): Promise<Response> => {
    try {
      await reloading;
      const method = requestMethod(req);
      const auth = await authenticate(req, state.config);
      rctx.log.role = auth.role;
      if (typeof auth.claims.sub === 'string') rctx.log.user = auth.claims.sub;
      const { config, cache, plans } = state;
      const request = await parseRequest(req, rctx.url, method, config, PREFIX);
      if (request.action === 'info') return respondInfo();
      if (request.action === 'inspect') return respondOpenApi(request, cache, rctx.url.host);
      const plan = planRequest({ request, cache, config, plans });
      const roleSettings = cache.roleSettings.get(auth.role) ?? [];
      const outcome = await execute({ pool, statementName }, { request, plan, auth, config, roleSettings, rawHeaders: rctx.rawHeaders });
      return respond({ request, plan, outcome, config });
    } catch (err) {
      if (err instanceof ApiError) {
        ctx.logger.debug({ status: err.status, error: err.body(), url: req.url }, 'rest error response');
        return errorResponse(err);
      }
      ctx.logger.error({ err }, 'rest request failed');
      return jsonResponse(500, { code: 'PGRSTX00', details: null, hint: null, message: 'Internal server error' });
    }
  };

  return {
    name: 'rest',
    prefix: PREFIX,
    fetch: handle,
    async stop() {
      stopped = true;
      await listener.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

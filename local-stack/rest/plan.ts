import type { RestConfig } from './config.ts';
import { ApiError } from './errors.ts';
import { planCall } from './plan-call.ts';
import { parseBody, planTable, tableNotFound, writeBody } from './plan-table.ts';
import type { QueryRequest } from './request.ts';
import { key, type SchemaCache } from './schema.ts';
import type { Plan } from './statement.ts';

/** Plans kept per schema-cache generation (oldest dropped first). */
const MAX_CACHED_PLANS = 1000;

/**
 * Built plans by request shape. A reload starts a new map, so they never go stale. A write's
 * plan is keyed by the columns its body writes too, and its body parameter is filled per request.
 */
export type PlanCache = Map<string, Plan>;

/** What planning reads besides the request: the schema cache, the configuration, the plans built so far. */
export interface Planning {
  readonly request: QueryRequest;
  readonly cache: SchemaCache;
  readonly config: RestConfig;
  readonly plans: PlanCache;
}

/**
 * The plan for a request, reused when one of the same shape was built before. A plan depends
 * only on the URL and the headers in the key (not on the caller: the role and claims reach
 * Postgres as settings) and, for a table write, on the columns its body writes. So a repeated
 * dashboard query or form submit skips parsing and building: a write's cached plan gets this
 * request's body as its parameter (read by the same code that planned it).
 */
export function planRequest(x: Planning): Plan {
  const { request, plans } = x;
  const { method, headers } = request;
  const tableWrite = (method === 'POST' || method === 'PATCH') && request.target.kind === 'table';
  let shape = method === 'GET' || method === 'HEAD' || method === 'DELETE' || tableWrite
    ? `${method} ${request.schema} ${request.url.pathname}${request.url.search}\n${headers.accept ?? ''}\n${headers.prefer ?? ''}\n${headers.range ?? ''}`
    : undefined;
  if (shape !== undefined && tableWrite) {
    shape += `\n${headers.contentType ?? ''}`;
    const first = plans.get(shape);
    if (first?.body) {
      const written = writeBody(method, parseBody(request.body, headers.contentType), first.body.columnsParam);
      const cached = plans.get(`${shape}\n${JSON.stringify(written.cols)}`);
      if (cached?.body) {
        const values = cached.values.slice();
        values[cached.body.index] = written.param;
        return { ...cached, values };
      }
    }
  } else if (shape !== undefined) {
    const cached = plans.get(shape);
    if (cached) return cached;
  }
  const plan = buildPlan(x);
  if (shape !== undefined && (!tableWrite || plan.body)) {
    const remember = (k: string) => {
      if (plans.size >= MAX_CACHED_PLANS) plans.delete(plans.keys().next().value!);
      plans.set(k, plan);
    };
    if (tableWrite) {
      // Two entries: by shape alone (to learn how to read the body's columns), then by columns.
      if (!plans.has(shape)) remember(shape);
      remember(`${shape}\n${JSON.stringify(plan.body!.written)}`);
    } else remember(shape);
  }
  return plan;
}

function buildPlan({ request, cache, config }: Planning): Plan {
  const { target, method } = request;
  if (target.kind === 'rpc') {
    if (!['GET', 'HEAD', 'POST'].includes(method)) throw new ApiError(405, 'PGRST101', 'Cannot use the ' + method + ' method on RPC');
    return planCall({ request, name: target.name, cache, config });
  }
  if (target.kind === 'table') {
    const table = cache.tables.get(key(request.schema, target.name));
    if (!table) throw tableNotFound(cache, request.schema, target.name);
    return planTable({ request, table, cache, config });
  }
  throw new ApiError(404, 'PGRST125', 'Invalid path specified in request URL');
}

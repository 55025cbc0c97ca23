import type { RestConfig } from './config.ts';
import { ApiError } from './errors.ts';
import { transactionEnd, type Outcome } from './execute.ts';
import { openApi } from './openapi.ts';
import type { InspectRequest, QueryRequest } from './request.ts';
import type { SchemaCache } from './schema.ts';
import type { Plan } from './statement.ts';

// PostgREST's Response step: status, Content-Range, Preference-Applied, Location, and the
// response.headers / response.status a statement set.

/** A JSON body with PostgREST's content type. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

/** PostgREST's error body for an ApiError. */
export function errorResponse(err: ApiError): Response {
  return jsonResponse(err.status, err.body(), err.headers);
}

/** OPTIONS: the methods PostgREST allows. */
export function respondInfo(): Response {
  return new Response(null, { status: 200, headers: { allow: 'OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE' } });
}

/** The OpenAPI description of the request's schema. */
export function respondOpenApi(request: InspectRequest, cache: SchemaCache, host: string): Response {
  const doc = openApi(cache, request.schema, host);
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(doc), {
    status: 200,
    headers: { 'content-type': 'application/openapi+json; charset=utf-8', ...request.profileHeaders },
  });
}

/**
 * The preferences honoured, in PostgREST's order: those the planning applied, then timezone,
 * tx (where db-tx-end allows overriding), count, return (writes), handling, max-affected, params.
 */
function preferenceApplied(request: QueryRequest, plan: Plan, config: RestConfig): string[] {
  const { prefer } = request;
  const applied = [...plan.applied];
  if (prefer.timezone) applied.push(`timezone=${prefer.timezone}`);
  if (transactionEnd(config, prefer).overridden) applied.push(`tx=${prefer.tx}`);
  if (prefer.count) applied.push(`count=${prefer.count}`);
  if (prefer.return && plan.kind !== 'read' && plan.kind !== 'call') applied.push(`return=${prefer.return}`);
  if (prefer.handling) applied.push(`handling=${prefer.handling}`);
  if (prefer.maxAffected !== undefined && prefer.handling === 'strict') applied.push(`max-affected=${prefer.maxAffected}`);
  if (prefer.params) applied.push(`params=${prefer.params}`);
  return applied;
}

/** What responding reads: the request, its plan, what running it gave, the configuration. */
export interface Responding {
  readonly request: QueryRequest;
  readonly plan: Plan;
  readonly outcome: Outcome;
  readonly config: RestConfig;
}

/** Builds the HTTP response for an executed plan. */
export function respond({ request, plan, outcome, config }: Responding): Response {
  const { prefer, profileHeaders } = request;
  if (outcome.kind === 'explain') {
    return new Response(outcome.body, {
      status: 200,
      headers: { 'content-type': `application/vnd.pgrst.plan+${outcome.format}; for="${plan.media.planFor ?? 'application/json'}"; charset=utf-8`, ...profileHeaders },
    });
  }
  const { row, pageTotal, total } = outcome;
  const headers: Record<string, string> = { ...profileHeaders };
  const applied = preferenceApplied(request, plan, config);
  if (applied.length) headers['preference-applied'] = applied.join(', ');
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
  if (request.method === 'HEAD' || status === 204 || status === 304) body = null;
  return new Response(body, { status, headers });
}

import type { RestConfig } from './config.ts';
import { ApiError } from './errors.ts';

// PostgREST's ApiRequest: everything a request asks for, read from its method, URL and headers
// once, before anything is planned. The query string's filter grammar is parsed by the planner
// (parse.ts), where PostgREST's errors for it are ordered.

/** Request bodies above this size are refused (413) before they reach Postgres. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS']);

/** The methods PostgREST serves. */
export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS';

/** The `Prefer` header as PostgREST reads it; `invalid` lists what it did not recognise. */
export interface Preferences {
  readonly return?: 'minimal' | 'representation' | 'headers-only';
  readonly count?: 'exact' | 'planned' | 'estimated';
  readonly resolution?: 'merge-duplicates' | 'ignore-duplicates';
  readonly missing?: 'default' | 'null';
  readonly handling?: 'strict' | 'lenient';
  readonly tx?: 'commit' | 'rollback';
  readonly maxAffected?: number;
  readonly params?: 'single-object';
  readonly timezone?: string;
  readonly invalid: readonly string[];
}

/** The response's media type, negotiated from `Accept`. */
export interface Media {
  readonly kind: 'json' | 'object' | 'csv' | 'plan';
  readonly stripNulls?: boolean;
  readonly planFormat?: 'json' | 'text';
  readonly planOptions?: readonly string[];
  readonly planFor?: string;
}

/** What the path names: a table or view, a function, or nothing PostgREST serves. */
export type Target = { readonly kind: 'table' | 'rpc'; readonly name: string } | { readonly kind: 'invalid' };

/** The raw headers a plan depends on (the plan cache keys on them as sent). */
export interface PlanHeaders {
  readonly accept: string | null;
  readonly prefer: string | null;
  readonly range: string | null;
  readonly contentType: string | null;
}

interface RequestBase {
  readonly method: Method;
  /** The path under `/rest/v1`, as `request.path` carries it. */
  readonly path: string;
  /** The schema from Accept-Profile / Content-Profile, else the first exposed one. */
  readonly schema: string;
  /** Content-Profile echoed when more than one schema is exposed. */
  readonly profileHeaders: Readonly<Record<string, string>>;
}

/** OPTIONS: answered with the methods allowed. */
export interface InfoRequest extends RequestBase {
  readonly action: 'info';
}

/** `GET /rest/v1/`: the OpenAPI description of the schema. */
export interface InspectRequest extends RequestBase {
  readonly action: 'inspect';
}

/** A read, write or call on a table, view or function. */
export interface QueryRequest extends RequestBase {
  readonly action: 'query';
  readonly target: Target;
  readonly url: URL;
  readonly query: URLSearchParams;
  readonly headers: PlanHeaders;
  readonly body: string | undefined;
  readonly prefer: Preferences;
  readonly media: Media;
}

/** A request as PostgREST reads it, built once and never changed afterwards. */
export type ApiRequest = InfoRequest | InspectRequest | QueryRequest;

/** The request's method, or PGRST117 for one PostgREST does not serve. */
export function requestMethod(req: Request): Method {
  const method = req.method.toUpperCase();
  if (!METHODS.has(method)) throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
  return method as Method;
}

/** Reads a request, in PostgREST's order of checks: schema, path, then body, Prefer and Accept. */
export async function parseRequest(req: Request, url: URL, method: Method, config: RestConfig, prefix: string): Promise<ApiRequest> {
  const path = url.pathname.slice(prefix.length) || '/';
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
  const base = { method, path, schema, profileHeaders };
  if (method === 'OPTIONS') return { ...base, action: 'info' };
  if (segments.length === 0) {
    if (!readMethod) throw new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
    return { ...base, action: 'inspect' };
  }
  let body: string | undefined;
  if (!readMethod && method !== 'DELETE') {
    const len = Number(req.headers.get('content-length') ?? '0');
    if (len > MAX_BODY_BYTES) throw new ApiError(413, 'PGRST413', 'Payload Too Large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    body = await req.text();
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new ApiError(413, 'PGRST413', 'Payload Too Large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  const headers: PlanHeaders = {
    accept: req.headers.get('accept'),
    prefer: req.headers.get('prefer'),
    range: req.headers.get('range'),
    contentType: req.headers.get('content-type'),
  };
  const prefer = parsePrefer(headers.prefer);
  if (prefer.handling === 'strict' && prefer.invalid.length) {
    throw new ApiError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${prefer.invalid.join(', ')}`);
  }
  const target: Target =
    segments.length === 1 ? { kind: 'table', name: segments[0]! } : segments.length === 2 && segments[0] === 'rpc' ? { kind: 'rpc', name: segments[1]! } : { kind: 'invalid' };
  return {
    ...base,
    action: 'query',
    target,
    url,
    query: url.searchParams,
    headers,
    body,
    prefer,
    media: parseAccept(headers.accept, config.planEnabled),
  };
}

function parsePrefer(raw: string | null): Preferences {
  const out: { -readonly [K in keyof Preferences]: Preferences[K] } & { invalid: string[] } = { invalid: [] };
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

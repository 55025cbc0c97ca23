import { ERRORS, StorageError } from './errors.ts';

/** JSON as storage answers it. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** The error handler of supabase/storage (http/error-handler.ts) for what a route throws. */
export function errorResponse(err: unknown): Response {
  if (err instanceof StorageError) return json(err.body(), err.httpStatus);
  return json({ statusCode: '500', code: 'InternalError', error: 'Internal', message: 'Internal Server Error' }, 500);
}

/** A route pattern: literal segments, `:bucket`, and a trailing `*` for the rest of the key. */
export interface Route {
  method: string | string[];
  pattern: string;
  handler: (m: RouteMatch) => Promise<Response>;
}

export interface RouteMatch {
  req: Request;
  url: URL;
  /** The headers as received (the gateway's `RequestContext.rawHeaders`). */
  rawHeaders: readonly string[];
  params: Record<string, string>;
  /** The object key (the `*` part), percent-decoded. */
  key: string;
  /** Fields for the gateway's request log line (role, user, org). */
  log: Record<string, unknown>;
}

/**
 * Matches `path` (after `/storage/v1`) against routes in order. Segments are percent-decoded one
 * by one, as Fastify decodes storage's `:bucketName` and `*` params.
 */
export function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string>; key: string } | undefined {
  const raw = path.split('/').slice(1);
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    throw ERRORS.invalidKey(path);
  }
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(method)) continue;
    const parts = route.pattern.split('/').slice(1);
    const params: Record<string, string> = {};
    let key = '';
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '*') {
        if (i >= segments.length) {
          ok = false;
          break;
        }
        key = segments.slice(i).join('/');
        break;
      }
      const seg = segments[i];
      if (seg === undefined || seg === '') {
        ok = false;
        break;
      }
      if (part.startsWith(':')) params[part.slice(1)] = seg;
      else if (part !== seg) {
        ok = false;
        break;
      }
      if (i === parts.length - 1 && segments.length !== parts.length) ok = false;
    }
    if (ok && (!parts.includes('*') || key !== '')) return { route, params, key };
  }
  return undefined;
}

/** Reads a JSON body; an empty body is `{}` (storage's empty-json-body plugin). */
export async function readJson(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    throw ERRORS.invalidRequest('Body is not valid JSON');
  }
}

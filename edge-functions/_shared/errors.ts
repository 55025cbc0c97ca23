import { z } from 'zod';
import { corsHeaders } from './cors.ts';

/**
 * Every Lintel function fails in one shape, `{ error: { code, message, details? } }`, so the web
 * app maps `code` (not message text) to what it shows, as it does for database errors.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * HTTP status for a refusal the database gave the caller: the project's LT codes
 * (supabase/migrations/*_create_private_helpers.sql) and PostgREST's auth errors.
 */
const DB_STATUS: Record<string, number> = {
  LT401: 401,
  LT402: 402,
  LT403: 403,
  LT404: 404,
  LT409: 409,
  LT410: 410,
  LT422: 422,
  LT429: 429,
  LT440: 401,
  '42501': 403,
  PGRST301: 401,
  PGRST303: 401,
};

/**
 * A database error from a call made as the caller, passed on with its code so the web app maps it
 * as it maps the same refusal from /rest/v1; anything unexpected stays a 500.
 */
export function fromDatabase(err: { code?: string; message?: string; hint?: string | null }): HttpError | Error {
  const status = err.code ? DB_STATUS[err.code] : undefined;
  if (!status) return new Error(`database: ${err.code ?? ''} ${err.message ?? ''}`);
  return new HttpError(status, err.code!, err.message ?? 'Refused.', err.hint ? { hint: err.hint } : undefined);
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, 'Content-Type': 'application/json', ...headers },
  });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) {
    return json({ error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } }, err.status);
  }
  if (err instanceof z.ZodError) {
    return json({ error: { code: 'invalid_request', message: 'The request is not valid.', details: z.flattenError(err) } }, 400);
  }
  console.error(err);
  return json({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } }, 500);
}

/** Wraps a handler: answers CORS preflight, turns thrown errors into the one error shape. */
export function handler(fn: (req: Request) => Response | Promise<Response>): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === 'OPTIONS') return new Response('ok', { headers: corsHeaders });
    try {
      return await fn(req);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

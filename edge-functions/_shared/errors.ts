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

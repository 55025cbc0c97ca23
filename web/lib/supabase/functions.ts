import { FunctionsHttpError } from '@supabase/supabase-js';
import type { Client } from './types.ts';

/**
 * A Lintel function's refusal, `{ error: { code, message, details } }` (edge-functions/_shared/
 * errors.ts), shaped like a database error so web/lib/errors.ts maps both the same way.
 */
export class FunctionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

/** Calls an edge function as the signed-in user; a refusal throws a FunctionError with its code. */
export async function invokeFunction<T>(client: Client, name: string, body: unknown): Promise<T> {
  const { data, error } = await client.functions.invoke<T>(name, { body: body as Record<string, unknown> });
  if (!error) return data as T;
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    const payload = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: unknown } } | null;
    throw new FunctionError(res.status, payload?.error?.code ?? `http_${res.status}`, payload?.error?.message ?? error.message, payload?.error?.details ?? null);
  }
  throw error;
}

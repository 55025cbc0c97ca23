import type { SupabaseClient } from '@supabase/supabase-js';
import { HttpError } from './errors.ts';

/** The claims of Supabase access tokens that Lintel reads (the hook adds the org ones). */
export interface Claims {
  sub?: string;
  role: string;
  email?: string;
  aal?: string;
  session_id?: string;
  is_anonymous?: boolean;
  org_id?: string;
  org_role?: string;
  resident_id?: string;
  app_metadata?: Record<string, unknown>;
  exp?: number;
  [claim: string]: unknown;
}

/**
 * The caller's claims. Only for functions with `verify_jwt = true` in config.toml: the platform
 * has checked the signature and expiry before the request reaches the function, so decoding is
 * enough (functions are not given the JWT secret). A function with verify_jwt off must not use it.
 */
export function verifiedClaims(req: Request): Claims {
  const [scheme, token] = (req.headers.get('Authorization') ?? '').split(' ');
  const payload = scheme === 'Bearer' ? token?.split('.')[1] : undefined;
  if (!payload) throw new HttpError(401, 'not_authenticated', 'Sign in to continue.');
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
  } catch {
    throw new HttpError(401, 'not_authenticated', 'Sign in to continue.');
  }
}

/** Compares two strings in time that depends only on their lengths. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * For functions only the platform calls (operators, scripts), deployed with `verify_jwt = false`:
 * the bearer token must be the project's service role key or one of its secret keys
 * (`sb_secret_…`, which are not JWTs).
 */
export function requireServiceKey(req: Request): void {
  const [scheme, token] = (req.headers.get('Authorization') ?? '').split(' ');
  const keys = [Deno.env.get('SUPABASE_SERVICE_ROLE_KEY') ?? ''];
  try {
    keys.push(...Object.values(JSON.parse(Deno.env.get('SUPABASE_SECRET_KEYS') ?? '{}') as Record<string, string>));
  } catch {
    // a malformed list adds no key
  }
  if (scheme !== 'Bearer' || !token || !keys.some((k) => k.length > 0 && sameSecret(k, token))) {
    throw new HttpError(401, 'not_authenticated', 'This function is called with the service role key.');
  }
}

/**
 * A scheduled call: the cron secret the database sends in x-cron-secret (checked by the database,
 * which holds it in Vault), or, when there is none, an operator's service role key.
 */
export async function requireScheduledCaller(req: Request, admin: SupabaseClient): Promise<void> {
  const cronSecret = req.headers.get('x-cron-secret');
  if (!cronSecret) return requireServiceKey(req);
  const ok = await admin.rpc('verify_cron_secret', { p_secret: cronSecret });
  if (ok.error) throw ok.error;
  if (ok.data !== true) throw new HttpError(401, 'not_authenticated', 'The cron secret is not valid.');
}

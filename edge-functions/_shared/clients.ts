import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { requireEnv } from './env.ts';
import { HttpError } from './errors.ts';

const NO_SESSION = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

/** The service-role client: bypasses RLS, so only for work the function itself authorised. */
export function adminClient(): SupabaseClient {
  return createClient(requireEnv('SUPABASE_URL'), requireEnv('SUPABASE_SERVICE_ROLE_KEY'), NO_SESSION);
}

/** A client acting as the caller: their JWT rides along, so RLS sees the real user. */
export function userClient(req: Request): SupabaseClient {
  const authorization = req.headers.get('Authorization');
  if (!authorization) throw new HttpError(401, 'not_authenticated', 'Sign in to continue.');
  return createClient(requireEnv('SUPABASE_URL'), requireEnv('SUPABASE_ANON_KEY'), {
    ...NO_SESSION,
    global: { headers: { Authorization: authorization } },
  });
}

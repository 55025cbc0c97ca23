import { env } from '$env/dynamic/public';

/** The project URL and publishable (anon) key: set by `npm start`, the e2e runner or the host. */
export function supabaseEnv(): { url: string; key: string } {
  const url = env.PUBLIC_SUPABASE_URL;
  const key = env.PUBLIC_SUPABASE_ANON_KEY;
  if (!url || !key) throw new Error('PUBLIC_SUPABASE_URL and PUBLIC_SUPABASE_ANON_KEY must be set (README, Deploying).');
  return { url, key };
}

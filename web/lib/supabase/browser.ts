import { createBrowserClient } from '@supabase/ssr';
import type { Database } from '$lib/database.types.ts';
import { supabaseEnv } from './env.ts';
import type { Client } from './types.ts';

/**
 * The one browser client. @supabase/ssr keeps a single instance per page and stores the
 * session in cookies, so server loads and hooks see the same session.
 */
export function browserClient(fetchFn?: typeof fetch): Client {
  const { url, key } = supabaseEnv();
  return createBrowserClient<Database>(url, key, fetchFn ? { global: { fetch: fetchFn } } : {});
}

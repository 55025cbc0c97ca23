import { createServerClient } from '@supabase/ssr';
import type { Cookies } from '@sveltejs/kit';
import type { Database } from '$lib/database.types.ts';
import { supabaseEnv } from './env.ts';
import type { Client } from './types.ts';

/** A request's client: reads and refreshes the session in that request's cookies. */
export function serverClient(cookies: Cookies, fetchFn: typeof fetch): Client {
  const { url, key } = supabaseEnv();
  return createServerClient<Database>(url, key, {
    global: { fetch: fetchFn },
    cookies: {
      getAll: () => cookies.getAll(),
      setAll: (toSet) => {
        for (const { name, value, options } of toSet) cookies.set(name, value, { ...options, path: '/' });
      },
    },
  });
}

/** The client for server-side rendering in a universal load: the cookies it was given, read-only. */
export function ssrClient(cookies: { name: string; value: string }[], fetchFn: typeof fetch): Client {
  const { url, key } = supabaseEnv();
  return createServerClient<Database>(url, key, {
    global: { fetch: fetchFn },
    cookies: { getAll: () => cookies },
  });
}

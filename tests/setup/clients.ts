import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import { inject } from 'vitest';
import WebSocket from 'ws';

/** The stack under test: the local test stack, or a real project given in the environment. */
export function stack(): Record<string, string> {
  return inject('stack');
}

const NO_PERSIST = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

/** supabase-js as a browser would build it with the anon key. Node 20 needs `ws` for Realtime. */
export function anonClient<DB = any>(): SupabaseClient<DB> {
  const s = stack();
  return createClient<DB>(s.API_URL!, s.ANON_KEY!, { ...NO_PERSIST, realtime: { transport: WebSocket as never } });
}

/** supabase-js with the service role, as edge functions and migrations use it. */
export function serviceClient<DB = any>(): SupabaseClient<DB> {
  const s = stack();
  return createClient<DB>(s.API_URL!, s.SERVICE_ROLE_KEY!, { ...NO_PERSIST, realtime: { transport: WebSocket as never } });
}

/** A direct database connection as `postgres` (closed by the caller). */
export async function db(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: stack().DB_URL });
  await client.connect();
  return client;
}

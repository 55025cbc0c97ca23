import postgres from 'postgres';
import { requireEnv } from './env.ts';

let sql: postgres.Sql | undefined;

/**
 * A direct connection to the project's database (SUPABASE_DB_URL), for the few hot paths that are
 * one statement calling one security-definer function: the Stripe webhook takes bursts of events,
 * and going through PostgREST would add an HTTP hop and a request's setup to each. No prepared
 * statements, so Supabase's transaction pooler (port 6543) works as well as a direct connection.
 */
export function db(): postgres.Sql {
  sql ??= postgres(requireEnv('SUPABASE_DB_URL'), {
    max: 6,
    prepare: false,
    idle_timeout: 30,
    connection: { application_name: 'lintel edge function' },
  });
  return sql;
}

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { stack } from '../setup/clients.ts';

/** A connection inside one open transaction. */
export type Tx = pg.PoolClient;

let sharedPool: pg.Pool | undefined;

/** The test database as `postgres`; closed after the file's tests. */
export function pool(): pg.Pool {
  if (!sharedPool) {
    sharedPool = new pg.Pool({ connectionString: stack().DB_URL, max: 60 });
    const p = sharedPool;
    afterAll(async () => {
      await p.end();
      if (sharedPool === p) sharedPool = undefined;
    });
  }
  return sharedPool;
}

/** What a caller looks like to the database: a login by email, or the anonymous API role. */
export type Who = string | 'anon';

export interface RequestOptions {
  /** Claims to use instead of the ones the hook computes (e.g. a stale token). */
  claims?: Record<string, unknown>;
  method?: string;
  path?: string;
  requestId?: string;
}

/**
 * The access-token claims GoTrue would sign for this user: its standard claims
 * (supabase-facts.md §6) passed through the real custom_access_token_hook, run as
 * supabase_auth_admin like GoTrue runs it.
 */
export async function tokenClaims(client: pg.ClientBase, email: string): Promise<Record<string, unknown>> {
  const { rows } = await client.query<{ id: string; email: string; raw_app_meta_data: unknown; raw_user_meta_data: unknown }>(
    'select id, email, raw_app_meta_data, raw_user_meta_data from auth.users where email = $1',
    [email],
  );
  if (!rows[0]) throw new Error(`no user ${email}`);
  const u = rows[0];
  const now = Math.floor(Date.now() / 1000);
  const base = {
    iss: 'http://127.0.0.1:54321/auth/v1',
    aud: 'authenticated',
    exp: now + 3600,
    iat: now,
    sub: u.id,
    email: u.email,
    phone: '',
    app_metadata: u.raw_app_meta_data,
    user_metadata: u.raw_user_meta_data,
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
  };
  await client.query('savepoint hook');
  await client.query('set local role supabase_auth_admin');
  const res = await client.query<{ out: { claims: Record<string, unknown> } }>(
    'select public.custom_access_token_hook($1::jsonb) as out',
    [JSON.stringify({ user_id: u.id, claims: base, authentication_method: 'password' })],
  );
  await client.query('release savepoint hook');
  await client.query('reset role');
  return res.rows[0]!.out.claims;
}

/**
 * Switches the open transaction to the API role with request settings exactly as PostgREST
 * sets them (one set_config per setting, transaction-local; `role` also in the claims).
 */
export async function actAs(client: Tx, who: Who, opts: RequestOptions = {}): Promise<Record<string, unknown>> {
  const claims = opts.claims ?? (who === 'anon' ? { role: 'anon' } : await tokenClaims(client, who));
  const role = String(claims.role ?? 'anon');
  await client.query(
    `select set_config('search_path', 'public, extensions', true),
            set_config('role', $1, true),
            set_config('request.jwt.claims', $2, true),
            set_config('request.method', $3, true),
            set_config('request.path', $4, true),
            set_config('request.headers', $5, true),
            set_config('request.cookies', '{}', true)`,
    [
      role,
      JSON.stringify(claims),
      opts.method ?? 'POST',
      opts.path ?? '/rest/v1/rpc/test',
      JSON.stringify({ 'x-request-id': opts.requestId ?? randomUUID(), 'user-agent': 'lintel-tests' }),
    ],
  );
  return claims;
}

/** Back to `postgres` inside the same transaction (to look at what the caller did). */
export async function actAsPostgres(client: Tx): Promise<void> {
  await client.query(`select set_config('role', 'postgres', true), set_config('request.jwt.claims', '', true)`);
}

/** Runs fn in a transaction that is always rolled back. */
export async function rolledBack<T>(fn: (client: Tx) => Promise<T>): Promise<T> {
  const client = await pool().connect();
  try {
    await client.query('begin');
    return await fn(client);
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

/** Runs fn as the given caller in a rolled-back transaction. */
export async function asUser<T>(who: Who, fn: (client: Tx, claims: Record<string, unknown>) => Promise<T>, opts: RequestOptions = {}): Promise<T> {
  return rolledBack(async (client) => fn(client, await actAs(client, who, opts)));
}

/** Runs fn as the given caller in its own transaction and commits it. */
export async function committedAs<T>(who: Who, fn: (client: Tx) => Promise<T>, opts: RequestOptions = {}): Promise<T> {
  const client = await pool().connect();
  try {
    await client.query('begin');
    await actAs(client, who, opts);
    const out = await fn(client);
    await client.query('commit');
    return out;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The outcome of one statement run inside a savepoint, so a failure keeps the transaction usable. */
export interface Attempt<R = Record<string, unknown>> {
  rows: R[];
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

export async function attempt<R extends pg.QueryResultRow = Record<string, unknown>>(client: Tx, sql: string, params: unknown[] = []): Promise<Attempt<R>> {
  await client.query('savepoint attempt');
  try {
    const res = await client.query<R>(sql, params);
    await client.query('release savepoint attempt');
    return { rows: res.rows };
  } catch (err) {
    await client.query('rollback to savepoint attempt');
    const e = err as { code?: string; message?: string; detail?: string; hint?: string };
    return { rows: [], code: e.code, message: e.message, detail: e.detail, hint: e.hint };
  }
}

/** Leases whose cached balance differs from the sum of their ledger entries (must be none). */
export async function balanceMismatches(client: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `select count(*) as n from public.leases l
     left join (select lease_id, sum(amount_minor) as total from public.ledger_entries group by lease_id) e on e.lease_id = l.id
     where l.balance_minor <> coalesce(e.total, 0)`,
  );
  return Number(rows[0]!.n);
}

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { setLocalSettings } from '../pg-settings.ts';

/**
 * Realtime Authorization: RLS on `realtime.messages` decides who may read (SELECT) and write
 * (INSERT) a private topic, per extension. Mirrors supabase/realtime
 * `lib/realtime/tenants/authorization.ex`: probe rows are inserted, the session is switched to
 * the user's role and claims, the probes are read back (read) or inserted again (write), and
 * everything is rolled back.
 */

export interface AuthContext {
  topic: string;
  claims: Record<string, unknown>;
  role: string;
  sub: string | undefined;
  headers: Record<string, string>;
}

export type Extension = 'broadcast' | 'presence';
export type Grants = Record<Extension, boolean>;

/** Why a policy check could not run; the channel maps each to upstream's reason. */
export class AuthorizationError extends Error {
  constructor(
    readonly kind: 'rls_policy_error' | 'database_unavailable',
    message: string,
  ) {
    super(message);
  }
}

async function withSession<T>(pool: pg.Pool, ctx: AuthContext, work: (c: pg.PoolClient) => Promise<T>, before?: (c: pg.PoolClient) => Promise<void>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new AuthorizationError('database_unavailable', (err as Error).message);
  }
  let broken = false;
  try {
    await client.query('begin');
    if (before) await before(client);
    // The same settings upstream's set_conn_config applies (role, topic, claims, headers).
    await setLocalSettings(client, [
      ['role', ctx.role],
      ['realtime.topic', ctx.topic],
      ['request.jwt.claims', JSON.stringify(ctx.claims)],
      ['request.jwt.claim.sub', ctx.sub ?? ''],
      ['request.jwt.claim.role', ctx.role],
      ['request.headers', JSON.stringify(ctx.headers)],
    ]);
    return await work(client);
  } catch (err) {
    if (err instanceof AuthorizationError) throw err;
    const code = (err as { code?: string }).code;
    if (!code || code.startsWith('08') || code === '57P01' || code === '57P03') {
      broken = true;
      throw new AuthorizationError('database_unavailable', (err as Error).message);
    }
    throw new AuthorizationError('rls_policy_error', (err as Error).message);
  } finally {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    client.release(broken);
  }
}

/** Which extensions the user may read on the topic (SELECT policies). */
export async function readGrants(pool: pg.Pool, ctx: AuthContext, extensions: Extension[]): Promise<Partial<Grants>> {
  const ids = extensions.map(() => randomUUID());
  return withSession(
    pool,
    ctx,
    async (client) => {
      const { rows } = await client.query<{ id: string }>('select id from realtime.messages where id = any($1::uuid[])', [ids]);
      const seen = new Set(rows.map((r) => r.id));
      return Object.fromEntries(extensions.map((ext, i) => [ext, seen.has(ids[i]!)]));
    },
    async (client) => {
      // Probes go in as the service's own (privileged) role, before the switch to the user.
      for (const [i, ext] of extensions.entries()) {
        await client.query('insert into realtime.messages (id, topic, extension) values ($1, $2, $3)', [ids[i], ctx.topic, ext]);
      }
    },
  );
}

/** Which extensions the user may write on the topic (INSERT policies). */
export async function writeGrants(pool: pg.Pool, ctx: AuthContext, extensions: Extension[]): Promise<Partial<Grants>> {
  return withSession(pool, ctx, async (client) => {
    const out: Partial<Grants> = {};
    for (const ext of extensions) {
      await client.query('savepoint probe');
      try {
        await client.query('insert into realtime.messages (topic, extension) values ($1, $2)', [ctx.topic, ext]);
        out[ext] = true;
      } catch (err) {
        // insufficient_privilege is the RLS refusal; anything else is a policy error.
        if ((err as { code?: string }).code !== '42501') throw err;
        out[ext] = false;
      }
      await client.query('rollback to savepoint probe');
    }
    return out;
  });
}

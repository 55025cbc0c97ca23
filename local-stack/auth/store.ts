import { createHash, randomBytes, randomInt } from 'node:crypto';
import bcrypt from 'bcryptjs';
import pg from 'pg';

/** A row of auth.users as pg returns it. */
export type UserRow = Record<string, any> & {
  id: string;
  email: string | null;
  encrypted_password: string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
};

export type Db = pg.Pool | pg.PoolClient;

/**
 * The auth schema's database access. GoTrue connects as `supabase_auth_admin` (which owns the
 * auth tables and is the role the access token hook runs as); the pool does the same by
 * switching role on each new connection.
 */
export function createPool(dbUrl: string, max = 8): pg.Pool {
  // onConnect is awaited before the pool hands the client out (a 'connect' listener is not, and
  // its query raced the caller's: pg's "client is already executing a query" warning).
  const pool = new pg.Pool({
    connectionString: dbUrl,
    max,
    onConnect: async (client) => {
      await client.query('set role supabase_auth_admin');
    },
  });
  // Idle clients can lose their server (database restart): log-free, the pool replaces them.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction; commits unless it throws. A `commitWith` error commits first. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    try {
      const out = await fn(client);
      await client.query('commit');
      return out;
    } catch (err) {
      if (err instanceof CommitWithError) {
        await client.query('commit');
        throw err.error;
      }
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

/** GoTrue's storage.NewCommitWithError: keep the transaction's writes, still answer an error. */
export class CommitWithError extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/** GoTrue's crypto.GenerateTokenHash: hex SHA-224 of the email (or phone) and the OTP. */
export function tokenHash(emailOrPhone: string, otp: string): string {
  return createHash('sha224').update(emailOrPhone + otp).digest('hex');
}

/** A numeric OTP of the configured length. */
export function generateOtp(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String(randomInt(10));
  return s;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** GoTrue's crypto.SecureAlphanumeric: refresh tokens are 12 such characters. */
export function secureAlphanumeric(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i]! % ALNUM.length];
  return s;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d == null ? undefined : String(d));

/** The user object GoTrue returns (models.User JSON tags: omitempty fields left out when null). */
export async function userJson(db: Db, user: UserRow): Promise<Record<string, unknown>> {
  const [identities, factors] = await Promise.all([
    db.query('select * from auth.identities where user_id = $1 order by created_at', [user.id]),
    db.query('select * from auth.mfa_factors where user_id = $1 order by created_at', [user.id]),
  ]);
  const out: Record<string, unknown> = {
    id: user.id,
    aud: user.aud ?? '',
    role: user.role ?? '',
    email: user.email ?? '',
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? '',
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    confirmed_at: iso(user.confirmed_at),
    recovery_sent_at: iso(user.recovery_sent_at),
    new_email: user.email_change || undefined,
    email_change_sent_at: iso(user.email_change_sent_at),
    reauthentication_sent_at: iso(user.reauthentication_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: identities.rows.map((i) => ({
      identity_id: i.id,
      id: i.provider_id,
      user_id: i.user_id,
      identity_data: i.identity_data,
      provider: i.provider,
      last_sign_in_at: iso(i.last_sign_in_at),
      created_at: iso(i.created_at),
      updated_at: iso(i.updated_at),
      email: i.email ?? undefined,
    })),
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: !!user.is_anonymous,
  };
  if (factors.rows.length) {
    out.factors = factors.rows.map((f) => ({
      id: f.id,
      created_at: iso(f.created_at),
      updated_at: iso(f.updated_at),
      status: f.status,
      friendly_name: f.friendly_name || undefined,
      factor_type: f.factor_type,
      phone: f.phone ?? '',
      last_challenged_at: iso(f.last_challenged_at) ?? null,
    }));
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

export async function findUserById(db: Db, id: string, lock = false): Promise<UserRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const { rows } = await db.query(`select * from auth.users where id = $1${lock ? ' for update' : ''}`, [id]);
  return rows[0];
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query(
    "select * from auth.users where lower(email) = lower($1) and is_sso_user = false and aud = 'authenticated' order by created_at limit 1",
    [email],
  );
  return rows[0];
}

/**
 * bcrypt at GoTrue's cost 10. Hashing and checking run in Postgres (pgcrypto's C bcrypt, in
 * parallel across backends) rather than in pure-JS bcryptjs on the one event loop; both write
 * and read `$2a$` hashes, the format GoTrue and seeds (`crypt(..., gen_salt('bf'))`) use.
 * pgcrypto does not know `$2b$`/`$2y$`, so those are checked with bcryptjs.
 */
export async function hashPassword(db: Db, password: string): Promise<string> {
  const { rows } = await db.query("select extensions.crypt($1, extensions.gen_salt('bf', 10)) as h", [password]);
  return rows[0].h;
}

export async function verifyPassword(db: Db, password: string, hash: string): Promise<boolean> {
  if (/^\$2a\$\d\d\$/.test(hash)) {
    const { rows } = await db.query('select extensions.crypt($1, $2) = $2 as ok', [password, hash]);
    return rows[0].ok === true;
  }
  if (/^\$2[by]\$\d\d\$/.test(hash)) return bcrypt.compare(password, hash).catch(() => false);
  return false;
}

import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { signToken, type SigningKey } from '../jwt.ts';
import { AuthError, E } from './errors.ts';
import type { AuthSettings } from './settings.ts';
import { secureAlphanumeric, userJson, type UserRow } from './store.ts';

/** GoTrue's models.AuthenticationMethod strings: the hook's `authentication_method` and `amr`. */
export type AuthMethod =
  | 'password'
  | 'otp'
  | 'magiclink'
  | 'email/signup'
  | 'recovery'
  | 'invite'
  | 'email_change'
  | 'token_refresh'
  | 'anonymous'
  | 'totp'
  | 'pkce';

// supabase/auth internal/tokens/service.go MinimumViableTokenSchema: claims every token must
// still carry after the hook rewrote them.
const REQUIRED_CLAIMS = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];

export interface Issuer {
  settings: AuthSettings;
  secret: string;
  keys: SigningKey[];
}

export interface SessionRequestInfo {
  userAgent?: string;
  ip?: string;
}

/** Starts a session (auth.sessions + its first amr claim + refresh token), as GoTrue's issueRefreshToken. */
export async function createSession(
  c: pg.PoolClient,
  iss: Issuer,
  user: UserRow,
  method: AuthMethod,
  info: SessionRequestInfo,
): Promise<Record<string, unknown>> {
  const sessionId = randomUUID();
  await c.query(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
     values ($1, $2, now(), now(), 'aal1', $3, $4)`,
    [sessionId, user.id, info.userAgent ?? null, ip(info.ip)],
  );
  await c.query(
    `insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
     values ($1, $2, now(), now(), $3)`,
    [randomUUID(), sessionId, method],
  );
  const refresh = await insertRefreshToken(c, user.id, sessionId, null);
  await c.query('update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1', [user.id]);
  await c.query(
    "update auth.identities set last_sign_in_at = now() where user_id = $1 and provider = coalesce($2::jsonb->>'provider', 'email')",
    [user.id, JSON.stringify(user.raw_app_meta_data ?? {})],
  );
  return tokenResponse(c, iss, user.id, sessionId, refresh, method);
}

function ip(v?: string): string | null {
  return v && /^[0-9a-fA-F:.]+$/.test(v) ? v : null;
}

export async function insertRefreshToken(c: pg.PoolClient, userId: string, sessionId: string, parent: string | null): Promise<string> {
  const token = secureAlphanumeric(12);
  await c.query(
    `insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ($1, $2, false, now(), now(), $3, $4)`,
    [token, userId, parent, sessionId],
  );
  return token;
}

/** `{access_token, token_type, expires_in, expires_at, refresh_token, user}` for a session. */
export async function tokenResponse(
  c: pg.PoolClient,
  iss: Issuer,
  userId: string,
  sessionId: string,
  refreshToken: string,
  method: AuthMethod,
): Promise<Record<string, unknown>> {
  const { rows } = await c.query('select * from auth.users where id = $1', [userId]);
  const user = rows[0] as UserRow;
  const { token, exp } = await accessToken(c, iss, user, sessionId, method);
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: iss.settings.jwtExpiry,
    expires_at: exp,
    refresh_token: refreshToken,
    user: await userJson(c, user),
  };
}

/**
 * Builds GoTrue's AccessTokenClaims for the session and, when configured, passes them through
 * the custom access token hook in this transaction as `supabase_auth_admin` with GoTrue's 2 s
 * statement timeout; the hook's output replaces the claims after validation.
 */
export async function accessToken(
  c: pg.PoolClient,
  iss: Issuer,
  user: UserRow,
  sessionId: string,
  method: AuthMethod,
): Promise<{ token: string; exp: number }> {
  const [session, amr] = await Promise.all([
    c.query('select aal from auth.sessions where id = $1', [sessionId]),
    c.query(
      'select authentication_method, updated_at from auth.mfa_amr_claims where session_id = $1 order by updated_at desc',
      [sessionId],
    ),
  ]);
  const now = Math.floor(Date.now() / 1000);
  const exp = now + iss.settings.jwtExpiry;
  let claims: Record<string, unknown> = {
    iss: iss.settings.issuer,
    sub: user.id,
    aud: user.aud || 'authenticated',
    exp,
    iat: now,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role || 'authenticated',
    aal: session.rows[0]?.aal ?? 'aal1',
    amr: amr.rows.map((r) => ({ method: r.authentication_method, timestamp: Math.floor(new Date(r.updated_at).getTime() / 1000) })),
    session_id: sessionId,
    is_anonymous: !!user.is_anonymous,
  };
  const hook = iss.settings.customAccessTokenHook;
  if (hook) claims = await runHook(c, hook, { user_id: user.id, claims, authentication_method: method });
  const token = await signToken(iss.secret, iss.keys, claims);
  return { token, exp: typeof claims.exp === 'number' ? claims.exp : exp };
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function runHook(
  c: pg.PoolClient,
  hook: { schema: string; fn: string },
  input: { user_id: string; claims: Record<string, unknown>; authentication_method: string },
): Promise<Record<string, unknown>> {
  await c.query('savepoint hook');
  let output: unknown;
  try {
    await c.query("set local statement_timeout = '2s'");
    const { rows } = await c.query(`select ${ident(hook.schema)}.${ident(hook.fn)}($1::jsonb) as out`, [JSON.stringify(input)]);
    output = rows[0]?.out;
    await c.query('release savepoint hook');
    await c.query('set local statement_timeout = 0');
  } catch (err) {
    await c.query('rollback to savepoint hook');
    await c.query('set local statement_timeout = 0');
    // supabase/auth hookspgfunc: a failing function answers 500 "Error running hook URI".
    throw Object.assign(E.unexpected(`Error running hook URI: pg-functions://postgres/${hook.schema}/${hook.fn}`), { cause: err });
  }
  if (!output || typeof output !== 'object' || Array.isArray(output)) {
    throw E.unexpected('Invalid output from hook: expected a JSON object');
  }
  const out = output as { claims?: unknown; error?: { http_code?: unknown; message?: unknown } };
  if (out.error && typeof out.error === 'object') {
    // The hook's `error` answer rejects the issuance with its status and message (v0hooks).
    const status = typeof out.error.http_code === 'number' && out.error.http_code >= 400 && out.error.http_code < 600 ? out.error.http_code : 500;
    throw new AuthError(status, status === 500 ? 'unexpected_failure' : 'unknown', String(out.error.message ?? 'Hook rejected the request'));
  }
  if (!out.claims || typeof out.claims !== 'object' || Array.isArray(out.claims)) {
    throw E.unexpected('output claims field is missing');
  }
  const claims = out.claims as Record<string, unknown>;
  const missing = REQUIRED_CLAIMS.filter((k) => !(k in claims));
  if (missing.length) throw E.unexpected(`output claims do not conform to the expected schema: missing ${missing.join(', ')}`);
  const aud = claims.aud;
  if (!(typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string')))) {
    throw E.unexpected('output claims do not conform to the expected schema: aud must be a string or an array of strings');
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.sub !== 'string' || typeof claims.role !== 'string') {
    throw E.unexpected('output claims do not conform to the expected schema: exp/iat must be numbers, sub/role strings');
  }
  return claims;
}

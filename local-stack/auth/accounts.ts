import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AuthError, E } from './errors.ts';
import type { MailToken } from './mailer.ts';
import { str, type Body } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { generateOtp, hashPassword, tokenHash, type UserRow } from './store.ts';
import type { AuthMethod } from './tokens.ts';

// The account changes several route groups make: creating users, one-time tokens, email
// confirmation and change, PKCE flow states, password rules, the audit log.

// GoTrue caps bcrypt input at 72 bytes (internal/api/password.go MaxPasswordLength).
const MAX_PASSWORD = 72;

/** The column of auth.users and the one_time_tokens type holding each verification's hash. */
export const TOKEN_COLUMNS = {
  confirmation: { column: 'confirmation_token', sent: 'confirmation_sent_at', ott: 'confirmation_token' },
  recovery: { column: 'recovery_token', sent: 'recovery_sent_at', ott: 'recovery_token' },
  email_change_new: { column: 'email_change_token_new', sent: 'email_change_sent_at', ott: 'email_change_token_new' },
  email_change_current: { column: 'email_change_token_current', sent: 'email_change_sent_at', ott: 'email_change_token_current' },
} as const;
export type TokenKind = keyof typeof TOKEN_COLUMNS;

/** Whether a ban is in force now. */
export const isBanned = (u: UserRow) => !!u.banned_until && new Date(u.banned_until).getTime() > Date.now();

/** One auth.audit_log_entries row, shaped as GoTrue writes it. */
export function audit(c: pg.PoolClient | pg.Pool, action: string, user: UserRow | undefined, traits: Record<string, unknown> = {}) {
  return c.query('insert into auth.audit_log_entries (id, payload, created_at, ip_address) values ($1, $2, now(), $3)', [
    randomUUID(),
    JSON.stringify({ action, actor_id: user?.id, actor_username: user?.email, actor_via_sso: false, log_type: 'user', traits }),
    '',
  ]);
}

/** GoTrue's checkPasswordStrength (password.go): length, then required character sets. */
export function checkPassword(settings: AuthSettings, password: string): void {
  if (password.length > MAX_PASSWORD) throw E.validation(`Password cannot be longer than ${MAX_PASSWORD} characters`, 422);
  const reasons: string[] = [];
  const messages: string[] = [];
  if (password.length < settings.minPasswordLength) {
    reasons.push('length');
    messages.push(`Password should be at least ${settings.minPasswordLength} characters.`);
  }
  if (settings.requiredCharacters.some((set) => ![...password].some((ch) => set.includes(ch)))) {
    reasons.push('characters');
    messages.push(`Password should contain at least one character of each: ${settings.requiredCharacters.join(', ')}.`);
  }
  if (reasons.length) throw new AuthError(422, 'weak_password', messages.join(' '), { weak_password: { reasons } });
}

/** GoTrue's MAILER_MAX_FREQUENCY: one email of a kind per interval per user. */
export function checkFrequency(settings: AuthSettings, sentAt: unknown): void {
  if (!sentAt) return;
  const next = new Date(sentAt as string).getTime() + settings.maxFrequencySeconds * 1000;
  if (next > Date.now()) throw E.frequency(Math.ceil((next - Date.now()) / 1000));
}

/** Stores a fresh OTP's hash on the user and in one_time_tokens (GoTrue models/one_time_token.go). */
export async function newToken(
  c: pg.PoolClient,
  settings: AuthSettings,
  user: UserRow,
  kind: TokenKind,
  relatesTo: string,
  pkce: boolean,
): Promise<MailToken> {
  const otp = generateOtp(settings.otpLength);
  const hash = tokenHash(relatesTo, otp);
  const col = TOKEN_COLUMNS[kind];
  await c.query(`update auth.users set ${col.column} = $2, ${col.sent} = now(), updated_at = now() where id = $1`, [user.id, hash]);
  await c.query('delete from auth.one_time_tokens where user_id = $1 and token_type = $2', [user.id, col.ott]);
  await c.query(
    `insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
     values ($1, $2, $3, $4, $5, now(), now())`,
    [randomUUID(), user.id, col.ott, hash, relatesTo],
  );
  return { otp, hash, linkToken: pkce ? `pkce_${hash}` : hash };
}

/** A PKCE flow state for email flows (GoTrue models.NewFlowState); false when the body asks for none. */
export async function pkceFlow(c: pg.PoolClient, b: Body, userId: string, method: AuthMethod | string): Promise<boolean> {
  const challenge = str(b, 'code_challenge', 256);
  const m = str(b, 'code_challenge_method', 16);
  if (!challenge && !m) return false;
  if (!challenge || !m) throw E.validation('PKCE flow requires code_challenge_method and code_challenge');
  const method_ = m.toLowerCase();
  if (method_ !== 's256' && method_ !== 'plain') throw E.validation(`code challenge method not supported: ${m}`);
  if (challenge.length < 43 || challenge.length > 128) throw E.validation('code challenge has to be between 43 and 128 characters');
  await c.query(
    `insert into auth.flow_state (id, user_id, code_challenge, code_challenge_method, provider_type, authentication_method, created_at, updated_at)
     values ($1, $2, $3, $4, 'email', $5, now(), now())`,
    [randomUUID(), userId, challenge, method_, method],
  );
  return true;
}

/** What a new user starts with. */
export interface NewUser {
  email?: string;
  password?: string;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  confirmed?: boolean;
  anonymous?: boolean;
  id?: string;
  role?: string;
  invited?: boolean;
  phone?: string;
  selfService?: boolean;
}

/**
 * Creates a user with GoTrue's app/user metadata and email identity. `cryptPool` hashes the
 * password (pgcrypto, which the auth role may not use).
 */
export async function createUser(c: pg.PoolClient, cryptPool: pg.Pool, u: NewUser): Promise<UserRow> {
  const id = u.id ?? randomUUID();
  const hash = u.password ? await hashPassword(cryptPool, u.password) : '';
  const provider = u.anonymous ? 'anonymous' : u.email ? 'email' : 'phone';
  const app = { ...(u.appMetadata ?? {}), provider, providers: u.anonymous ? [] : [provider] };
  if (u.anonymous) delete (app as Record<string, unknown>).providers;
  const identityData = u.email ? { sub: id, email: u.email, email_verified: false, phone_verified: false } : undefined;
  // signup.go copies the email identity's claims into user_metadata for self-service
  // signups; admin-created users keep exactly the metadata they were given.
  const meta = { ...(u.userMetadata ?? {}), ...(identityData && u.selfService ? { sub: id, email: u.email, email_verified: !!u.confirmed, phone_verified: false } : {}) };
  const { rows } = await c.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
       raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous, phone, is_sso_user,
       confirmation_token, recovery_token, email_change_token_new, email_change)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', $2, $3, $4, $5, $6, $7, $8, now(), now(), $9, $10, false, '', '', '', '')
     returning *`,
    [id, u.role ?? 'authenticated', u.email ?? null, hash, u.confirmed ? new Date() : null, u.invited ? new Date() : null, app, meta, !!u.anonymous, u.phone || null],
  );
  if (identityData) {
    await c.query(
      `insert into auth.identities (id, provider_id, user_id, identity_data, provider, created_at, updated_at)
       values ($1, $2::text, $2::uuid, $3, 'email', now(), now())`,
      [randomUUID(), id, { ...identityData, email_verified: !!u.confirmed }],
    );
  }
  return rows[0];
}

/** Confirms the user's email and its identity; the confirmation token is spent. */
export async function markEmailVerified(c: pg.PoolClient, user: UserRow): Promise<void> {
  await c.query(
    `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), confirmation_token = '', updated_at = now(),
       raw_user_meta_data = case when raw_user_meta_data ? 'email_verified' then raw_user_meta_data || '{"email_verified": true}' else raw_user_meta_data end
     where id = $1`,
    [user.id],
  );
  await c.query(
    `update auth.identities set identity_data = identity_data || '{"email_verified": true}', updated_at = now() where user_id = $1 and provider = 'email'`,
    [user.id],
  );
  await c.query("delete from auth.one_time_tokens where user_id = $1 and token_type = 'confirmation_token'", [user.id]);
}

/** Makes `mail` the user's confirmed address, in the user, its identity and its metadata. */
export async function applyEmailChange(tx: pg.PoolClient, user: UserRow, mail: string): Promise<void> {
  await tx.query(
    `update auth.users set email = $2::text, email_change = '', email_change_token_new = '', email_change_token_current = '',
       email_change_confirm_status = 0, email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now(),
       raw_user_meta_data = case when raw_user_meta_data ? 'email' then raw_user_meta_data || jsonb_build_object('email', $2::text) else raw_user_meta_data end
     where id = $1`,
    [user.id, mail],
  );
  const { rowCount } = await tx.query(
    `update auth.identities set identity_data = identity_data || jsonb_build_object('email', $2::text), updated_at = now()
     where user_id = $1 and provider = 'email'`,
    [user.id, mail],
  );
  if (!rowCount) {
    // An anonymous user who confirms an email becomes a permanent email user (user.go).
    await tx.query(
      `insert into auth.identities (id, provider_id, user_id, identity_data, provider, created_at, updated_at)
       values ($1, $2::text, $2::uuid, jsonb_build_object('sub', $2::text, 'email', $3::text, 'email_verified', true, 'phone_verified', false), 'email', now(), now())`,
      [randomUUID(), user.id, mail],
    );
    await tx.query(
      `update auth.users set is_anonymous = false,
         raw_app_meta_data = coalesce(raw_app_meta_data, '{}') || '{"provider": "email", "providers": ["email"]}'
       where id = $1`,
      [user.id],
    );
  }
  await tx.query("delete from auth.one_time_tokens where user_id = $1 and token_type in ('email_change_token_new', 'email_change_token_current')", [user.id]);
}

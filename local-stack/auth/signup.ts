import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type pg from 'pg';
import {
  applyEmailChange, audit, checkFrequency, checkPassword, createUser, isBanned, markEmailVerified, newToken, pkceFlow,
  TOKEN_COLUMNS, type TokenKind,
} from './accounts.ts';
import { AuthError, E } from './errors.ts';
import type { LimitName } from './limits.ts';
import type { Mailer } from './mailer.ts';
import { obj, redirectTo, reqInfo, str, validEmail, type Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { findUserByEmail, findUserById, hashPassword, tokenHash, transaction, userJson, type UserRow } from './store.ts';
import { createSession, type AuthMethod, type Issuer } from './tokens.ts';

const VERIFY_TYPES = ['signup', 'invite', 'magiclink', 'recovery', 'email_change', 'email'];
// verify.go singleConfirmationAccepted
const SINGLE_CONFIRMATION = 'Confirmation link accepted. Please proceed to confirm link sent to the other email';

/** What sign-up and verification need. */
export interface SignupDeps {
  pool: pg.Pool;
  /** Runs bcrypt (pgcrypto) as the stack's login role. */
  cryptPool: pg.Pool;
  iss: Issuer;
  settings: AuthSettings;
  mailer: Mailer;
  limit: (name: LimitName, req: Request) => void;
}

/** `POST /signup` (email and anonymous) and `/verify` by code or link (signup.go, anonymous.go, verify.go). */
export function signupRoutes(app: Hono<Env, any, any>, d: SignupDeps) {
  const { settings } = d;

  app.post('/signup', async (c) => {
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const phone = str(b, 'phone', 64);
    const password = str(b, 'password', 1024);
    const data = obj(b, 'data');
    if (!email && !phone) {
      // Anonymous sign-in (anonymous.go): no credentials at all.
      if (!settings.enableAnonymous) throw E.anonymousDisabled();
      d.limit('anonymous', c.req.raw);
      return c.json(
        await transaction(d.pool, async (tx) => {
          const user = await createUser(tx, d.cryptPool, { userMetadata: data, anonymous: true });
          await audit(tx, 'user_signedup', user, { provider: 'anonymous' });
          return createSession(tx, d.iss, user, 'anonymous', reqInfo(c));
        }),
      );
    }
    d.limit('otp', c.req.raw);
    if (phone && !email) throw E.phoneDisabled();
    if (!settings.enableSignup) throw E.signupDisabled();
    const mail = validEmail(email);
    if (!password) throw E.validation('Signup requires a valid password', 422);
    checkPassword(settings, password);
    const redirect = redirectTo(c, settings);
    return c.json(
      await transaction(d.pool, async (tx) => {
        let user = await findUserByEmail(tx, mail);
        if (user && !user.is_anonymous) {
          await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
          if (user.email_confirmed_at) {
            if (settings.autoconfirm) throw E.userExists();
            // signup.go: a confirmed address answers an obfuscated user so signups do not
            // reveal which emails are registered.
            return obfuscatedUser(mail, data);
          }
          // An unconfirmed user signing up again: new password and metadata, new confirmation.
          checkFrequency(settings, user.confirmation_sent_at);
          await tx.query(
            'update auth.users set encrypted_password = $2, raw_user_meta_data = raw_user_meta_data || $3, updated_at = now() where id = $1',
            [user.id, await hashPassword(d.cryptPool, password), data ?? {}],
          );
        } else {
          user = await createUser(tx, d.cryptPool, { email: mail, password, userMetadata: data, confirmed: settings.autoconfirm, selfService: true });
          await audit(tx, 'user_signedup', user, { provider: 'email' });
        }
        if (settings.autoconfirm) return createSession(tx, d.iss, user, 'password', reqInfo(c));
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, settings, user, 'confirmation', mail, pkce);
        d.mailer.send(mail, 'signup', t, redirect, user);
        await audit(tx, 'user_confirmation_requested', user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  /** Finds the user and the token kind a verification refers to, or throws otp_expired. */
  const findVerification = async (
    tx: pg.PoolClient,
    type: string,
    by: { hash: string } | { email: string; otp: string },
    link: boolean,
  ): Promise<{ user: UserRow; kind: TokenKind }> => {
    const kinds: TokenKind[] =
      type === 'signup' || type === 'invite'
        ? ['confirmation']
        : type === 'magiclink' || type === 'recovery'
          ? ['recovery']
          : type === 'email'
            ? ['confirmation', 'recovery']
            : ['email_change_new', 'email_change_current'];
    for (const kind of kinds) {
      const col = TOKEN_COLUMNS[kind];
      let rows: UserRow[];
      if ('hash' in by) {
        ({ rows } = await tx.query(`select * from auth.users where ${col.column} = $1 and $1 <> '' for update`, [by.hash]));
      } else {
        // The OTP is hashed with the address it was sent to: the new one for email_change_new.
        const where = kind === 'email_change_new' ? 'lower(email_change) = $1' : 'lower(email) = $1';
        const candidates = await tx.query(`select * from auth.users where ${where} for update`, [by.email]);
        rows = candidates.rows.filter((u) => u[col.column] && u[col.column] === tokenHash(kind === 'email_change_new' ? u.email_change : u.email, by.otp));
      }
      const user = rows[0];
      if (!user) continue;
      const sent = user[col.sent] ? new Date(user[col.sent]).getTime() : 0;
      if (sent + settings.otpExpiry * 1000 < Date.now()) throw E.otpExpired(link);
      if (isBanned(user)) throw E.userBanned();
      return { user, kind };
    }
    throw E.otpExpired(link);
  };

  /** Applies a verified token: confirms, signs in or changes the email (GoTrue verify.go). */
  const applyVerification = async (tx: pg.PoolClient, type: string, user: UserRow, kind: TokenKind): Promise<UserRow | null> => {
    const col = TOKEN_COLUMNS[kind];
    if (kind === 'confirmation') {
      if (type === 'invite' || user.invited_at) await tx.query('update auth.users set invited_at = coalesce(invited_at, now()) where id = $1', [user.id]);
      await markEmailVerified(tx, user);
      await audit(tx, type === 'invite' ? 'invite_accepted' : 'user_signedup', user);
    } else if (kind === 'recovery') {
      await tx.query(`update auth.users set recovery_token = '', updated_at = now() where id = $1`, [user.id]);
      await tx.query("delete from auth.one_time_tokens where user_id = $1 and token_type = 'recovery_token'", [user.id]);
      if (!user.email_confirmed_at) await markEmailVerified(tx, user);
      await audit(tx, 'login', user, { provider: 'email' });
    } else {
      await tx.query(`update auth.users set ${col.column} = '' where id = $1`, [user.id]);
      await tx.query('delete from auth.one_time_tokens where user_id = $1 and token_type = $2', [user.id, col.ott]);
      const needBoth = settings.doubleConfirmChanges && !!user.email;
      if (needBoth && user.email_change_confirm_status === 0) {
        await tx.query('update auth.users set email_change_confirm_status = 1 where id = $1', [user.id]);
        return null;
      }
      await applyEmailChange(tx, user, user.email_change);
    }
    return (await findUserById(tx, user.id))!;
  };

  const methodFor = (type: string): AuthMethod =>
    type === 'signup' ? 'email/signup' : type === 'invite' ? 'invite' : type === 'recovery' ? 'recovery' : type === 'email_change' ? 'email_change' : 'magiclink';

  app.post('/verify', async (c) => {
    d.limit('verify', c.req.raw);
    const b = c.get('body');
    const type = str(b, 'type', 32);
    const token = str(b, 'token', 1024);
    const hash = str(b, 'token_hash', 1024);
    const email = str(b, 'email', 1024);
    if (!type) throw E.validation('Verify requires a verification type');
    const phone = str(b, 'phone', 64);
    if (type === 'sms' || type === 'phone_change' || phone !== undefined) {
      // No phone user can exist (SMS is off), so every phone OTP is one GoTrue would not find.
      if (phone !== undefined && !/^[1-9]\d{1,14}$/.test(phone.replace(/[\s+()-]/g, ''))) {
        throw E.validation('Invalid phone number format (E.164 required)');
      }
      throw E.otpExpired();
    }
    if (!VERIFY_TYPES.includes(type)) throw E.validation('Unsupported verification type');
    if (!token && !hash) throw E.validation('Verify requires a token or a token hash');
    if (token && hash) throw E.validation('Verify requires either a token or a token hash');
    if (hash && email) throw E.validation('Only the token_hash and type should be provided');
    if (token && !email) throw E.validation('Only an email address or phone number should be provided on verify');
    const out = await transaction(d.pool, async (tx) => {
      const found = await findVerification(
        tx,
        type,
        hash ? { hash: hash.replace(/^pkce_/, '') } : { email: validEmail(email), otp: token!.trim() },
        false,
      );
      const user = await applyVerification(tx, type, found.user, found.kind);
      if (!user) return null;
      return createSession(tx, d.iss, user, 'otp', reqInfo(c));
    });
    if (!out) return c.json({ msg: SINGLE_CONFIRMATION, code: '200' });
    return c.json(out);
  });

  app.get('/verify', async (c) => {
    d.limit('verify', c.req.raw);
    const type = c.req.query('type') ?? '';
    const token = c.req.query('token') ?? '';
    const redirect = redirectTo(c, settings);
    const pkce = token.startsWith('pkce_');
    const errorRedirect = (err: AuthError) => {
      // verify.go prepErrorRedirectURL: error details in the fragment (and the query for PKCE).
      const u = new URL(redirect);
      const h = new URLSearchParams({ error: err.status >= 500 ? 'server_error' : err.status === 403 ? 'access_denied' : 'invalid_request', error_code: err.code, error_description: err.message, sb: '' });
      if (pkce) for (const [k, v] of h) if (k !== 'sb') u.searchParams.set(k, v);
      u.hash = h.toString();
      return c.redirect(u.toString(), 303);
    };
    try {
      if (!type) throw E.validation('Verify requires a verification type');
      if (!token) throw E.validation('Verify requires a token or a token hash');
      if (!VERIFY_TYPES.includes(type) || type === 'email') throw E.validation('Unsupported verification type');
      const result = await transaction(d.pool, async (tx) => {
        const found = await findVerification(tx, type, { hash: token.replace(/^pkce_/, '') }, true);
        const user = await applyVerification(tx, type, found.user, found.kind);
        if (!user) return { single: true as const };
        if (pkce) {
          const { rows } = await tx.query(
            'select id from auth.flow_state where user_id = $1 and authentication_method = $2 order by created_at desc limit 1 for update',
            [user.id, methodFor(type)],
          );
          if (!rows[0]) throw new AuthError(400, 'flow_state_not_found', 'No associated flow state found. ');
          const code = randomUUID();
          await tx.query('update auth.flow_state set auth_code = $2, auth_code_issued_at = now(), updated_at = now() where id = $1', [rows[0].id, code]);
          return { code };
        }
        return { session: await createSession(tx, d.iss, user, 'otp', reqInfo(c)) };
      });
      const u = new URL(redirect);
      if ('single' in result) {
        u.hash = new URLSearchParams({ message: SINGLE_CONFIRMATION, sb: '' }).toString();
      } else if ('code' in result) {
        u.searchParams.set('code', result.code!);
      } else {
        const s = result.session as Record<string, unknown>;
        // AccessTokenResponse.AsRedirectURL: tokens in the fragment, as auth-js detectSessionInUrl reads them.
        u.hash = new URLSearchParams({
          access_token: String(s.access_token),
          expires_at: String(s.expires_at),
          expires_in: String(s.expires_in),
          refresh_token: String(s.refresh_token),
          token_type: 'bearer',
          type,
          sb: '',
        }).toString();
      }
      return c.redirect(u.toString(), 303);
    } catch (err) {
      if (err instanceof AuthError && err.status < 500) return errorRedirect(err);
      throw err;
    }
  });
}

/** signup.go: the fake user answered for an already-confirmed address when confirmations are on. */
function obfuscatedUser(email: string, data?: Record<string, unknown>) {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    aud: 'authenticated',
    role: 'authenticated',
    email,
    phone: '',
    confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: data ?? {},
    identities: [],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
  };
}

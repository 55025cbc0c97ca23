import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import pg from 'pg';
import { readCredential, type BearerRule } from '../bearer.ts';
import { createJwtVerifier, JwtError, loadSigningKeys, publicJwks, type SigningKey } from '../jwt.ts';
import type { MountedService, ServiceContext } from '../service.ts';
import { AuthError, E, errorResponse } from './errors.ts';
import { Bucket, HourlyCounter } from './limits.ts';
import { factorRoutes } from './mfa.ts';
import { authSettings, type AuthSettings } from './settings.ts';
import {
  CommitWithError,
  createPool,
  findUserByEmail,
  findUserById,
  generateOtp,
  hashPassword,
  verifyPassword,
  tokenHash,
  transaction,
  userJson,
  type UserRow,
} from './store.ts';
import { accessToken, createSession, insertRefreshToken, tokenResponse, type AuthMethod, type Issuer } from './tokens.ts';

export const PREFIX = '/auth/v1';
// GoTrue caps bcrypt input at 72 bytes (internal/api/password.go MaxPasswordLength).
const MAX_PASSWORD = 72;
// A cost-10 hash of a random string, checked when no user matches so timing reveals nothing.
const DUMMY_HASH = '$2a$10$3Zp9kRkqC8b3sQf0xXh3Ju8m1oTj2WqKqJ9Y1p7m0N8Qm3V2uYb6K';
// Bodies above this are refused before parsing; GoTrue's largest legitimate bodies are small.
const MAX_BODY = 256 * 1024;
// supabase/auth internal/models/flow_state.go: PKCE auth codes live 5 minutes.
const FLOW_STATE_TTL = 300;
const EMAIL_RE = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Routes for a signed-in user read `Authorization` only (GoTrue requireAuthentication). */
const GOTRUE_USER_BEARER: BearerRule = { scheme: 'gotrue', apikey: 'never' };
/** Admin routes also take the secret key as `apikey` when no bearer token came. */
const GOTRUE_ADMIN_BEARER: BearerRule = { scheme: 'gotrue', apikey: 'without-bearer' };

export interface AuthOptions {
  /** An `[auth]`-shaped table overlaid on config.toml's (tests: hook on, signup off, ...). */
  overrides?: Record<string, unknown>;
}

type Body = Record<string, unknown>;
type Env = { Variables: { body: Body; claims: Record<string, any>; user: UserRow; session: Record<string, any> } };

/** Email kinds and the `type` their links carry (GoTrue mailer). */
type MailKind = 'signup' | 'invite' | 'magiclink' | 'recovery' | 'email_change';

const SUBJECTS: Record<MailKind, string> = {
  signup: 'Confirm Your Signup',
  invite: 'You have been invited',
  magiclink: 'Your Magic Link',
  recovery: 'Reset Your Password',
  email_change: 'Confirm Email Change',
};

/** config.toml's `[auth.email.template.<name>]` for each kind of email (supabase/cli). */
const TEMPLATE_NAMES: Record<MailKind, string> = {
  signup: 'confirmation',
  invite: 'invite',
  magiclink: 'magic_link',
  recovery: 'recovery',
  email_change: 'email_change',
};

/**
 * GoTrue renders templates with Go's text/template; projects use its variable form
 * (`{{ .ConfirmationURL }}`, `{{ .Data.name }}`), which is what this substitutes. Read at
 * send time so edits show up without a restart.
 */
export function renderTemplate(tpl: string, vars: Record<string, unknown>): string {
  return tpl.replace(/\{\{-?\s*\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*-?\}\}/g, (whole, name: string) => {
    let v: unknown = vars;
    for (const part of name.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw E.unexpected(`Email template ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** The column of auth.users and the one_time_tokens type holding each verification's hash. */
const TOKEN_COLUMNS = {
  confirmation: { column: 'confirmation_token', sent: 'confirmation_sent_at', ott: 'confirmation_token' },
  recovery: { column: 'recovery_token', sent: 'recovery_sent_at', ott: 'recovery_token' },
  email_change_new: { column: 'email_change_token_new', sent: 'email_change_sent_at', ott: 'email_change_token_new' },
  email_change_current: { column: 'email_change_token_current', sent: 'email_change_sent_at', ott: 'email_change_token_current' },
} as const;
type TokenKind = keyof typeof TOKEN_COLUMNS;

/** Supabase Auth (GoTrue) on `/auth/v1`: the routes supabase-js and @supabase/ssr use. */
export async function startAuth(ctx: ServiceContext, opts: AuthOptions = {}): Promise<MountedService> {
  const settings = authSettings(ctx.config, opts.overrides);
  const keys: SigningKey[] = settings.signingKeysPath ? await loadSigningKeys(settings.signingKeysPath) : [];
  const jwks = publicJwks(keys);
  const verify = createJwtVerifier({ secret: ctx.config.keys.jwtSecret, jwks });
  const iss: Issuer = { settings, secret: ctx.config.keys.jwtSecret, keys };
  const pool = createPool(ctx.dbUrl);
  // pgcrypto lives in `extensions`, which supabase_auth_admin may not use: bcrypt runs on
  // connections that keep the stack's own login role.
  const cryptPool = new pg.Pool({ connectionString: ctx.dbUrl, max: 4 });
  cryptPool.on('error', () => undefined);
  const log = ctx.logger;

  const limits = {
    // apilimiter.go: the token endpoint (every grant) and verify: config/5 min, burst 30.
    token: new Bucket(settings.rateLimits.tokenRefresh / 300, 30),
    verify: new Bucket(settings.rateLimits.tokenVerifications / 300, 30),
    // signup, otp, magiclink, recover, resend and PUT /user share RATE_LIMIT_OTP
    // (sign_in_sign_ups in config.toml): config/5 min, burst 30.
    otp: new Bucket(settings.rateLimits.signInSignUps / 300, 30),
    anonymous: new Bucket(settings.rateLimits.anonymousUsers / 3600, settings.rateLimits.anonymousUsers),
    mfa: new Bucket(settings.rateLimits.mfa / 60, 30),
    email: new HourlyCounter(settings.rateLimits.emailSent),
  };

  /**
   * GoTrue limits requests per client only when a rate-limit header names the client
   * (GOTRUE_RATE_LIMIT_HEADER; Supabase's edge sets X-Forwarded-For). Without one, no
   * per-client limit applies (middleware.go performRateLimitingWithHeader).
   */
  const limit = (bucket: Bucket, req: Request) => {
    const key = req.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
    if (key && !bucket.take(key)) throw E.rateLimited();
  };

  const app = new Hono<Env>().basePath(PREFIX);

  app.onError((err, c) => {
    if (err instanceof AuthError) {
      if (err.status >= 500) log.error({ err: (err as Error & { cause?: unknown }).cause ?? err }, err.message);
      return errorResponse(c.req.raw, err);
    }
    log.error({ err }, 'auth: unexpected error');
    return errorResponse(c.req.raw, E.unexpected());
  });
  app.notFound((c) => errorResponse(c.req.raw, E.notFound()));

  // Every body is parsed once, with GoTrue's bad_json answer for anything that is not a JSON object.
  app.use('*', async (c, next) => {
    let body: Body = {};
    if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'DELETE') {
      const text = await c.req.text();
      if (text.length > MAX_BODY) throw E.validation('Request body too large', 413);
      if (text.trim()) {
        const type = c.req.header('content-type') ?? '';
        let parsed: unknown;
        if (type.includes('application/x-www-form-urlencoded')) parsed = Object.fromEntries(new URLSearchParams(text));
        else {
          try {
            parsed = JSON.parse(text);
          } catch (err) {
            throw E.badJson((err as Error).message);
          }
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw E.badJson('expected a JSON object');
        body = parsed as Body;
      }
    }
    c.set('body', body);
    await next();
  });

  // ---- helpers ----

  const str = (b: Body, k: string, max = 4096): string | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw E.badJson(`json: cannot unmarshal ${typeof v} into Go struct field .${k} of type string`);
    if (v.length > max) throw E.validation(`${k} is too long`);
    return v;
  };
  const obj = (b: Body, k: string): Record<string, unknown> | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw E.badJson(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field .${k} of type map[string]interface {}`);
    if (JSON.stringify(v).length > 64 * 1024) throw E.validation(`${k} is too large`);
    return v as Record<string, unknown>;
  };
  const boolField = (b: Body, k: string): boolean | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw E.badJson(`json: cannot unmarshal ${typeof v} into Go struct field .${k} of type bool`);
    return v;
  };
  const validEmail = (email: string | undefined): string => {
    if (!email) throw E.validation('An email address is required');
    const e = email.trim().toLowerCase();
    if (e.length > 255 || !EMAIL_RE.test(e)) throw E.emailAddressInvalid();
    return e;
  };

  /** GoTrue's checkPasswordStrength (password.go): length, then required character sets. */
  const checkPassword = (password: string) => {
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
  };

  /** GoTrue validates redirect_to against site_url and the allow-list (globs), else site_url. */
  const redirectTo = (c: Context<Env>, fromBody?: string): string => {
    const want = c.req.query('redirect_to') ?? fromBody;
    if (!want) return settings.siteUrl;
    const allowed = [settings.siteUrl, ...settings.redirectUrls];
    let wantUrl: URL;
    try {
      wantUrl = new URL(want);
    } catch {
      return settings.siteUrl;
    }
    for (const a of allowed) {
      if (a.includes('*')) {
        const re = new RegExp(
          `^${a
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*/g, '\u0000')
            .replace(/\*/g, '[^/.]*')
            .replace(/\u0000/g, '.*')}$`,
        );
        if (re.test(want)) return want;
        continue;
      }
      try {
        const u = new URL(a);
        if (u.origin === wantUrl.origin && (wantUrl.pathname.startsWith(u.pathname) || u.pathname === '/')) return want;
      } catch {
        /* an unparsable allow-list entry matches nothing */
      }
    }
    return settings.siteUrl;
  };

  const reqInfo = (c: Context<Env>) => ({
    userAgent: c.req.header('user-agent'),
    ip: c.req.header('x-forwarded-for')?.split(',')[0]?.trim(),
  });

  const isBanned = (u: UserRow) => u.banned_until && new Date(u.banned_until).getTime() > Date.now();

  const audit = (c: pg.PoolClient | pg.Pool, action: string, user: UserRow | undefined, traits: Record<string, unknown> = {}) =>
    c.query('insert into auth.audit_log_entries (id, payload, created_at, ip_address) values ($1, $2, now(), $3)', [
      randomUUID(),
      JSON.stringify({ action, actor_id: user?.id, actor_username: user?.email, actor_via_sso: false, log_type: 'user', traits }),
      '',
    ]);

  /** Stores a fresh OTP's hash on the user and in one_time_tokens (GoTrue models/one_time_token.go). */
  const newToken = async (c: pg.PoolClient, user: UserRow, kind: TokenKind, relatesTo: string, pkce: boolean) => {
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
  };

  /** GoTrue's MAILER_MAX_FREQUENCY: one email of a kind per interval per user. */
  const checkFrequency = (sentAt: unknown) => {
    if (!sentAt) return;
    const next = new Date(sentAt as string).getTime() + settings.maxFrequencySeconds * 1000;
    if (next > Date.now()) throw E.frequency(Math.ceil((next - Date.now()) / 1000));
  };

  /**
   * Sends an auth email through the outbox: GoTrue's default template, or the project's own
   * from `[auth.email.template.<name>]` (subject, content_path) with GoTrue's variables.
   */
  const sendMail = (
    to: string,
    kind: MailKind,
    t: { linkToken: string; otp: string; hash: string },
    redirect: string,
    user: UserRow,
    newEmail?: string,
  ) => {
    if (!limits.email.take()) throw E.emailRateLimited();
    const link = `${settings.issuer}/verify?token=${encodeURIComponent(t.linkToken)}&type=${kind}&redirect_to=${encodeURIComponent(redirect)}`;
    const custom = settings.emailTemplates[TEMPLATE_NAMES[kind]];
    const vars: Record<string, unknown> = {
      ConfirmationURL: link,
      Token: t.otp,
      TokenHash: t.hash,
      SiteURL: settings.siteUrl,
      RedirectTo: redirect,
      Email: user.email ?? to,
      NewEmail: newEmail ?? '',
      Data: user.raw_user_meta_data ?? {},
    };
    const change = newEmail ? ` from ${user.email} to ${newEmail}` : '';
    const intro: Record<MailKind, string> = {
      signup: 'Follow this link to confirm your user:',
      invite: `You have been invited to create a user on ${settings.siteUrl}. Follow this link to accept the invite:`,
      magiclink: 'Follow this link to login:',
      recovery: 'Follow this link to reset the password for your user:',
      email_change: `Follow this link to confirm the update of your email${change}:`,
    };
    const label: Record<MailKind, string> = {
      signup: 'Confirm your mail',
      invite: 'Accept the invite',
      magiclink: 'Log In',
      recovery: 'Reset Password',
      email_change: 'Change Email',
    };
    const subject = custom?.subject ? renderTemplate(custom.subject, vars) : SUBJECTS[kind];
    const body = custom?.contentPath ? readTemplate(custom.contentPath) : undefined;
    ctx.mail.send({
      from: 'Admin <admin@email.com>',
      to,
      subject,
      html:
        body !== undefined
          ? renderTemplate(body, vars)
          : `<h2>${SUBJECTS[kind]}</h2>\n<p>${intro[kind]}</p>\n<p><a href="${link.replace(/&/g, '&amp;')}">${label[kind]}</a></p>\n<p>Alternatively, enter the code: ${t.otp}</p>`,
      text: body !== undefined ? undefined : `${SUBJECTS[kind]}\n\n${intro[kind]}\n${link}\n\nAlternatively, enter the code: ${t.otp}\n`,
    });
  };

  /** A PKCE flow state for email flows (GoTrue models.NewFlowState). */
  const pkceFlow = async (c: pg.PoolClient, b: Body, userId: string, method: AuthMethod | string): Promise<boolean> => {
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
  };

  /** Creates a user with GoTrue's app/user metadata and email identity. */
  const createUser = async (
    c: pg.PoolClient,
    u: { email?: string; password?: string; userMetadata?: Record<string, unknown>; appMetadata?: Record<string, unknown>; confirmed?: boolean; anonymous?: boolean; id?: string; role?: string; invited?: boolean; phone?: string; selfService?: boolean },
  ): Promise<UserRow> => {
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
  };

  const markEmailVerified = async (c: pg.PoolClient, user: UserRow) => {
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
  };

  /** Bearer token → verified claims, user and session (GoTrue requireAuthentication). */
  const authenticate = async (c: Context<Env>) => {
    const cred = readCredential(c.req.header('authorization'), null, GOTRUE_USER_BEARER);
    if (cred.from === 'none') throw E.noAuthorization();
    let claims: Record<string, any>;
    try {
      claims = (await verify(cred.token)) as Record<string, any>;
    } catch (err) {
      if (err instanceof JwtError) {
        if (err.reason === 'expired') throw E.badJwt('token is expired');
        throw E.badJwt(err.message);
      }
      throw err;
    }
    if (typeof claims.sub !== 'string' || !claims.sub) throw E.badJwt('invalid claim: missing sub claim');
    const user = await findUserById(pool, claims.sub);
    if (!user) throw E.userNotFoundFromJwt();
    let session: Record<string, any> | undefined;
    if (typeof claims.session_id === 'string' && claims.session_id) {
      const { rows } = await pool.query('select * from auth.sessions where id = $1', [
        /^[0-9a-f-]{36}$/i.test(claims.session_id) ? claims.session_id : '00000000-0000-0000-0000-000000000000',
      ]);
      session = rows[0];
      if (!session) throw E.sessionNotFound();
    }
    c.set('claims', claims);
    c.set('user', user);
    if (session) c.set('session', session);
    return { claims, user, session };
  };

  /** Admin routes accept the service role (or supabase_admin) JWT, or the secret API key. */
  const requireAdmin = async (c: Context<Env>) => {
    const cred = readCredential(c.req.header('authorization'), c.req.header('apikey'), GOTRUE_ADMIN_BEARER);
    if (cred.from !== 'none' && cred.token === ctx.config.keys.secretKey) return;
    if (cred.from !== 'authorization') throw E.noAuthorization();
    let claims: Record<string, any>;
    try {
      claims = (await verify(cred.token)) as Record<string, any>;
    } catch (err) {
      if (err instanceof JwtError) throw E.badJwt(err.message);
      throw err;
    }
    if (claims.role !== 'service_role' && claims.role !== 'supabase_admin') throw E.notAdmin();
  };

  // ---- public routes ----

  app.get('/health', (c) =>
    c.json({ version: 'lintel-local', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' }),
  );

  app.get('/settings', (c) =>
    c.json({
      external: {
        anonymous_users: settings.enableAnonymous,
        apple: false, azure: false, bitbucket: false, discord: false, facebook: false, snapchat: false, figma: false,
        fly: false, github: false, gitlab: false, google: false, keycloak: false, kakao: false, linkedin: false,
        linkedin_oidc: false, notion: false, spotify: false, slack: false, slack_oidc: false, workos: false,
        twitch: false, twitter: false, email: true, phone: false, zoom: false,
      },
      disable_signup: !settings.enableSignup,
      mailer_autoconfirm: settings.autoconfirm,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
      saml_private_key_next_configured: false,
      passkeys_enabled: false,
    }),
  );

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=600');
    return c.json(jwks);
  });

  app.post('/signup', async (c) => {
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const phone = str(b, 'phone', 64);
    const password = str(b, 'password', 1024);
    const data = obj(b, 'data');
    if (!email && !phone) {
      // Anonymous sign-in (anonymous.go): no credentials at all.
      if (!settings.enableAnonymous) throw E.anonymousDisabled();
      limit(limits.anonymous, c.req.raw);
      return c.json(
        await transaction(pool, async (tx) => {
          const user = await createUser(tx, { userMetadata: data, anonymous: true });
          await audit(tx, 'user_signedup', user, { provider: 'anonymous' });
          return createSession(tx, iss, user, 'anonymous', reqInfo(c));
        }),
      );
    }
    limit(limits.otp, c.req.raw);
    if (phone && !email) throw E.phoneDisabled();
    if (!settings.enableSignup) throw E.signupDisabled();
    const mail = validEmail(email);
    if (!password) throw E.validation('Signup requires a valid password', 422);
    checkPassword(password);
    const redirect = redirectTo(c);
    return c.json(
      await transaction(pool, async (tx) => {
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
          checkFrequency(user.confirmation_sent_at);
          await tx.query(
            'update auth.users set encrypted_password = $2, raw_user_meta_data = raw_user_meta_data || $3, updated_at = now() where id = $1',
            [user.id, await hashPassword(cryptPool, password), data ?? {}],
          );
        } else {
          user = await createUser(tx, { email: mail, password, userMetadata: data, confirmed: settings.autoconfirm, selfService: true });
          await audit(tx, 'user_signedup', user, { provider: 'email' });
        }
        if (settings.autoconfirm) return createSession(tx, iss, user, 'password', reqInfo(c));
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, user, 'confirmation', mail, pkce);
        sendMail(mail, 'signup', t, redirect, user);
        await audit(tx, 'user_confirmation_requested', user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.post('/token', async (c) => {
    const grant = c.req.query('grant_type');
    limit(limits.token, c.req.raw);
    const b = c.get('body');
    if (grant === 'password') return c.json(await passwordGrant(c, b));
    if (grant === 'refresh_token') return c.json(await refreshGrant(c, b));
    if (grant === 'pkce') return c.json(await pkceGrant(c, b));
    // Grants Lintel does not offer answer as GoTrue does with the provider switched off.
    if (grant === 'id_token') {
      const provider = str(b, 'provider', 256) ?? str(b, 'issuer', 2048) ?? '';
      throw new AuthError(400, 'provider_disabled', `Provider (issuer "${provider}") is not enabled`);
    }
    if (grant === 'web3') throw new AuthError(400, 'web3_provider_disabled', 'Web3 provider is disabled');
    throw E.unsupportedGrant();
  });

  const passwordGrant = async (c: Context<Env>, b: Body) => {
    const email = str(b, 'email', 1024);
    const phone = str(b, 'phone', 64);
    const password = str(b, 'password', 1024) ?? '';
    if (!email && !phone) throw E.validation('missing email or phone');
    if (!email) throw E.invalidCredentials();
    const user = await findUserByEmail(pool, email.trim().toLowerCase());
    // Compare even without a user, so timing does not reveal registered emails.
    const hash = user?.encrypted_password || DUMMY_HASH;
    const ok = await verifyPassword(cryptPool, password, hash);
    if (!user || !ok || !user.encrypted_password) throw E.invalidCredentials();
    if (isBanned(user)) throw new AuthError(400, 'user_banned', 'User is banned');
    if (!user.email_confirmed_at && !settings.autoconfirm) throw E.emailNotConfirmed();
    const session = await transaction(pool, async (tx) => {
      await audit(tx, 'login', user, { provider: 'email' });
      return createSession(tx, iss, user, 'password', reqInfo(c));
    });
    // token.go: a password that no longer meets the rules still signs in, flagged so the app
    // can ask for a new one (auth-js hands it over as data.weak_password).
    try {
      checkPassword(password);
    } catch (err) {
      if (err instanceof AuthError && err.code === 'weak_password') {
        return { ...session, weak_password: { reasons: (err.extra.weak_password as { reasons: string[] }).reasons, message: err.message } };
      }
    }
    return session;
  };

  /** Refresh-token rotation with reuse detection, as supabase/auth internal/tokens/service.go. */
  const refreshGrant = async (c: Context<Env>, b: Body) => {
    const token = str(b, 'refresh_token', 512);
    if (!token) throw E.validation('refresh_token required');
    return transaction(pool, async (tx) => {
      const { rows } = await tx.query('select * from auth.refresh_tokens where token = $1 for update', [token]);
      const rt = rows[0];
      if (!rt) throw E.refreshNotFound();
      const user = await findUserById(tx, rt.user_id);
      if (!user) throw E.refreshNotFound();
      if (isBanned(user)) throw new AuthError(400, 'user_banned', 'Invalid Refresh Token: User Banned');
      const sess = await tx.query('select * from auth.sessions where id = $1 for update', [rt.session_id]);
      const session = sess.rows[0];
      if (!session) throw new AuthError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
      if (session.not_after && new Date(session.not_after).getTime() < Date.now()) throw E.sessionExpired();
      let issued: string | undefined;
      if (rt.revoked) {
        const active = await tx.query(
          'select * from auth.refresh_tokens where session_id = $1 and revoked = false order by id desc limit 1',
          [rt.session_id],
        );
        if (active.rows[0] && active.rows[0].parent === rt.token) {
          // The client lost the response of its last refresh: hand back the active token.
          issued = active.rows[0].token;
        } else if (Date.now() > new Date(rt.updated_at).getTime() + settings.reuseInterval * 1000) {
          if (settings.rotation) {
            await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false', [rt.session_id]);
          }
          throw new CommitWithError(E.refreshAlreadyUsed());
        }
      }
      await audit(tx, 'token_refreshed', user);
      if (!issued) {
        if (settings.rotation) {
          await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [rt.id]);
          issued = await insertRefreshToken(tx, user.id, rt.session_id, rt.token);
        } else issued = rt.token as string;
      }
      await tx.query('update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1', [rt.session_id]);
      return tokenResponse(tx, iss, user.id, rt.session_id, issued!, 'token_refresh');
    });
  };

  const pkceGrant = async (c: Context<Env>, b: Body) => {
    const code = str(b, 'auth_code', 512);
    const verifier = str(b, 'code_verifier', 512);
    if (!code || !verifier) throw E.validation('invalid request: both auth code and code verifier should be non-empty');
    return transaction(pool, async (tx) => {
      const { rows } = await tx.query('select * from auth.flow_state where auth_code = $1 for update', [code]);
      const flow = rows[0];
      if (!flow) throw E.flowStateNotFound();
      if (new Date(flow.auth_code_issued_at ?? flow.created_at).getTime() + FLOW_STATE_TTL * 1000 < Date.now()) {
        throw E.flowStateExpired();
      }
      const expected =
        flow.code_challenge_method === 's256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (expected !== String(flow.code_challenge).replace(/=+$/, '')) throw E.badCodeVerifier();
      const user = await findUserById(tx, flow.user_id);
      if (!user) throw E.flowStateNotFound();
      if (isBanned(user)) throw new AuthError(400, 'user_banned', 'User is banned');
      await tx.query('delete from auth.flow_state where id = $1', [flow.id]);
      return createSession(tx, iss, user, flow.authentication_method as AuthMethod, reqInfo(c));
    });
  };

  app.get('/user', async (c) => {
    const { user } = await authenticate(c);
    return c.json(await userJson(pool, user));
  });

  app.put('/user', async (c) => {
    const { user, session } = await authenticate(c);
    limit(limits.otp, c.req.raw);
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const password = str(b, 'password', 1024);
    const data = obj(b, 'data');
    // user.go: app_metadata in the body is ignored; only admins set it.
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const redirect = redirectTo(c);
    return c.json(
      await transaction(pool, async (tx) => {
        await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
        if (password !== undefined) {
          checkPassword(password);
          if (user.encrypted_password && (await verifyPassword(cryptPool, password, user.encrypted_password))) throw E.samePassword();
          await tx.query('update auth.users set encrypted_password = $2, updated_at = now() where id = $1', [user.id, await hashPassword(cryptPool, password)]);
          await audit(tx, 'user_updated_password', user);
          // user.go: other sessions are logged out when the password changes.
          if (session) await tx.query('delete from auth.sessions where user_id = $1 and id <> $2', [user.id, session.id]);
        }
        if (data) {
          // UpdateUserMetaData: keys set, null deletes.
          const nulls = Object.keys(data).filter((k) => data[k] === null);
          const set = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
          await tx.query('update auth.users set raw_user_meta_data = (coalesce(raw_user_meta_data, \'{}\') || $2) - $3::text[], updated_at = now() where id = $1', [
            user.id,
            set,
            nulls,
          ]);
        }
        if (email !== undefined) {
          const mail = validEmail(email);
          if (mail !== user.email) {
            const other = await findUserByEmail(tx, mail);
            if (other && other.id !== user.id) throw E.emailExists();
            if (settings.autoconfirm) {
              await applyEmailChange(tx, user, mail);
            } else {
              checkFrequency(user.email_change_sent_at);
              await tx.query('update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1', [user.id, mail]);
              const pkce = await pkceFlow(tx, b, user.id, 'email_change');
              const tNew = await newToken(tx, user, 'email_change_new', mail, pkce);
              sendMail(mail, 'email_change', tNew, redirect, user, mail);
              if (settings.doubleConfirmChanges && user.email) {
                const tCur = await newToken(tx, user, 'email_change_current', user.email, pkce);
                sendMail(user.email, 'email_change', tCur, redirect, user, mail);
              }
            }
          }
        }
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  const applyEmailChange = async (tx: pg.PoolClient, user: UserRow, mail: string) => {
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
  };

  app.post('/logout', async (c) => {
    const scope = c.req.query('scope') ?? 'global';
    if (!['global', 'local', 'others'].includes(scope)) throw E.validation(`Unsupported logout scope "${scope}"`);
    const { user, session } = await authenticate(c);
    if (scope === 'local') {
      if (session) await pool.query('delete from auth.sessions where id = $1', [session.id]);
    } else if (scope === 'others') {
      await pool.query('delete from auth.sessions where user_id = $1 and id <> $2', [user.id, session?.id ?? '00000000-0000-0000-0000-000000000000']);
    } else {
      await pool.query('delete from auth.sessions where user_id = $1', [user.id]);
    }
    await audit(pool, 'logout', user);
    return c.body(null, 204);
  });

  // reauthenticate.go: a nonce by email for secure password changes.
  app.get('/reauthenticate', async (c) => {
    const { user } = await authenticate(c);
    if (!user.email) throw new AuthError(422, 'validation_failed', 'Reauthentication requires the user to have an email or a phone number');
    await transaction(pool, async (tx) => {
      checkFrequency(user.reauthentication_sent_at);
      const otp = generateOtp(settings.otpLength);
      await tx.query('update auth.users set reauthentication_token = $2, reauthentication_sent_at = now() where id = $1', [user.id, tokenHash(user.email!, otp)]);
      if (!limits.email.take()) throw E.emailRateLimited();
      ctx.mail.send({ from: 'Admin <admin@email.com>', to: user.email!, subject: 'Confirm reauthentication', text: `Enter the code: ${otp}\n`, html: `<h2>Confirm reauthentication</h2><p>Enter the code: ${otp}</p>` });
    });
    return c.json({});
  });

  // enable_manual_linking = false: identity linking routes answer as GoTrue's
  // requireManualLinkingEnabled does.
  const manualLinking = async (c: Context<Env>) => {
    await authenticate(c);
    throw new AuthError(404, 'manual_linking_disabled', 'Manual linking is disabled');
  };
  app.get('/user/identities/authorize', manualLinking);
  app.delete('/user/identities/:id', manualLinking);
  // SAML SSO is not offered: requireSAMLEnabled's answer.
  app.post('/sso', () => {
    throw new AuthError(404, 'saml_provider_disabled', 'SAML 2.0 is disabled');
  });

  app.post('/recover', async (c) => {
    limit(limits.otp, c.req.raw);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c);
    await transaction(pool, async (tx) => {
      const user = await findUserByEmail(tx, mail);
      if (!user) return; // recover.go: unknown addresses answer the same, revealing nothing.
      await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
      checkFrequency(user.recovery_sent_at);
      const pkce = await pkceFlow(tx, b, user.id, 'recovery');
      const t = await newToken(tx, user, 'recovery', mail, pkce);
      sendMail(mail, 'recovery', t, redirect, user);
      await audit(tx, 'user_recovery_requested', user);
    });
    return c.json({});
  });

  app.post('/otp', async (c) => {
    limit(limits.otp, c.req.raw);
    const b = c.get('body');
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const mail = validEmail(str(b, 'email', 1024));
    const createUserFlag = boolField(b, 'create_user') ?? true;
    const data = obj(b, 'data');
    const redirect = redirectTo(c);
    await transaction(pool, async (tx) => {
      let user = await findUserByEmail(tx, mail);
      if (!user) {
        if (!createUserFlag || !settings.enableSignup) throw E.otpDisabled();
        user = await createUser(tx, { email: mail, userMetadata: data, confirmed: settings.autoconfirm, selfService: true });
        await audit(tx, 'user_signedup', user, { provider: 'email' });
      }
      await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
      if (!user.email_confirmed_at && !settings.autoconfirm) {
        // magic_link.go: an unconfirmed user gets the signup confirmation instead.
        checkFrequency(user.confirmation_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, user, 'confirmation', mail, pkce);
        sendMail(mail, 'signup', t, redirect, user);
      } else {
        checkFrequency(user.recovery_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'magiclink');
        const t = await newToken(tx, user, 'recovery', mail, pkce);
        sendMail(mail, 'magiclink', t, redirect, user);
      }
    });
    return c.json({});
  });

  app.post('/magiclink', async (c) => {
    limit(limits.otp, c.req.raw);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c);
    await transaction(pool, async (tx) => {
      const user = await findUserByEmail(tx, mail);
      if (!user) throw E.otpDisabled();
      checkFrequency(user.recovery_sent_at);
      const t = await newToken(tx, user, 'recovery', mail, false);
      sendMail(mail, 'magiclink', t, redirect, user);
    });
    return c.json({});
  });

  app.post('/resend', async (c) => {
    limit(limits.otp, c.req.raw);
    const b = c.get('body');
    const type = str(b, 'type', 32);
    if (type === 'sms' || type === 'phone_change') throw E.phoneDisabled();
    if (type !== 'signup' && type !== 'email_change') throw E.validation('Missing one of these types: signup, email_change, sms, phone_change');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c);
    await transaction(pool, async (tx) => {
      if (type === 'signup') {
        const user = await findUserByEmail(tx, mail);
        if (!user) return;
        if (user.email_confirmed_at) throw new AuthError(422, 'email_exists', 'Email address already confirmed');
        checkFrequency(user.confirmation_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, user, 'confirmation', mail, pkce);
        sendMail(mail, 'signup', t, redirect, user);
      } else {
        const { rows } = await tx.query('select * from auth.users where email_change = $1 limit 1', [mail]);
        const user = rows[0] as UserRow | undefined;
        if (!user) return;
        checkFrequency(user.email_change_sent_at);
        const tNew = await newToken(tx, user, 'email_change_new', mail, false);
        sendMail(mail, 'email_change', tNew, redirect, user, mail);
        if (settings.doubleConfirmChanges && user.email) {
          const tCur = await newToken(tx, user, 'email_change_current', user.email, false);
          sendMail(user.email, 'email_change', tCur, redirect, user, mail);
        }
      }
    });
    return c.json({});
  });

  // ---- verify ----

  const VERIFY_TYPES = ['signup', 'invite', 'magiclink', 'recovery', 'email_change', 'email'];

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

  // verify.go singleConfirmationAccepted
  const SINGLE_CONFIRMATION = 'Confirmation link accepted. Please proceed to confirm link sent to the other email';
  const methodFor = (type: string): AuthMethod =>
    type === 'signup' ? 'email/signup' : type === 'invite' ? 'invite' : type === 'recovery' ? 'recovery' : type === 'email_change' ? 'email_change' : 'magiclink';

  app.post('/verify', async (c) => {
    limit(limits.verify, c.req.raw);
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
    const out = await transaction(pool, async (tx) => {
      const found = await findVerification(
        tx,
        type,
        hash ? { hash: hash.replace(/^pkce_/, '') } : { email: validEmail(email), otp: token!.trim() },
        false,
      );
      const user = await applyVerification(tx, type, found.user, found.kind);
      if (!user) return null;
      return createSession(tx, iss, user, 'otp', reqInfo(c));
    });
    if (!out) return c.json({ msg: SINGLE_CONFIRMATION, code: '200' });
    return c.json(out);
  });

  app.get('/verify', async (c) => {
    limit(limits.verify, c.req.raw);
    const type = c.req.query('type') ?? '';
    const token = c.req.query('token') ?? '';
    const redirect = redirectTo(c);
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
      const result = await transaction(pool, async (tx) => {
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
        return { session: await createSession(tx, iss, user, 'otp', reqInfo(c)) };
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

  // ---- admin ----

  app.post('/invite', async (c) => {
    await requireAdmin(c);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const data = obj(b, 'data');
    const redirect = redirectTo(c);
    return c.json(
      await transaction(pool, async (tx) => {
        let user = await findUserByEmail(tx, mail);
        if (user?.email_confirmed_at) throw E.emailExists();
        if (!user) {
          user = await createUser(tx, { email: mail, userMetadata: data, invited: true });
          await audit(tx, 'user_invited', user);
        } else {
          await tx.query('update auth.users set invited_at = now() where id = $1', [user.id]);
        }
        const t = await newToken(tx, user, 'confirmation', mail, false);
        sendMail(mail, 'invite', t, redirect, user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  const banUntil = (v: unknown): Date | null | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw E.badJson('json: cannot unmarshal into Go struct field .ban_duration of type string');
    if (v === 'none') return null;
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v) ?? /^((?:\d+h)?(?:\d+m)?(?:\d+(?:\.\d+)?s)?)$/.exec(v);
    if (!m || !v) throw E.validation('invalid format for ban duration: time: invalid duration "' + v + '"');
    let secs = 0;
    for (const part of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
      const n = Number(part[1]);
      secs += { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[part[2] as 'h'] * n;
    }
    return new Date(Date.now() + secs * 1000);
  };

  app.get('/admin/users', async (c) => {
    await requireAdmin(c);
    // pagination.go: page and per_page are unsigned integers; anything else is a 400.
    const pageQ = c.req.query('page') || '1';
    const perQ = c.req.query('per_page') || '50';
    if (!/^\d+$/.test(pageQ) || !/^\d+$/.test(perQ)) throw E.validation('Bad Pagination Parameters');
    const page = Math.max(1, Number(pageQ));
    const perPage = Math.min(1000, Math.max(1, Number(perQ)));
    const total = Number((await pool.query("select count(*) as n from auth.users where aud = 'authenticated'")).rows[0].n);
    const { rows } = await pool.query(
      "select * from auth.users where aud = 'authenticated' order by created_at desc, id limit $1 offset $2",
      [perPage, (page - 1) * perPage],
    );
    // pagination.go: Link with next/last and X-Total-Count, as GoTrueAdminApi.listUsers parses them.
    const last = Math.max(1, Math.ceil(total / perPage));
    const base = new URL(c.req.url);
    const link = (p: number, rel: string) => {
      base.searchParams.set('page', String(p));
      base.searchParams.set('per_page', String(perPage));
      return `<${base.pathname}${base.search}>; rel="${rel}"`;
    };
    const links = [...(page < last ? [link(page + 1, 'next')] : []), link(last, 'last')];
    c.header('x-total-count', String(total));
    c.header('link', links.join(', '));
    return c.json({ users: await Promise.all(rows.map((u) => userJson(pool, u))), aud: 'authenticated' });
  });

  app.post('/admin/users', async (c) => {
    await requireAdmin(c);
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const password = str(b, 'password', 1024);
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const mail = email ? validEmail(email) : undefined;
    if (!mail) throw E.validation('Unable to validate email address: invalid format');
    if (password !== undefined) checkPassword(password);
    const ban = banUntil(b.ban_duration);
    const id = str(b, 'id', 64);
    if (id !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw E.validation('id must be a UUID');
    return c.json(
      await transaction(pool, async (tx) => {
        if (await findUserByEmail(tx, mail)) throw E.emailExists();
        if (id && (await findUserById(tx, id))) throw new AuthError(422, 'user_already_exists', 'User already exists');
        const user = await createUser(tx, {
          id,
          email: mail,
          password,
          userMetadata: obj(b, 'user_metadata') ?? obj(b, 'data'),
          appMetadata: obj(b, 'app_metadata'),
          confirmed: boolField(b, 'email_confirm') ?? false,
          role: str(b, 'role', 64),
        });
        if (ban !== undefined) await tx.query('update auth.users set banned_until = $2 where id = $1', [user.id, ban]);
        await audit(tx, 'user_signedup', user, { provider: 'email', via: 'admin' });
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.get('/admin/users/:id', async (c) => {
    await requireAdmin(c);
    const user = await findUserById(pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    return c.json(await userJson(pool, user));
  });

  app.put('/admin/users/:id', async (c) => {
    await requireAdmin(c);
    const b = c.get('body');
    return c.json(
      await transaction(pool, async (tx) => {
        const user = await findUserById(tx, c.req.param('id'), true);
        if (!user) throw E.userNotFound();
        const email = str(b, 'email', 1024);
        const password = str(b, 'password', 1024);
        const userMeta = obj(b, 'user_metadata');
        const appMeta = obj(b, 'app_metadata');
        const confirm = boolField(b, 'email_confirm');
        const role = str(b, 'role', 64);
        const ban = banUntil(b.ban_duration);
        if (email !== undefined) {
          const mail = validEmail(email);
          const other = await findUserByEmail(tx, mail);
          if (other && other.id !== user.id) throw E.emailExists();
          await applyEmailChange(tx, user, mail);
        }
        if (password !== undefined) {
          checkPassword(password);
          await tx.query('update auth.users set encrypted_password = $2 where id = $1', [user.id, await hashPassword(cryptPool, password)]);
        }
        if (userMeta) await tx.query('update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data, \'{}\') || $2 where id = $1', [user.id, userMeta]);
        if (appMeta) await tx.query('update auth.users set raw_app_meta_data = coalesce(raw_app_meta_data, \'{}\') || $2 where id = $1', [user.id, appMeta]);
        if (confirm === true) await markEmailVerified(tx, user);
        if (role !== undefined) await tx.query('update auth.users set role = $2 where id = $1', [user.id, role]);
        if (ban !== undefined) {
          await tx.query('update auth.users set banned_until = $2 where id = $1', [user.id, ban]);
          // admin.go: banning a user revokes their sessions.
          if (ban) await tx.query('delete from auth.sessions where user_id = $1', [user.id]);
        }
        await tx.query('update auth.users set updated_at = now() where id = $1', [user.id]);
        await audit(tx, 'user_modified', user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.delete('/admin/users/:id', async (c) => {
    await requireAdmin(c);
    const b = c.get('body');
    const soft = boolField(b, 'should_soft_delete') ?? false;
    const user = await findUserById(pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    await transaction(pool, async (tx) => {
      if (soft) {
        // models.User.SoftDeleteUser: obfuscate identifying fields, keep the row.
        await tx.query(
          `update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '',
             raw_user_meta_data = '{}', raw_app_meta_data = '{}', updated_at = now() where id = $1`,
          [user.id],
        );
        await tx.query('delete from auth.identities where user_id = $1', [user.id]);
        await tx.query('delete from auth.sessions where user_id = $1', [user.id]);
      } else {
        await tx.query('delete from auth.users where id = $1', [user.id]);
      }
      await audit(tx, 'user_deleted', user);
    });
    return c.json({});
  });

  app.get('/admin/users/:id/factors', async (c) => {
    await requireAdmin(c);
    const user = await findUserById(pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    return c.json(((await userJson(pool, user)).factors as unknown[]) ?? []);
  });

  app.delete('/admin/users/:id/factors/:factor', async (c) => {
    await requireAdmin(c);
    const { rows } = await pool.query('delete from auth.mfa_factors where id = $1 and user_id = $2 returning id', [
      /^[0-9a-f-]{36}$/i.test(c.req.param('factor')) ? c.req.param('factor') : '00000000-0000-0000-0000-000000000000',
      /^[0-9a-f-]{36}$/i.test(c.req.param('id')) ? c.req.param('id') : '00000000-0000-0000-0000-000000000000',
    ]);
    if (!rows[0]) throw E.factorNotFound();
    return c.json({ id: rows[0].id });
  });

  app.post('/admin/generate_link', async (c) => {
    await requireAdmin(c);
    const b = c.get('body');
    const type = str(b, 'type', 32) ?? '';
    const mail = validEmail(str(b, 'email', 1024));
    const password = str(b, 'password', 1024);
    const newEmail = str(b, 'new_email', 1024);
    const data = obj(b, 'data');
    const redirect = redirectTo(c, str(b, 'redirect_to', 2048));
    const types = ['signup', 'invite', 'magiclink', 'recovery', 'email_change_current', 'email_change_new'];
    if (!types.includes(type)) throw E.validation('Invalid link type');
    return c.json(
      await transaction(pool, async (tx) => {
        let user = await findUserByEmail(tx, mail);
        let kind: TokenKind;
        let verification: string = type;
        let relates = mail;
        if (type === 'signup') {
          if (user?.email_confirmed_at) throw E.emailExists();
          if (!password) throw E.validation('Signup requires a valid password', 422);
          checkPassword(password);
          if (!user) user = await createUser(tx, { email: mail, password, userMetadata: data });
          kind = 'confirmation';
        } else if (type === 'invite') {
          if (user?.email_confirmed_at) throw E.emailExists();
          if (!user) user = await createUser(tx, { email: mail, userMetadata: data, invited: true });
          else await tx.query('update auth.users set invited_at = now() where id = $1', [user.id]);
          kind = 'confirmation';
        } else if (type === 'magiclink' || type === 'recovery') {
          if (!user) {
            if (type === 'recovery') throw E.userNotFound();
            user = await createUser(tx, { email: mail, userMetadata: data });
          }
          kind = 'recovery';
        } else {
          if (!user) throw E.userNotFound();
          const ne = validEmail(newEmail);
          if (await findUserByEmail(tx, ne)) throw E.emailExists();
          await tx.query('update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1', [user.id, ne]);
          kind = type === 'email_change_new' ? 'email_change_new' : 'email_change_current';
          if (kind === 'email_change_new') relates = ne;
          verification = 'email_change';
        }
        const t = await newToken(tx, user, kind, relates, false);
        const out = await userJson(tx, (await findUserById(tx, user.id))!);
        // admin.go GenerateLinkResponse: the user's fields plus the link properties, flattened.
        return {
          ...out,
          action_link: `${settings.issuer}/verify?token=${t.hash}&type=${verification}&redirect_to=${encodeURIComponent(redirect)}`,
          email_otp: t.otp,
          hashed_token: t.hash,
          verification_type: verification,
          redirect_to: redirect,
        };
      }),
    );
  });

  factorRoutes(app, { pool, iss, settings, authenticate, limitMfa: (req) => limit(limits.mfa, req), str });

  return {
    name: 'auth',
    prefix: PREFIX,
    fetch: (req, rctx) => {
      rctx.log.service = 'auth';
      return app.fetch(req);
    },
    async stop() {
      await Promise.all([pool.end(), cryptPool.end()]);
    },
  };
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

export type { AuthSettings };
export { accessToken };

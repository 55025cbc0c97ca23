import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { Secret, TOTP } from 'otpauth';
import type pg from 'pg';
import QRCode from 'qrcode';
import { AuthError, E } from './errors.ts';
import type { Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { transaction, type UserRow } from './store.ts';
import { insertRefreshToken, tokenResponse, type Issuer } from './tokens.ts';

// supabase/auth internal/conf: MFA challenges expire after 300 s; TOTP is SHA1, 6 digits, 30 s.
const CHALLENGE_EXPIRY = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface MfaDeps {
  pool: pg.Pool;
  iss: Issuer;
  settings: AuthSettings;
  authenticate: (c: Context<Env>) => Promise<{ claims: Record<string, any>; user: UserRow; session?: Record<string, any> }>;
  limitMfa: (req: Request) => void;
  str: (b: Record<string, unknown>, k: string, max?: number) => string | undefined;
}

const totpFor = (secret: string, issuer = '', label = '') =>
  new TOTP({ issuer, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

/** TOTP multi-factor authentication on `/factors` (supabase/auth internal/api/mfa.go). */
export function factorRoutes(app: Hono<Env, any, any>, d: MfaDeps) {
  const needSession = async (c: Context<Env>) => {
    const a = await d.authenticate(c);
    if (!a.session) throw E.badJwt('invalid claim: missing session_id claim');
    return a as { claims: Record<string, any>; user: UserRow; session: Record<string, any> };
  };

  const loadFactor = async (db: pg.Pool | pg.PoolClient, user: UserRow, id: string) => {
    if (!UUID.test(id)) throw E.factorNotFound();
    const { rows } = await db.query('select * from auth.mfa_factors where id = $1', [id]);
    const f = rows[0];
    if (!f) throw E.factorNotFound();
    if (f.user_id !== user.id) throw new AuthError(403, 'mfa_factor_not_found', 'Factor does not belong to user');
    return f;
  };

  app.post('/factors', async (c) => {
    const { user, session } = await needSession(c);
    const b = c.get('body');
    const type = d.str(b, 'factor_type', 32);
    const friendly = d.str(b, 'friendly_name', 256) ?? '';
    const issuer = d.str(b, 'issuer', 256) || new URL(d.settings.siteUrl).hostname;
    if (type === 'phone') throw new AuthError(422, 'mfa_phone_enroll_not_enabled', 'MFA enroll is disabled for Phone');
    if (type === 'webauthn') throw new AuthError(422, 'mfa_webauthn_enroll_not_enabled', 'MFA enroll is disabled for WebAuthn');
    if (type !== 'totp') throw E.validation('factor_type needs to be totp, phone or webauthn');
    if (!d.settings.mfa.totpEnroll) throw E.mfaEnrollDisabled();
    if (user.is_anonymous) throw new AuthError(422, 'mfa_anonymous_not_allowed', 'Anonymous users cannot enroll MFA factors');
    return c.json(
      await transaction(d.pool, async (tx) => {
        await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
        const { rows: factors } = await tx.query('select * from auth.mfa_factors where user_id = $1', [user.id]);
        const verified = factors.filter((f) => f.status === 'verified');
        if (verified.length && session.aal !== 'aal2') throw E.insufficientAal('AAL2 required to enroll a new factor');
        if (verified.length >= d.settings.mfa.maxEnrolledFactors) throw E.tooManyFactors();
        if (friendly && factors.some((f) => f.friendly_name === friendly)) {
          const dup = factors.find((f) => f.friendly_name === friendly)!;
          // mfa.go: an unverified factor with the same name is replaced, a verified one conflicts.
          if (dup.status === 'verified') throw E.factorNameConflict(friendly);
          await tx.query('delete from auth.mfa_factors where id = $1', [dup.id]);
        }
        const secret = new Secret({ size: 20 }).base32;
        const totp = totpFor(secret, issuer, user.email ?? '');
        const uri = totp.toString();
        const id = randomUUID();
        await tx.query(
          `insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
           values ($1, $2, $3, 'totp', 'unverified', now(), now(), $4)`,
          [id, user.id, friendly || null, secret],
        );
        const svg = await QRCode.toString(uri, { type: 'svg', margin: 1 });
        return { id, type: 'totp', friendly_name: friendly, totp: { qr_code: svg, secret, uri } };
      }),
    );
  });

  app.post('/factors/:id/challenge', async (c) => {
    d.limitMfa(c.req.raw);
    const { user } = await needSession(c);
    const factor = await loadFactor(d.pool, user, c.req.param('id'));
    if (factor.factor_type !== 'totp') throw E.validation('Only TOTP factors are offered');
    const id = randomUUID();
    const ip = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    await d.pool.query(
      `insert into auth.mfa_challenges (id, factor_id, created_at, ip_address) values ($1, $2, now(), $3)`,
      [id, factor.id, ip && /^[0-9a-fA-F:.]+$/.test(ip) ? ip : '127.0.0.1'],
    );
    await d.pool.query('update auth.mfa_factors set last_challenged_at = now() where id = $1', [factor.id]).catch(() => undefined);
    return c.json({ id, type: 'totp', expires_at: Math.floor(Date.now() / 1000) + CHALLENGE_EXPIRY });
  });

  app.post('/factors/:id/verify', async (c) => {
    d.limitMfa(c.req.raw);
    const { user, session } = await needSession(c);
    const b = c.get('body');
    const challengeId = d.str(b, 'challenge_id', 64);
    const code = d.str(b, 'code', 64);
    if (!challengeId || !code) throw E.validation('challenge_id and code are required');
    if (!d.settings.mfa.totpVerify) throw E.mfaVerifyDisabled();
    return c.json(
      await transaction(d.pool, async (tx) => {
        const factor = await loadFactor(tx, user, c.req.param('id'));
        if (!UUID.test(challengeId)) throw E.challengeNotFound();
        const { rows } = await tx.query('select * from auth.mfa_challenges where id = $1 and factor_id = $2 for update', [challengeId, factor.id]);
        const challenge = rows[0];
        if (!challenge || challenge.verified_at) throw E.challengeNotFound();
        if (new Date(challenge.created_at).getTime() + CHALLENGE_EXPIRY * 1000 < Date.now()) {
          await tx.query('delete from auth.mfa_challenges where id = $1', [challenge.id]);
          throw E.challengeExpired(challenge.id);
        }
        const ok = totpFor(factor.secret).validate({ token: code.trim(), window: 1 }) !== null;
        if (!ok) throw E.mfaVerificationFailed();
        await tx.query('update auth.mfa_challenges set verified_at = now() where id = $1', [challenge.id]);
        await tx.query("update auth.mfa_factors set status = 'verified', updated_at = now() where id = $1", [factor.id]);
        await tx.query("update auth.sessions set aal = 'aal2', factor_id = $2, updated_at = now() where id = $1", [session.id, factor.id]);
        await tx.query(
          `insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
           values ($1, $2, now(), now(), 'totp')
           on conflict (session_id, authentication_method) do update set updated_at = now()`,
          [randomUUID(), session.id],
        );
        // mfa.go: the upgraded session gets a new refresh token; the old ones are revoked.
        await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false', [session.id]);
        const refresh = await insertRefreshToken(tx, user.id, session.id, null);
        return tokenResponse(tx, d.iss, user.id, session.id, refresh, 'totp');
      }),
    );
  });

  app.delete('/factors/:id', async (c) => {
    const { user, session } = await needSession(c);
    const factor = await loadFactor(d.pool, user, c.req.param('id'));
    if (factor.status === 'verified' && session.aal !== 'aal2') throw E.insufficientAal('AAL2 required to unenroll verified factor');
    await transaction(d.pool, async (tx) => {
      await tx.query('delete from auth.mfa_factors where id = $1', [factor.id]);
      // mfa.go UnenrollFactor: sessions verified with this factor drop back to aal1.
      await tx.query("update auth.sessions set aal = 'aal1', factor_id = null where factor_id = $1", [factor.id]);
    });
    return c.json({ id: factor.id });
  });
}

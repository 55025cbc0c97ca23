import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type pg from 'pg';
import { audit, checkPassword, isBanned } from './accounts.ts';
import { AuthError, E } from './errors.ts';
import type { LimitName } from './limits.ts';
import { reqInfo, str, type Body, type Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { CommitWithError, findUserByEmail, findUserById, transaction, verifyPassword } from './store.ts';
import { createSession, insertRefreshToken, tokenResponse, type AuthMethod, type Issuer } from './tokens.ts';

// A cost-10 hash of a random string, checked when no user matches so timing reveals nothing.
const DUMMY_HASH = '$2a$10$3Zp9kRkqC8b3sQf0xXh3Ju8m1oTj2WqKqJ9Y1p7m0N8Qm3V2uYb6K';
// supabase/auth internal/models/flow_state.go: PKCE auth codes live 5 minutes.
const FLOW_STATE_TTL = 300;

/** What the token endpoint needs. */
export interface GrantDeps {
  pool: pg.Pool;
  /** Runs bcrypt (pgcrypto) as the stack's login role. */
  cryptPool: pg.Pool;
  iss: Issuer;
  settings: AuthSettings;
  limit: (name: LimitName, req: Request) => void;
}

/** `POST /token`: the password, refresh-token and PKCE grants (supabase/auth internal/api/token.go). */
export function tokenRoutes(app: Hono<Env, any, any>, d: GrantDeps) {
  const passwordGrant = async (c: Context<Env>, b: Body) => {
    const email = str(b, 'email', 1024);
    const phone = str(b, 'phone', 64);
    const password = str(b, 'password', 1024) ?? '';
    if (!email && !phone) throw E.validation('missing email or phone');
    if (!email) throw E.invalidCredentials();
    const user = await findUserByEmail(d.pool, email.trim().toLowerCase());
    // Compare even without a user, so timing does not reveal registered emails.
    const hash = user?.encrypted_password || DUMMY_HASH;
    const ok = await verifyPassword(d.cryptPool, password, hash);
    if (!user || !ok || !user.encrypted_password) throw E.invalidCredentials();
    if (isBanned(user)) throw new AuthError(400, 'user_banned', 'User is banned');
    if (!user.email_confirmed_at && !d.settings.autoconfirm) throw E.emailNotConfirmed();
    const session = await transaction(d.pool, async (tx) => {
      await audit(tx, 'login', user, { provider: 'email' });
      return createSession(tx, d.iss, user, 'password', reqInfo(c));
    });
    // token.go: a password that no longer meets the rules still signs in, flagged so the app
    // can ask for a new one (auth-js hands it over as data.weak_password).
    try {
      checkPassword(d.settings, password);
    } catch (err) {
      if (err instanceof AuthError && err.code === 'weak_password') {
        return { ...session, weak_password: { reasons: (err.extra.weak_password as { reasons: string[] }).reasons, message: err.message } };
      }
    }
    return session;
  };

  /** Refresh-token rotation with reuse detection, as supabase/auth internal/tokens/service.go. */
  const refreshGrant = async (b: Body) => {
    const token = str(b, 'refresh_token', 512);
    if (!token) throw E.validation('refresh_token required');
    return transaction(d.pool, async (tx) => {
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
        } else if (Date.now() > new Date(rt.updated_at).getTime() + d.settings.reuseInterval * 1000) {
          if (d.settings.rotation) {
            await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false', [rt.session_id]);
          }
          throw new CommitWithError(E.refreshAlreadyUsed());
        }
      }
      await audit(tx, 'token_refreshed', user);
      if (!issued) {
        if (d.settings.rotation) {
          await tx.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [rt.id]);
          issued = await insertRefreshToken(tx, user.id, rt.session_id, rt.token);
        } else issued = rt.token as string;
      }
      await tx.query('update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1', [rt.session_id]);
      return tokenResponse(tx, d.iss, user.id, rt.session_id, issued!, 'token_refresh');
    });
  };

  const pkceGrant = async (c: Context<Env>, b: Body) => {
    const code = str(b, 'auth_code', 512);
    const verifier = str(b, 'code_verifier', 512);
    if (!code || !verifier) throw E.validation('invalid request: both auth code and code verifier should be non-empty');
    return transaction(d.pool, async (tx) => {
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
      return createSession(tx, d.iss, user, flow.authentication_method as AuthMethod, reqInfo(c));
    });
  };

  app.post('/token', async (c) => {
    const grant = c.req.query('grant_type');
    d.limit('token', c.req.raw);
    const b = c.get('body');
    if (grant === 'password') return c.json(await passwordGrant(c, b));
    if (grant === 'refresh_token') return c.json(await refreshGrant(b));
    if (grant === 'pkce') return c.json(await pkceGrant(c, b));
    // Grants Lintel does not offer answer as GoTrue does with the provider switched off.
    if (grant === 'id_token') {
      const provider = str(b, 'provider', 256) ?? str(b, 'issuer', 2048) ?? '';
      throw new AuthError(400, 'provider_disabled', `Provider (issuer "${provider}") is not enabled`);
    }
    if (grant === 'web3') throw new AuthError(400, 'web3_provider_disabled', 'Web3 provider is disabled');
    throw E.unsupportedGrant();
  });

  // SAML SSO is not offered: requireSAMLEnabled's answer.
  app.post('/sso', () => {
    throw new AuthError(404, 'saml_provider_disabled', 'SAML 2.0 is disabled');
  });
}

import type { Context } from 'hono';
import type pg from 'pg';
import { readCredential, type BearerRule } from '../bearer.ts';
import { JwtError, type createJwtVerifier } from '../jwt.ts';
import { E } from './errors.ts';
import type { Env } from './request.ts';
import { findUserById, type UserRow } from './store.ts';

/** Routes for a signed-in user read `Authorization` only (GoTrue requireAuthentication). */
const GOTRUE_USER_BEARER: BearerRule = { scheme: 'gotrue', apikey: 'never' };
/** Admin routes also take the secret key as `apikey` when no bearer token came. */
const GOTRUE_ADMIN_BEARER: BearerRule = { scheme: 'gotrue', apikey: 'without-bearer' };

/** A signed-in caller: the verified claims, the user, and the session when the token names one. */
export interface Authenticated {
  claims: Record<string, any>;
  user: UserRow;
  session?: Record<string, any>;
}

/** What the guards check tokens and sessions against. */
export interface GuardDeps {
  pool: pg.Pool;
  verify: ReturnType<typeof createJwtVerifier>;
  /** The opaque secret API key, which admin routes accept in place of a service_role JWT. */
  secretKey: string;
}

/** The two checks routes start with: a signed-in user, or an admin. */
export interface Guards {
  /** Bearer token → verified claims, user and session (GoTrue requireAuthentication). */
  authenticate(c: Context<Env>): Promise<Authenticated>;
  /** Admin routes accept the service role (or supabase_admin) JWT, or the secret API key. */
  requireAdmin(c: Context<Env>): Promise<void>;
}

/** Builds the guards over the auth pool and the service's token check. */
export function createGuards(d: GuardDeps): Guards {
  return {
    async authenticate(c) {
      const cred = readCredential(c.req.header('authorization'), null, GOTRUE_USER_BEARER);
      if (cred.from === 'none') throw E.noAuthorization();
      let claims: Record<string, any>;
      try {
        claims = (await d.verify(cred.token)) as Record<string, any>;
      } catch (err) {
        if (err instanceof JwtError) {
          if (err.reason === 'expired') throw E.badJwt('token is expired');
          throw E.badJwt(err.message);
        }
        throw err;
      }
      if (typeof claims.sub !== 'string' || !claims.sub) throw E.badJwt('invalid claim: missing sub claim');
      const user = await findUserById(d.pool, claims.sub);
      if (!user) throw E.userNotFoundFromJwt();
      let session: Record<string, any> | undefined;
      if (typeof claims.session_id === 'string' && claims.session_id) {
        const { rows } = await d.pool.query('select * from auth.sessions where id = $1', [
          /^[0-9a-f-]{36}$/i.test(claims.session_id) ? claims.session_id : '00000000-0000-0000-0000-000000000000',
        ]);
        session = rows[0];
        if (!session) throw E.sessionNotFound();
      }
      c.set('claims', claims);
      c.set('user', user);
      if (session) c.set('session', session);
      return { claims, user, session };
    },

    async requireAdmin(c) {
      const cred = readCredential(c.req.header('authorization'), c.req.header('apikey'), GOTRUE_ADMIN_BEARER);
      if (cred.from !== 'none' && cred.token === d.secretKey) return;
      if (cred.from !== 'authorization') throw E.noAuthorization();
      let claims: Record<string, any>;
      try {
        claims = (await d.verify(cred.token)) as Record<string, any>;
      } catch (err) {
        if (err instanceof JwtError) throw E.badJwt(err.message);
        throw err;
      }
      if (claims.role !== 'service_role' && claims.role !== 'supabase_admin') throw E.notAdmin();
    },
  };
}

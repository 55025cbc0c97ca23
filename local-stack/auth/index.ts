import { Hono } from 'hono';
import pg from 'pg';
import { createJwtVerifier, loadSigningKeys, publicJwks, type SigningKey } from '../jwt.ts';
import type { MountedService, ServiceContext } from '../service.ts';
import { adminRoutes } from './admin.ts';
import { AuthError, E, errorResponse } from './errors.ts';
import { tokenRoutes } from './grants.ts';
import { createGuards } from './guards.ts';
import { healthRoutes } from './health.ts';
import { authLimits, limitClient, type LimitName } from './limits.ts';
import { createMailer } from './mailer.ts';
import { factorRoutes } from './mfa.ts';
import { otpRoutes } from './otp.ts';
import { parseBody, str, type Env } from './request.ts';
import { authSettings, type AuthSettings } from './settings.ts';
import { signupRoutes } from './signup.ts';
import { createPool } from './store.ts';
import { accessToken, type Issuer } from './tokens.ts';
import { userRoutes } from './user.ts';

export const PREFIX = '/auth/v1';
/**
 * GoTrue's CORS handler (internal/api/api.go, rs/cors) exposes these to a browser, so
 * supabase-js can read X-Supabase-Api-Version and with it the error body's `code`
 * (invalid_credentials, weak_password, ...) instead of falling back to the legacy shape.
 */
const EXPOSED_HEADERS = 'X-Total-Count, Link, X-Supabase-Api-Version';

export interface AuthOptions {
  /** An `[auth]`-shaped table overlaid on config.toml's (tests: hook on, signup off, ...). */
  overrides?: Record<string, unknown>;
}

/**
 * Supabase Auth (GoTrue) on `/auth/v1`: the routes supabase-js and @supabase/ssr use, one
 * route group per area as supabase/auth internal/api splits them, composed here.
 */
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

  const limits = authLimits(settings.rateLimits);
  const limit = (name: LimitName, req: Request) => limitClient(limits.perClient[name], req);
  const mailer = createMailer({ settings, outbox: ctx.mail, emailLimit: limits.email });
  const { authenticate, requireAdmin } = createGuards({ pool, verify, secretKey: ctx.config.keys.secretKey });

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
  app.use('*', parseBody);

  healthRoutes(app, { settings, jwks });
  signupRoutes(app, { pool, cryptPool, iss, settings, mailer, limit });
  tokenRoutes(app, { pool, cryptPool, iss, settings, limit });
  userRoutes(app, { pool, cryptPool, settings, mailer, limit, authenticate });
  otpRoutes(app, { pool, cryptPool, settings, mailer, limit });
  adminRoutes(app, { pool, cryptPool, settings, mailer, requireAdmin });
  factorRoutes(app, { pool, iss, settings, authenticate, limitMfa: (req) => limit('mfa', req), str });

  return {
    name: 'auth',
    prefix: PREFIX,
    fetch: async (req, rctx) => {
      rctx.log.service = 'auth';
      const res = await app.fetch(req);
      if (req.headers.has('origin')) res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
      return res;
    },
    async stop() {
      await Promise.all([pool.end(), cryptPool.end()]);
    },
  };
}

export { renderTemplate } from './mailer.ts';
export type { AuthSettings };
export { accessToken };

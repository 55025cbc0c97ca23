import type { JWTPayload } from 'jose';
import { JwtError } from '../jwt.ts';
import type { StackConfig } from '../config.ts';
import type { ServiceContext } from '../service.ts';
import { ERRORS } from './errors.ts';

/** Who a request acts as: the verified claims, or none (an anonymous request on a route that allows it). */
export interface Caller {
  /** The Postgres role the SQL runs as (`role` claim, anon when unauthenticated). */
  role: string;
  claims: JWTPayload & { role?: string };
  /** `sub`, recorded as the object's owner. */
  sub?: string;
  /** The raw token (`request.jwt`). */
  jwt: string;
  /** False when no valid token came with the request. */
  authenticated: boolean;
}

const BEARER = /^Bearer\s+/i;

/**
 * Supabase's gateway adds `Authorization` from `apikey` when the request has none, turning the
 * opaque `sb_publishable_…` / `sb_secret_…` keys into the anon / service_role JWTs (the CLI's
 * kong.yml `request-transformer` with its BearerToken expression). Storage itself then only
 * reads `Authorization`.
 */
export function bearerToken(headers: Headers, config: StackConfig): string {
  const keyToJwt = (key: string) =>
    key === config.keys.secretKey ? config.keys.serviceRoleKey : key === config.keys.publishableKey ? config.keys.anonKey : key;
  const auth = headers.get('authorization');
  if (auth) {
    const token = auth.replace(BEARER, '');
    return token.startsWith('sb_') ? keyToJwt(token) : token;
  }
  const apikey = headers.get('apikey');
  return apikey ? keyToJwt(apikey) : '';
}

/**
 * The jwt plugin of supabase/storage: verify the bearer token; on failure either refuse with
 * AccessDenied and jose's message (an empty token reads "Invalid Compact JWS") or, on routes
 * that serve public buckets too, continue as anon.
 */
export async function resolveCaller(
  headers: Headers,
  ctx: ServiceContext,
  opts: { allowAnonymous?: boolean } = {},
): Promise<Caller> {
  const jwt = bearerToken(headers, ctx.config);
  const anonymous: Caller = { role: 'anon', claims: { role: 'anon' }, jwt: '', authenticated: false };
  if (!jwt) {
    if (opts.allowAnonymous) return anonymous;
    throw ERRORS.accessDenied('Invalid Compact JWS');
  }
  try {
    const claims = (await ctx.verifyJwt(jwt)) as Caller['claims'];
    const role = typeof claims.role === 'string' && claims.role ? claims.role : 'anon';
    return { role, claims, sub: typeof claims.sub === 'string' ? claims.sub : undefined, jwt, authenticated: true };
  } catch (err) {
    if (opts.allowAnonymous) return anonymous;
    throw ERRORS.accessDenied(joseMessage(err));
  }
}

/** The messages jose (which supabase/storage verifies with) gives for each failure. */
function joseMessage(err: unknown): string {
  if (!(err instanceof JwtError)) return 'Invalid JWT';
  switch (err.reason) {
    case 'expired':
      return '"exp" claim timestamp check failed';
    case 'bad-signature':
      return 'signature verification failed';
    case 'malformed':
      return 'Invalid Compact JWS';
    default:
      return err.message;
  }
}

/** Message for a signed-URL token that failed verification (ERRORS.InvalidJWT(err)). */
export function tokenFailureMessage(err: unknown): string {
  return joseMessage(err);
}

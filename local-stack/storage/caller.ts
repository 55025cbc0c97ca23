import type { JWTPayload } from 'jose';
import { opaqueKeyAsJwt, readCredential, type BearerRule } from '../bearer.ts';
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

/** Kong copies `apikey` into `Authorization` when the request has none. */
const STORAGE_BEARER: BearerRule = { scheme: 'kong', apikey: 'without-bearer' };

/**
 * Supabase's gateway adds `Authorization` from `apikey` when the request has none, turning the
 * opaque `sb_publishable_…` / `sb_secret_…` keys into the anon / service_role JWTs (the CLI's
 * kong.yml `request-transformer` with its BearerToken expression). Storage itself then only
 * reads `Authorization`.
 */
export function bearerToken(headers: Headers, config: StackConfig): string {
  const cred = readCredential(headers.get('authorization'), headers.get('apikey'), STORAGE_BEARER);
  return cred.from === 'none' ? '' : opaqueKeyAsJwt(cred.token, config.keys);
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

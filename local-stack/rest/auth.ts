import { readCredential, type BearerRule } from '../bearer.ts';
import type { StackConfig } from '../config.ts';
import { JwtError, type createJwtVerifier } from '../jwt.ts';
import type { RestConfig } from './config.ts';
import { ApiError } from './errors.ts';

/** Kong copies `apikey` into `Authorization` when the request has no bearer token. */
const POSTGREST_BEARER: BearerRule = { scheme: 'postgrest', apikey: 'without-bearer' };
/** Verified tokens kept at most this long (and never past their `exp`); the cache's size bound. */
const JWT_CACHE_SECONDS = 300;
const JWT_CACHE_SIZE = 1000;

/** Who the request runs as: the database role and the claims PostgREST hands to Postgres. */
export interface Auth {
  role: string;
  claims: Record<string, unknown>;
  authed: boolean;
}

/** What the authenticator checks tokens against. */
export interface AuthDeps {
  keys: StackConfig['keys'];
  verifyJwt: ReturnType<typeof createJwtVerifier>;
}

/** PostgREST's auth step: the bearer token (or apikey) → role and claims, anon without one. */
export type Authenticate = (req: Request, config: RestConfig) => Promise<Auth>;

/** Builds the authenticator with its own JWT cache (PostgREST's), bounded, oldest dropped first. */
export function createAuthenticator(d: AuthDeps): Authenticate {
  const jwtCache = new Map<string, { claims: Record<string, unknown>; exp: number }>();

  const verifyCached = async (token: string): Promise<Record<string, unknown>> => {
    const now = Date.now() / 1000;
    const hit = jwtCache.get(token);
    if (hit && hit.exp > now) return hit.claims;
    const claims = (await d.verifyJwt(token)) as Record<string, unknown>;
    const exp = typeof claims.exp === 'number' ? claims.exp : now + 60;
    if (jwtCache.size >= JWT_CACHE_SIZE) jwtCache.delete(jwtCache.keys().next().value!);
    jwtCache.set(token, { claims, exp: Math.min(exp, now + JWT_CACHE_SECONDS) });
    return claims;
  };

  return async (req, config) => {
    const cred = readCredential(req.headers.get('authorization'), req.headers.get('apikey'), POSTGREST_BEARER);
    if (cred.from === 'none') return { role: config.anonRole, claims: { role: config.anonRole }, authed: false };
    const token = cred.token;
    if (token === '') {
      throw new ApiError(401, 'PGRST301', 'Empty JWT is sent in Authorization header', null, null, {
        'www-authenticate': 'Bearer error="invalid_token", error_description="Empty JWT is sent in Authorization header"',
      });
    }
    // The opaque API keys are not JWTs: the publishable key acts as anon, the secret key as service_role.
    if (token.startsWith('sb_publishable_')) {
      if (token !== d.keys.publishableKey) throw invalidApiKey();
      return { role: config.anonRole, claims: { role: config.anonRole }, authed: false };
    }
    if (token.startsWith('sb_secret_')) {
      if (token !== d.keys.secretKey) throw invalidApiKey();
      return { role: 'service_role', claims: { role: 'service_role' }, authed: true };
    }
    try {
      const claims = await verifyCached(token);
      const role = typeof claims.role === 'string' && claims.role ? claims.role : config.anonRole;
      return { role, claims: { ...claims, role }, authed: role !== config.anonRole };
    } catch (err) {
      if (err instanceof JwtError) throw jwtError(err);
      throw err;
    }
  };
}

const invalidApiKey = () =>
  new ApiError(401, 'PGRST301', 'Invalid API key', null, 'Double check your Supabase `anon` or `service_role` API key.', {
    'www-authenticate': 'Bearer error="invalid_token", error_description="Invalid API key"',
  });

/** JwtError → PostgREST's PGRST301 (cannot decode) / PGRST303 (claims) with WWW-Authenticate. */
function jwtError(err: JwtError): ApiError {
  let code = 'PGRST301';
  let message: string;
  let details: string | null = null;
  switch (err.reason) {
    case 'expired':
      code = 'PGRST303';
      message = 'JWT expired';
      break;
    case 'invalid-claims':
      code = 'PGRST303';
      message = /nbf/.test(err.message) ? 'JWT not yet valid' : /iat/.test(err.message) ? 'JWT issued at future' : /aud/.test(err.message) ? 'JWT not in audience' : 'Parsing claims failed';
      break;
    case 'bad-signature':
      message = 'JWT cryptographic operation failed';
      break;
    case 'unsupported-alg':
      message = 'Wrong or unsupported encoding algorithm';
      details = err.message;
      break;
    default:
      message = /^Expected 3 parts/.test(err.message) ? err.message : 'JWT cryptographic operation failed';
  }
  return new ApiError(401, code, message, details, null, {
    'www-authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });
}

import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';

/** Why a token was refused; each service maps these to its upstream's status and body. */
export type JwtFailure = 'malformed' | 'expired' | 'bad-signature' | 'unsupported-alg' | 'invalid-claims';

export class JwtError extends Error {
  constructor(
    readonly reason: JwtFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface JwtKeys {
  /** The project's HS256 secret (the CLI's default locally). */
  secret: string;
  /** Public asymmetric keys (ES256/RS256) when configured; published at /.well-known/jwks.json. */
  jwks?: JSONWebKeySet;
}

/**
 * The one token check every service of the stack uses: HS256 with the project secret, or an
 * asymmetric key from the project's JWKS. `alg: none` and unknown algorithms are refused.
 */
export function createJwtVerifier(keys: JwtKeys) {
  const secret = new TextEncoder().encode(keys.secret);
  const jwks = keys.jwks?.keys.length ? createLocalJWKSet(keys.jwks) : undefined;
  return async function verify(token: string): Promise<JWTPayload> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new JwtError('malformed', `Expected 3 parts in JWT; got ${parts.length}`);
    let alg: unknown;
    try {
      alg = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')).alg;
    } catch {
      throw new JwtError('malformed', 'JWT header is not valid base64url JSON');
    }
    try {
      if (alg === 'HS256') return (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload;
      if ((alg === 'ES256' || alg === 'RS256') && jwks) {
        return (await jwtVerify(token, jwks, { algorithms: ['ES256', 'RS256'] })).payload;
      }
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new JwtError('expired', 'JWT expired');
      if (err instanceof errors.JWTClaimValidationFailed) throw new JwtError('invalid-claims', err.message);
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
        throw new JwtError('bad-signature', 'JWT signature does not match');
      }
      throw new JwtError('malformed', (err as Error).message);
    }
    throw new JwtError('unsupported-alg', `JWT algorithm ${String(alg)} is not supported`);
  };
}

/** Signs an HS256 token with the project secret (tests and service-issued tokens). */
export async function signHs256(secret: string, claims: JWTPayload, expiresInSeconds?: number): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (expiresInSeconds !== undefined) jwt = jwt.setIssuedAt().setExpirationTime(`${expiresInSeconds}s`);
  return jwt.sign(new TextEncoder().encode(secret));
}

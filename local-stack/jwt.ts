import { readFileSync } from 'node:fs';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  errors,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';

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

/** A private signing key from the CLI's `signing_keys_path` file (`supabase gen signing-key`). */
export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  /** The public half as published at `/.well-known/jwks.json`. */
  publicJwk: JWK;
}

/**
 * Reads the private JWKs (a JSON array, or `{keys: [...]}`) that the CLI's
 * `[auth] signing_keys_path` names. GoTrue signs with the first key and publishes the public
 * half of each asymmetric one; symmetric (`oct`) entries are never published.
 */
export async function loadSigningKeys(file: string): Promise<SigningKey[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Signing keys file ${file} is not readable JSON: ${(err as Error).message}`);
  }
  const list = (Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown[] })?.keys) as JWK[] | undefined;
  if (!Array.isArray(list)) throw new Error(`Signing keys file ${file} must hold a JSON array of private JWKs.`);
  const out: SigningKey[] = [];
  for (const jwk of list) {
    if (jwk.kty === 'oct') continue;
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256');
    if (alg !== 'ES256' && alg !== 'RS256') throw new Error(`Signing key ${jwk.kid ?? '?'} uses ${alg}; only ES256 and RS256 are supported.`);
    if (!jwk.d) throw new Error(`Signing key ${jwk.kid ?? '?'} has no private part.`);
    const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
    // key_ops as the CLI writes them (["sign","verify"]) are refused by WebCrypto for a private key.
    const { key_ops: _ops, ext: _ext, use: _use, ...material } = jwk;
    const privateKey = (await importJWK({ ...material, alg }, alg)) as CryptoKey;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = material;
    out.push({ kid, alg: alg as SigningKey['alg'], privateKey, publicJwk: { ...pub, kid, alg, use: 'sig', key_ops: ['verify'] } });
  }
  return out;
}

/** The JWKS a verifier needs for the given signing keys. */
export function publicJwks(keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** Signs with the first asymmetric key when there is one (with its `kid`), else HS256. */
export async function signToken(secret: string, keys: SigningKey[], claims: JWTPayload): Promise<string> {
  const key = keys[0];
  if (!key) return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

/** The verifier keys for a stack: its HS256 secret plus the configured asymmetric public keys. */
export async function stackJwtKeys(secret: string, signingKeysPath?: string): Promise<JwtKeys> {
  if (!signingKeysPath) return { secret };
  return { secret, jwks: publicJwks(await loadSigningKeys(signingKeysPath)) };
}

import { JwtError, type createJwtVerifier } from '../jwt.ts';

// Channel tokens as supabase/realtime checks them (realtime_channel.ex confirm_token), and the
// reasons it answers with: shared by the socket's joins and the REST broadcast endpoint.

/** The stack's one token check, as the hub holds it. */
export type Verify = ReturnType<typeof createJwtVerifier>;

/** A failure answered with one of Realtime's `"<Code>: <message>"` reasons. */
export class ChannelError extends Error {}

/** A ChannelError carrying upstream's reason code. */
export function reason(code: string, message: string) {
  return new ChannelError(`${code}: ${message}`);
}

/** A verified channel token's claims. */
export interface Claims extends Record<string, unknown> {
  role?: string;
  sub?: string;
  exp?: number;
}

/**
 * Checks a channel token as `confirm_token/1` does (`realtime_channel.ex`): valid signature,
 * `role` and `exp` present, not expired. Throws the message upstream reports.
 */
export async function confirmToken(verify: Verify, token: string): Promise<Claims> {
  let claims: Claims;
  try {
    claims = (await verify(token.replace(/\s/g, ''))) as Claims;
  } catch (err) {
    if (err instanceof JwtError) {
      if (err.reason === 'expired') {
        const exp = peekExp(token);
        const ago = exp === undefined ? 0 : Math.max(0, Math.floor(Date.now() / 1000) - exp);
        throw Object.assign(new Error(`Token has expired ${ago} seconds ago`), { code: 'expired' });
      }
      if (err.reason === 'bad-signature') throw Object.assign(new Error('Failed to validate JWT signature'), { code: 'signature' });
      throw Object.assign(new Error('The token provided is not a valid JWT'), { code: 'malformed' });
    }
    throw err;
  }
  if (typeof claims.role !== 'string' || typeof claims.exp !== 'number') {
    throw Object.assign(new Error('Fields `role` and `exp` are required in JWT'), { code: 'missing_claims' });
  }
  return claims;
}

function peekExp(token: string): number | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).exp;
  } catch {
    return undefined;
  }
}

/** Realtime's reason for a token failure at join. */
export function joinTokenReason(err: Error & { code?: string }): ChannelError {
  switch (err.code) {
    case 'expired':
    case 'missing_claims':
      return reason('InvalidJWTToken', err.message);
    case 'signature':
      return reason('JwtSignatureError', err.message);
    default:
      return reason('MalformedJWT', 'The token provided is not a valid JWT');
  }
}

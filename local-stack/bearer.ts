import type { StackConfig } from './config.ts';

// The one place a caller's token is read from `Authorization` and `apikey`. Each upstream reads
// them its own way, and clients (and the suites written against Supabase) see the difference
// in edge cases: a lower-case scheme, a missing space, an opaque key as the bearer. So the
// differences are parameters, each named after the upstream behaviour it keeps.

/** How `Authorization` is read. */
export type BearerScheme =
  /**
   * PostgREST's auth middleware: `bearer` in any case, then optional whitespace, then the rest
   * of the header, trimmed. An empty rest is still a bearer token (PostgREST answers it with
   * "Empty JWT is sent in Authorization header").
   */
  | 'postgrest'
  /** GoTrue's requireAuthentication: `bearer` in any case, whitespace, then one whitespace-free token ending the header. */
  | 'gotrue'
  /**
   * The edge runtime's main service (the CLI's `getAuthToken`): split on single spaces, the
   * first part exactly `Bearer`, the second the token. An empty second part is no token here;
   * upstream passes it on and fails verifying it (401 either way, another message).
   */
  | 'edge-runtime'
  /**
   * The CLI's Kong in front of Storage and Realtime, which forwards `Authorization` as it came:
   * a leading `Bearer ` (any case) is dropped and any other value is taken whole as the token.
   */
  | 'kong';

/** When `apikey` stands in for the bearer token. */
export type ApikeyFallback =
  /** Never: GoTrue's user routes and the edge runtime read `Authorization` only. */
  | 'never'
  /**
   * When `Authorization` gave no token: Kong copies `apikey` into it for PostgREST and Storage,
   * and GoTrue's admin routes take the secret key as `apikey`.
   */
  | 'without-bearer'
  /**
   * Also when the token is empty or an opaque `sb_` key: the CLI's Kong expression for Realtime
   * keeps `Authorization` only when it does not start with `Bearer sb_`.
   */
  | 'without-jwt-bearer';

/** What a request presented: a token and where it came from, or why there is none. */
export type Credential =
  | { readonly from: 'authorization' | 'apikey'; readonly token: string }
  | { readonly from: 'none'; readonly authorization: 'absent' | 'not-bearer' };

/** One service's rule for reading its caller's token. */
export interface BearerRule {
  readonly scheme: BearerScheme;
  readonly apikey: ApikeyFallback;
}

const POSTGREST = /^bearer\s*(.*)$/i;
const GOTRUE = /^bearer\s+(\S+)$/i;
const KONG_PREFIX = /^Bearer\s+/i;

/** The token in an `Authorization` value by `scheme`, or undefined when it holds none. */
function fromAuthorization(header: string, scheme: BearerScheme): string | undefined {
  switch (scheme) {
    case 'postgrest': {
      const m = POSTGREST.exec(header.trim());
      return m ? m[1]!.trim() : undefined;
    }
    case 'gotrue':
      return GOTRUE.exec(header)?.[1];
    case 'edge-runtime': {
      const [word, token] = header.split(' ');
      return word === 'Bearer' && token ? token : undefined;
    }
    case 'kong':
      return header.replace(KONG_PREFIX, '');
  }
}

/** Reads a request's token from its `Authorization` and `apikey` header values by one service's rule. */
export function readCredential(authorization: string | null | undefined, apikey: string | null | undefined, rule: BearerRule): Credential {
  // An empty header is as good as none for every upstream here (Headers.get gives '' for one).
  const present = rule.scheme === 'postgrest' || rule.scheme === 'gotrue' ? authorization != null : !!authorization;
  const token = present ? fromAuthorization(authorization!, rule.scheme) : undefined;
  const fallback =
    rule.apikey === 'without-bearer'
      ? token === undefined
      : rule.apikey === 'without-jwt-bearer'
        ? !token || token.startsWith('sb_')
        : false;
  if (!fallback && token !== undefined) return { from: 'authorization', token };
  if (fallback && apikey) return { from: 'apikey', token: apikey };
  return { from: 'none', authorization: present ? 'not-bearer' : 'absent' };
}

/**
 * The JWT an opaque API key stands for, as the CLI's Kong swaps `sb_publishable_…` for the anon
 * key and `sb_secret_…` for the service_role key; anything else is returned as it is.
 */
export function opaqueKeyAsJwt(key: string, keys: StackConfig['keys']): string {
  return key === keys.publishableKey ? keys.anonKey : key === keys.secretKey ? keys.serviceRoleKey : key;
}

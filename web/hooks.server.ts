import { redirect, type Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { routeAccess } from '$lib/auth/access.ts';
import { toClaims, type Claims } from '$lib/auth/claims.ts';
import { serverClient } from '$lib/supabase/server.ts';

/** locals.supabase for this request, and a claims check that asks Auth to verify the token. */
const supabase: Handle = async ({ event, resolve }) => {
  event.locals.supabase = serverClient(event.cookies, event.fetch);
  let verified: Promise<Claims | null> | undefined;
  event.locals.getClaims = () => {
    // getClaims verifies the JWT: locally against the JWKS for asymmetric keys, or by asking
    // Auth (as getUser does) for a shared secret. Once per request.
    verified ??= event.locals.supabase.auth
      .getClaims()
      .then(({ data, error }) => (error || !data ? null : toClaims(data.claims as Record<string, unknown>)))
      .catch(() => null);
    return verified;
  };
  return resolve(event, {
    // supabase-js reads these from responses it fetched during SSR.
    filterSerializedResponseHeaders: (name) => name === 'content-range' || name === 'x-supabase-api-version',
  });
};

/** Staff into /app, residents into /portal, everyone else to sign-in with a way back. */
const authGuard: Handle = async ({ event, resolve }) => {
  const claims = await event.locals.getClaims();
  const access = routeAccess(event.url.pathname, event.url.search, claims);
  if (!access.allow) redirect(303, access.redirect);
  return resolve(event);
};

export const handle = sequence(supabase, authGuard);

import { redirect } from '@sveltejs/kit';
import { safeNext } from '$lib/auth/access.ts';
import type { RequestHandler } from './$types';

/**
 * Where Auth's email links land (sign-up confirmation, magic link, password reset): the PKCE
 * code becomes a session in this browser's cookies, then the visitor continues to `next`.
 */
export const GET: RequestHandler = async ({ url, locals }) => {
  const next = safeNext(url.searchParams.get('next'));
  const code = url.searchParams.get('code');
  if (code) {
    const { error } = await locals.supabase.auth.exchangeCodeForSession(code);
    if (!error) redirect(303, next);
  }
  // An expired or reused link, or one opened in another browser: the email may be confirmed
  // already, so signing in is the way on.
  redirect(303, `/sign-in?notice=link&next=${encodeURIComponent(next)}`);
};

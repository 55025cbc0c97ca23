import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, cookies, depends }) => {
  // Re-run after a sign-in, sign-out or token refresh (invalidate('supabase:auth')).
  depends('supabase:auth');
  return { claims: await locals.getClaims(), cookies: cookies.getAll() };
};

import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

/** Signs out without JavaScript too (a plain form POST). */
export const POST: RequestHandler = async ({ locals }) => {
  await locals.supabase.auth.signOut();
  redirect(303, '/sign-in');
};

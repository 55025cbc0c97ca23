import { isBrowser } from '@supabase/ssr';
import { browserClient } from '$lib/supabase/browser.ts';
import { ssrClient } from '$lib/supabase/server.ts';
import type { LayoutLoad } from './$types';

export const load: LayoutLoad = async ({ data, depends, fetch }) => {
  depends('supabase:auth');
  // The browser keeps one client; server rendering gets one per request from its cookies.
  const supabase = isBrowser() ? browserClient(fetch) : ssrClient(data.cookies, fetch);
  return { supabase, claims: data.claims };
};

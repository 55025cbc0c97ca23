import { lookupInvitation, type InvitationPreview } from '$lib/data/team.ts';
import type { PageLoad } from './$types';

/** Where the link leads (org, role, invited email), read with the token before anyone signs in. */
export const load: PageLoad = async ({ parent, params }) => {
  const { supabase } = await parent();
  let invitation: InvitationPreview | null = null;
  let failed = false;
  try {
    invitation = await lookupInvitation(supabase, params.token);
  } catch {
    failed = true;
  }
  return { token: params.token, invitation, failed };
};

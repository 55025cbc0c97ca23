import { queryOptions } from '@tanstack/svelte-query';
import { listInvitations, listMembers } from '$lib/data/team.ts';
import type { Client } from '$lib/supabase/types.ts';
import { keys } from './keys.ts';

/** Keyed under 'team': a memberships broadcast refetches it. */
export const teamMembers = (client: Client, orgId: string) =>
  queryOptions({ queryKey: keys.list(orgId, 'team', 'members'), queryFn: () => listMembers(client), staleTime: 60_000 });

export const invitationList = (client: Client, orgId: string) =>
  queryOptions({ queryKey: keys.list(orgId, 'invitations', 'all'), queryFn: () => listInvitations(client, orgId) });

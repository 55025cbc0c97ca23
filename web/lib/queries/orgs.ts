import { queryOptions } from '@tanstack/svelte-query';
import { getOrganization, myOrganizations } from '$lib/data/orgs.ts';
import type { Client } from '$lib/supabase/types.ts';
import { keys } from './keys.ts';

export const currentOrg = (client: Client, orgId: string) =>
  queryOptions({ queryKey: keys.entity(orgId, 'org'), queryFn: () => getOrganization(client, orgId), staleTime: 60_000 });

/** Not keyed by org: the same list whichever org is active. */
export const myOrgs = (client: Client, userId: string) =>
  queryOptions({ queryKey: ['user', userId, 'orgs'], queryFn: () => myOrganizations(client), staleTime: 60_000 });

import { keepPreviousData, queryOptions } from '@tanstack/svelte-query';
import { getResident, listResidents, residentLeases, residentOptions } from '$lib/data/residents.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { TableState } from '$lib/table/state.ts';
import { keys } from './keys.ts';

export const residentsList = (client: Client, orgId: string, s: TableState) =>
  queryOptions({ queryKey: keys.list(orgId, 'residents', s), queryFn: () => listResidents(client, orgId, s), placeholderData: keepPreviousData });

export const residentDetail = (client: Client, orgId: string, id: string) =>
  queryOptions({ queryKey: keys.detail(orgId, 'residents', id), queryFn: () => getResident(client, orgId, id) });

export const residentLeaseHistory = (client: Client, orgId: string, residentId: string) =>
  queryOptions({ queryKey: [...keys.entity(orgId, 'leases'), 'resident', residentId] as const, queryFn: () => residentLeases(client, orgId, residentId) });

export const residentChoices = (client: Client, orgId: string, term: string) =>
  queryOptions({ queryKey: [...keys.options(orgId, 'residents'), term] as const, queryFn: () => residentOptions(client, orgId, term), staleTime: 30_000 });

import { keepPreviousData, queryOptions } from '@tanstack/svelte-query';
import { getUnit, listUnits, unitLeases, unitOptions } from '$lib/data/units.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { TableState } from '$lib/table/state.ts';
import { keys } from './keys.ts';

export const unitsList = (client: Client, orgId: string, s: TableState) =>
  queryOptions({ queryKey: keys.list(orgId, 'units', s), queryFn: () => listUnits(client, orgId, s), placeholderData: keepPreviousData });

export const unitDetail = (client: Client, orgId: string, id: string) =>
  queryOptions({ queryKey: keys.detail(orgId, 'units', id), queryFn: () => getUnit(client, orgId, id) });

/** A unit's leases live under 'leases', so a lease change refetches them. */
export const unitLeaseHistory = (client: Client, orgId: string, unitId: string) =>
  queryOptions({ queryKey: [...keys.entity(orgId, 'leases'), 'unit', unitId] as const, queryFn: () => unitLeases(client, orgId, unitId) });

export const unitChoices = (client: Client, orgId: string, term: string) =>
  queryOptions({ queryKey: [...keys.options(orgId, 'units'), term] as const, queryFn: () => unitOptions(client, orgId, term), staleTime: 30_000 });

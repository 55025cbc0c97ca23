import { keepPreviousData, queryOptions } from '@tanstack/svelte-query';
import { getLease, leaseLedger, listLeases } from '$lib/data/leases.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { TableState } from '$lib/table/state.ts';
import { keys } from './keys.ts';

export const leasesList = (client: Client, orgId: string, s: TableState) =>
  queryOptions({ queryKey: keys.list(orgId, 'leases', s), queryFn: () => listLeases(client, orgId, s), placeholderData: keepPreviousData });

export const leaseDetail = (client: Client, orgId: string, id: string) =>
  queryOptions({ queryKey: keys.detail(orgId, 'leases', id), queryFn: () => getLease(client, orgId, id) });

export const leaseLedgerEntries = (client: Client, orgId: string, leaseId: string) =>
  queryOptions({ queryKey: [...keys.entity(orgId, 'ledger'), 'lease', leaseId] as const, queryFn: () => leaseLedger(client, orgId, leaseId) });

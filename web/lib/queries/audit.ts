import { keepPreviousData, queryOptions } from '@tanstack/svelte-query';
import { listAudit } from '$lib/data/audit.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { TableState } from '$lib/table/state.ts';
import { keys } from './keys.ts';

export const auditList = (client: Client, orgId: string, s: TableState, timezone: string) =>
  queryOptions({
    queryKey: keys.list(orgId, 'audit', { ...s, timezone }),
    queryFn: () => listAudit(client, orgId, s, timezone),
    placeholderData: keepPreviousData,
  });

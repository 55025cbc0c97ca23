import { keepPreviousData, queryOptions } from '@tanstack/svelte-query';
import { getProperty, listProperties, propertyOptions } from '$lib/data/properties.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { TableState } from '$lib/table/state.ts';
import { keys } from './keys.ts';

export const propertiesList = (client: Client, orgId: string, s: TableState) =>
  queryOptions({
    queryKey: keys.list(orgId, 'properties', s),
    queryFn: () => listProperties(client, orgId, s),
    placeholderData: keepPreviousData,
  });

export const propertyDetail = (client: Client, orgId: string, id: string) =>
  queryOptions({ queryKey: keys.detail(orgId, 'properties', id), queryFn: () => getProperty(client, orgId, id) });

export const propertyChoices = (client: Client, orgId: string) =>
  queryOptions({ queryKey: keys.options(orgId, 'properties'), queryFn: () => propertyOptions(client, orgId), staleTime: 60_000 });

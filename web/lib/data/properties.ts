import type { Tables } from '$lib/database.types.ts';
import type { PropertyInput } from '$lib/schemas/property.ts';
import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import { searchFilter, type Page } from './filters.ts';

export type Property = Tables<'properties'>;
export type PropertyRow = Tables<'property_directory'>;

export const PROPERTY_LIST = {
  sort: 'name',
  sortable: ['name', 'city', 'unit_count', 'occupied_count', 'created_at'],
  filters: [],
} as const;

/** A page of the Properties list: search by name, address or city; sort by any listed column. */
export async function listProperties(client: Client, orgId: string, s: TableState): Promise<Page<PropertyRow>> {
  let q = client.from('property_directory').select('*', { count: 'exact' }).eq('org_id', orgId);
  if (s.q) q = q.or(searchFilter(['name', 'address_line1', 'city', 'postal_code'], s.q));
  const [from, to] = pageRange(s);
  const { data, error, count } = await q.order(s.sort, { ascending: s.dir === 'asc' }).order('id').range(from, to);
  if (error) throw error;
  return { rows: data ?? [], total: count ?? 0 };
}

/** One property of the org, or null when it does not exist (or is another org's). */
export async function getProperty(client: Client, orgId: string, id: string): Promise<PropertyRow | null> {
  const { data, error } = await client.from('property_directory').select('*').eq('org_id', orgId).eq('id', id).maybeSingle();
  if (error) throw error;
  return data;
}

/** Every property's id and name, for pickers. */
export async function propertyOptions(client: Client, orgId: string): Promise<{ id: string; name: string }[]> {
  const { data, error } = await client.from('properties').select('id, name').eq('org_id', orgId).order('name').limit(1000);
  if (error) throw error;
  return data ?? [];
}

export async function createProperty(client: Client, orgId: string, input: PropertyInput): Promise<Property> {
  const { data, error } = await client.from('properties').insert({ ...input, org_id: orgId }).select('*').single();
  if (error) throw error;
  return data;
}

export async function updateProperty(client: Client, orgId: string, id: string, input: PropertyInput): Promise<Property> {
  const { data, error } = await client.from('properties').update(input).eq('org_id', orgId).eq('id', id).select('*').single();
  if (error) throw error;
  return data;
}

export async function deleteProperty(client: Client, orgId: string, id: string): Promise<void> {
  const { error } = await client.from('properties').delete().eq('org_id', orgId).eq('id', id);
  if (error) throw error;
}

import type { Tables } from '$lib/database.types.ts';
import type { ResidentInput } from '$lib/schemas/resident.ts';
import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import { searchFilter, type Page } from './filters.ts';
import type { LeaseRow } from './leases.ts';

export type Resident = Tables<'residents'>;
export type ResidentRow = Tables<'resident_directory'>;

export const RESIDENT_LIST = {
  sort: 'full_name',
  sortable: ['full_name', 'email', 'property_name', 'balance_minor', 'created_at'],
  filters: [],
} as const;

/** A page of the Residents list: search by name, email or phone. */
export async function listResidents(client: Client, orgId: string, s: TableState): Promise<Page<ResidentRow>> {
  let q = client.from('resident_directory').select('*', { count: 'exact' }).eq('org_id', orgId);
  if (s.q) q = q.or(searchFilter(['full_name', 'email', 'phone'], s.q));
  const [from, to] = pageRange(s);
  const { data, error, count } = await q.order(s.sort, { ascending: s.dir === 'asc', nullsFirst: false }).order('id').range(from, to);
  if (error) throw error;
  return { rows: data ?? [], total: count ?? 0 };
}

/** One resident of the org, or null when it does not exist (or is another org's). */
export async function getResident(client: Client, orgId: string, id: string): Promise<ResidentRow | null> {
  const { data, error } = await client.from('resident_directory').select('*').eq('org_id', orgId).eq('id', id).maybeSingle();
  if (error) throw error;
  return data;
}

export interface ResidentOption {
  id: string;
  full_name: string;
  email: string | null;
}

/** Residents matching `term` by name or email, for pickers. */
export async function residentOptions(client: Client, orgId: string, term: string): Promise<ResidentOption[]> {
  let q = client.from('residents').select('id, full_name, email').eq('org_id', orgId);
  if (term.trim()) q = q.or(searchFilter(['full_name', 'email'], term.trim()));
  const { data, error } = await q.order('full_name').limit(50);
  if (error) throw error;
  return data ?? [];
}

/** Every lease the resident is on, newest first. */
export async function residentLeases(client: Client, orgId: string, residentId: string): Promise<LeaseRow[]> {
  const { data, error } = await client
    .from('lease_directory')
    .select('*')
    .eq('org_id', orgId)
    .contains('resident_ids', [residentId])
    .order('start_date', { ascending: false })
    .limit(100);
  if (error) throw error;
  return data ?? [];
}

export async function createResident(client: Client, orgId: string, input: ResidentInput): Promise<Resident> {
  const { data, error } = await client.from('residents').insert({ ...input, org_id: orgId }).select('*').single();
  if (error) throw error;
  return data;
}

export async function updateResident(client: Client, orgId: string, id: string, input: ResidentInput): Promise<Resident> {
  const { data, error } = await client.from('residents').update(input).eq('org_id', orgId).eq('id', id).select('*').single();
  if (error) throw error;
  return data;
}

/** Refused by the database while the resident is on a lease (lease_residents_org_id_resident_id_fkey). */
export async function deleteResident(client: Client, orgId: string, id: string): Promise<void> {
  const { error } = await client.from('residents').delete().eq('org_id', orgId).eq('id', id);
  if (error) throw error;
}

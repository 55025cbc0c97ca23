import type { Tables, TablesInsert } from '$lib/database.types.ts';
import type { UnitInput } from '$lib/schemas/unit.ts';
import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import { searchFilter, type Page } from './filters.ts';
import type { LeaseRow } from './leases.ts';

export type Unit = Tables<'units'>;
export type UnitRow = Tables<'unit_directory'>;
export type UnitStatus = 'vacant' | 'occupied' | 'notice';

export const UNIT_STATUSES: readonly UnitStatus[] = ['vacant', 'occupied', 'notice'];

export const UNIT_LIST = {
  sort: 'label',
  sortable: ['label', 'property_name', 'status', 'bedrooms', 'square_feet', 'market_rent_minor', 'rent_minor', 'lease_end_date'],
  filters: ['status', 'property'],
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page of the Units list: search by label, property or resident; filter by status and property. */
export async function listUnits(client: Client, orgId: string, s: TableState): Promise<Page<UnitRow>> {
  let q = client.from('unit_directory').select('*', { count: 'exact' }).eq('org_id', orgId);
  if (s.q) q = q.or(searchFilter(['label', 'property_name', 'resident_names'], s.q));
  const status = s.filters.status;
  if (status && (UNIT_STATUSES as readonly string[]).includes(status)) q = q.eq('status', status);
  // A malformed id in a shared URL matches nothing rather than failing the page.
  const property = s.filters.property;
  if (property) q = UUID.test(property) ? q.eq('property_id', property) : q.eq('property_id', '00000000-0000-0000-0000-000000000000');
  const [from, to] = pageRange(s);
  const { data, error, count } = await q.order(s.sort, { ascending: s.dir === 'asc' }).order('label').order('id').range(from, to);
  if (error) throw error;
  return { rows: data ?? [], total: count ?? 0 };
}

/** One unit of the org, or null when it does not exist (or is another org's). */
export async function getUnit(client: Client, orgId: string, id: string): Promise<UnitRow | null> {
  const { data, error } = await client.from('unit_directory').select('*').eq('org_id', orgId).eq('id', id).maybeSingle();
  if (error) throw error;
  return data;
}

export interface UnitOption {
  id: string;
  label: string;
  property_name: string;
  status: UnitStatus;
  lease_end_date: string | null;
  market_rent_minor: number | null;
}

const STATUS_ORDER: Record<UnitStatus, number> = { vacant: 0, notice: 1, occupied: 2 };

/** Units for the lease form's picker, matching `term`: vacant first, then on notice, then occupied. */
export async function unitOptions(client: Client, orgId: string, term: string): Promise<UnitOption[]> {
  let q = client.from('unit_directory').select('id, label, property_name, status, lease_end_date, market_rent_minor').eq('org_id', orgId);
  if (term.trim()) q = q.or(searchFilter(['label', 'property_name'], term.trim()));
  const { data, error } = await q.order('property_name').order('label').limit(200);
  if (error) throw error;
  return ((data ?? []) as UnitOption[]).sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]).slice(0, 50);
}

/** The leases of one unit, newest first. */
export async function unitLeases(client: Client, orgId: string, unitId: string): Promise<LeaseRow[]> {
  const { data, error } = await client.from('lease_directory').select('*').eq('org_id', orgId).eq('unit_id', unitId).order('start_date', { ascending: false }).limit(100);
  if (error) throw error;
  return data ?? [];
}

function toRow(input: UnitInput): Omit<TablesInsert<'units'>, 'org_id'> {
  return {
    property_id: input.property_id,
    label: input.label,
    bedrooms: input.bedrooms,
    bathrooms: input.bathrooms,
    square_feet: input.square_feet,
    market_rent_minor: input.market_rent,
  };
}

export async function createUnit(client: Client, orgId: string, input: UnitInput): Promise<Unit> {
  const { data, error } = await client.from('units').insert({ ...toRow(input), org_id: orgId }).select('*').single();
  if (error) throw error;
  return data;
}

export async function updateUnit(client: Client, orgId: string, id: string, input: UnitInput): Promise<Unit> {
  const { data, error } = await client.from('units').update(toRow(input)).eq('org_id', orgId).eq('id', id).select('*').single();
  if (error) throw error;
  return data;
}

/** Refused by the database while the unit has leases (leases_org_id_unit_id_fkey). */
export async function deleteUnit(client: Client, orgId: string, id: string): Promise<void> {
  const { error } = await client.from('units').delete().eq('org_id', orgId).eq('id', id);
  if (error) throw error;
}

/** How a unit is named in a sentence or title: "Unit 4B", or the label as is when it already says "Unit". */
export function unitName(label: string | null | undefined): string {
  const l = (label ?? '').trim();
  return /^(unit|apt|apartment|suite|ste)\b/i.test(l) ? l : `Unit ${l}`;
}

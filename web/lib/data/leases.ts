import type { Tables } from '$lib/database.types.ts';
import type { EndLeaseInput, LeaseInput, RenewLeaseInput } from '$lib/schemas/lease.ts';
import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import { searchFilter, type Page } from './filters.ts';

export type Lease = Tables<'leases'>;
export type LeaseRow = Tables<'lease_directory'>;
export type LedgerEntry = Tables<'ledger_entries'>;
export type LeaseStatus = 'draft' | 'active' | 'ended' | 'terminated';

export const LEASE_STATUSES: readonly LeaseStatus[] = ['active', 'draft', 'ended', 'terminated'];

export const LEASE_LIST = {
  sort: 'start_date',
  dir: 'desc',
  sortable: ['unit_label', 'property_name', 'status', 'start_date', 'end_date', 'rent_minor', 'balance_minor'],
  filters: ['status', 'property'],
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page of the Leases list: search by unit, residents or property; filter by status and property. */
export async function listLeases(client: Client, orgId: string, s: TableState): Promise<Page<LeaseRow>> {
  let q = client.from('lease_directory').select('*', { count: 'exact' }).eq('org_id', orgId);
  if (s.q) q = q.or(searchFilter(['unit_label', 'property_name', 'resident_names'], s.q));
  const status = s.filters.status;
  if (status && (LEASE_STATUSES as readonly string[]).includes(status)) q = q.eq('status', status);
  const property = s.filters.property;
  if (property) q = UUID.test(property) ? q.eq('property_id', property) : q.eq('property_id', '00000000-0000-0000-0000-000000000000');
  const [from, to] = pageRange(s);
  const { data, error, count } = await q.order(s.sort, { ascending: s.dir === 'asc', nullsFirst: false }).order('id').range(from, to);
  if (error) throw error;
  return { rows: data ?? [], total: count ?? 0 };
}

/** One lease of the org, or null when it does not exist (or is another org's). */
export async function getLease(client: Client, orgId: string, id: string): Promise<LeaseRow | null> {
  const { data, error } = await client.from('lease_directory').select('*').eq('org_id', orgId).eq('id', id).maybeSingle();
  if (error) throw error;
  return data;
}

/** The lease's ledger, newest first (read-only: entries are posted by money functions). */
export async function leaseLedger(client: Client, orgId: string, leaseId: string): Promise<LedgerEntry[]> {
  const { data, error } = await client
    .from('ledger_entries')
    .select('*')
    .eq('org_id', orgId)
    .eq('lease_id', leaseId)
    .order('effective_date', { ascending: false })
    .order('created_at', { ascending: false })
    .limit(500);
  if (error) throw error;
  return data ?? [];
}

/** Writes a lease and its residents in one transaction (public.create_lease). */
export async function createLease(client: Client, input: LeaseInput): Promise<Lease> {
  const { data, error } = await client
    .rpc('create_lease', {
      p_unit_id: input.unit_id,
      p_resident_ids: input.resident_ids,
      p_start_date: input.start_date,
      p_end_date: input.end_date ?? undefined,
      p_rent_minor: input.rent,
      p_deposit_minor: input.deposit,
      p_due_day: input.due_day,
      p_grace_days: input.grace_days,
      p_late_fee_minor: input.late_fee,
      p_status: input.status,
    })
    .single();
  if (error) throw error;
  return data as Lease;
}

/** The next term, starting the day after the lease ends, with the same residents (public.renew_lease). */
export async function renewLease(client: Client, leaseId: string, input: RenewLeaseInput): Promise<Lease> {
  const { data, error } = await client.rpc('renew_lease', { p_lease_id: leaseId, p_end_date: input.end_date ?? undefined, p_rent_minor: input.rent }).single();
  if (error) throw error;
  return data as Lease;
}

/** Sets the move-out date; the lease ends now if that date is today or earlier (public.end_lease). */
export async function endLease(client: Client, leaseId: string, input: EndLeaseInput): Promise<Lease> {
  const { data, error } = await client.rpc('end_lease', { p_lease_id: leaseId, p_move_out: input.move_out }).single();
  if (error) throw error;
  return data as Lease;
}

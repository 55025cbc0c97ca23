import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import { searchFilter, type Page } from './filters.ts';

export const MAINTENANCE_STATUSES = ['open', 'in_progress', 'on_hold', 'completed', 'canceled'] as const;
export const MAINTENANCE_PRIORITIES = ['emergency', 'high', 'normal', 'low'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];
export type MaintenancePriority = (typeof MAINTENANCE_PRIORITIES)[number];

export interface MaintenanceRow {
  id: string;
  title: string;
  category: string;
  priority: MaintenancePriority;
  status: MaintenanceStatus;
  created_at: string;
  closed_at: string | null;
  unit_id: string;
  unit_label: string;
  property_name: string;
}

export const MAINTENANCE_LIST = {
  sort: 'created_at',
  dir: 'desc',
  sortable: ['created_at', 'title', 'status', 'category'],
  // `status=active` (open, in progress, on hold) is the default view: the work still to do.
  filters: ['status', 'priority'],
} as const;

const ACTIVE: MaintenanceStatus[] = ['open', 'in_progress', 'on_hold'];

/** A page of maintenance requests, newest first unless sorted otherwise; RLS shows staff their org's. */
export async function listMaintenance(client: Client, orgId: string, s: TableState): Promise<Page<MaintenanceRow>> {
  let q = client
    .from('maintenance_requests')
    .select('id, title, category, priority, status, created_at, closed_at, unit_id, units!inner(label, properties!inner(name))', { count: 'exact' })
    .eq('org_id', orgId);
  if (s.q) q = q.or(searchFilter(['title', 'description'], s.q));
  const status = s.filters.status ?? 'active';
  if (status === 'active') q = q.in('status', ACTIVE);
  else if (status === 'all') q = q.in('status', [...MAINTENANCE_STATUSES]);
  else if ((MAINTENANCE_STATUSES as readonly string[]).includes(status)) q = q.eq('status', status);
  const priority = s.filters.priority;
  if (priority && (MAINTENANCE_PRIORITIES as readonly string[]).includes(priority)) q = q.eq('priority', priority);
  const [from, to] = pageRange(s);
  const { data, error, count } = await q.order(s.sort, { ascending: s.dir === 'asc' }).order('id').range(from, to);
  if (error) throw error;
  return {
    rows: (data ?? []).map((r) => ({
      id: r.id,
      title: r.title,
      category: r.category,
      priority: r.priority as MaintenancePriority,
      status: r.status as MaintenanceStatus,
      created_at: r.created_at,
      closed_at: r.closed_at,
      unit_id: r.unit_id,
      unit_label: r.units.label,
      property_name: r.units.properties.name,
    })),
    total: count ?? 0,
  };
}

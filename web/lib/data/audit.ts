import type { AuditRow } from '$lib/audit/describe.ts';
import { nextDay, startOfDayIn } from '$lib/format/date.ts';
import type { Client } from '$lib/supabase/types.ts';
import { pageRange, type TableState } from '$lib/table/state.ts';
import type { Page } from './filters.ts';

/** The audit log list: newest first, filtered by table, action, actor ('system' for none) and day range. */
export const AUDIT_LIST = {
  sort: 'created_at',
  dir: 'desc',
  sortable: ['created_at'],
  filters: ['table', 'action', 'actor', 'from', 'to'],
} as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A page of the org's audit log (owners and admins; RLS answers others with nothing). `from` and
 * `to` are calendar days in the org's timezone, both included.
 */
export async function listAudit(client: Client, orgId: string, s: TableState, timezone: string): Promise<Page<AuditRow>> {
  let q = client.from('audit_log').select('*', { count: 'exact' }).eq('org_id', orgId);
  const f = s.filters;
  if (f.table) q = q.eq('table_name', f.table);
  if (f.action) q = q.eq('action', f.action);
  if (f.actor === 'system') q = q.is('actor_user_id', null);
  else if (f.actor && UUID.test(f.actor)) q = q.eq('actor_user_id', f.actor);
  if (f.from && DAY.test(f.from)) q = q.gte('created_at', startOfDayIn(f.from, timezone));
  if (f.to && DAY.test(f.to)) q = q.lt('created_at', startOfDayIn(nextDay(f.to), timezone));
  const [from, to] = pageRange(s);
  const asc = s.dir === 'asc';
  const { data, error, count } = await q.order('created_at', { ascending: asc }).order('id', { ascending: asc }).range(from, to);
  if (error) throw error;
  return { rows: data ?? [], total: count ?? 0 };
}

import type { Entity } from '$lib/queries/keys.ts';

/**
 * The typed twin of what the database broadcasts (supabase/migrations/*_add_realtime_broadcasts.sql):
 * one message per changed row, shaped as realtime.broadcast_changes shapes it, on the topic
 * `org:<id>`, `org:<id>:finance`, `resident:<id>` or `user:<id>`; and for a statement of more than
 * 50 rows one `bulk_change` per org instead (refetch on it): on the finance topic for money tables,
 * on `org:<id>` for units (*_summarize_bulk_portfolio_writes.sql).
 */
export type Operation = 'INSERT' | 'UPDATE' | 'DELETE';

export interface RowChange {
  operation: Operation;
  table: string;
  schema: string;
  record: Record<string, unknown> | null;
  old_record: Record<string, unknown> | null;
}

export interface BulkChange {
  operation: Operation;
  table: string;
  schema: string;
  count: number;
  id: string;
}

export const BULK_CHANGE = 'bulk_change';

/** Which cached lists a change to a table can alter. */
export const TABLE_ENTITIES: Record<string, Entity[]> = {
  units: ['units', 'properties', 'overview', 'search'],
  memberships: ['team'],
  maintenance_requests: ['maintenance', 'overview'],
  maintenance_events: ['maintenance'],
  notifications: ['notifications'],
  leases: ['leases', 'units', 'residents', 'properties', 'overview'],
  lease_residents: ['leases', 'units', 'residents'],
  ledger_entries: ['ledger', 'leases', 'units', 'residents', 'overview'],
  payments: ['payments', 'ledger', 'overview'],
  // Sent on the finance topic with the run's day, status and counts only (managers and viewers
  // join that topic but may not read runs): refetch the run rows through RLS.
  rent_runs: ['rentRuns'],
};

/** The entities to refetch for one broadcast message; unknown tables refetch nothing. */
export function entitiesFor(event: string, payload: unknown): Entity[] {
  const table = (payload as { table?: unknown } | null)?.table;
  if (typeof table !== 'string') return [];
  if (event !== BULK_CHANGE && event !== 'INSERT' && event !== 'UPDATE' && event !== 'DELETE') return [];
  return TABLE_ENTITIES[table] ?? [];
}

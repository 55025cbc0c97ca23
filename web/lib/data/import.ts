import type { Json } from '$lib/database.types.ts';
import type { FieldKey } from '$lib/import/fields.ts';
import type { ImportRow, RowIssue } from '$lib/import/check.ts';
import type { Client } from '$lib/supabase/types.ts';

export interface Counted {
  created: number;
  reused: number;
}

/** What import_portfolio answers: counts per kind and the properties the file touched. */
export interface ImportSummary {
  properties: Counted;
  units: Counted;
  residents: Counted;
  leases: Counted;
  items: { id: string; name: string; created: boolean; units_created: number; units_reused: number }[];
}

/**
 * Imports the rows into the caller's active org in one transaction (the org comes from the
 * session, never from the rows). Throws the database's refusal as it came: see importIssues.
 */
export async function importPortfolio(client: Client, rows: ImportRow[]): Promise<ImportSummary> {
  const { data, error } = await client.rpc('import_portfolio', { p_rows: rows as unknown as Json });
  if (error) throw error;
  return data as unknown as ImportSummary;
}

/** The rows an LT422 refusal of import_portfolio names ({errors: [{row, column, message}]} in its details). */
export function importIssues(err: unknown): RowIssue[] {
  const e = err as { code?: string; details?: string | null } | null;
  if (e?.code !== 'LT422' || !e.details) return [];
  try {
    const parsed = JSON.parse(e.details) as { errors?: { row: number; column: string; message: string }[] };
    return (parsed.errors ?? []).map((x) => ({ row: x.row, field: x.column as FieldKey, message: x.message }));
  } catch {
    return [];
  }
}

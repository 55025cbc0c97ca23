import { importCellsSchema, type ImportCells, type ImportCellsSchema } from '$lib/schemas/import.ts';
import { FIELDS, LEASE_FIELDS, type FieldKey } from './fields.ts';
import type { Mapping } from './mapping.ts';
import { dateOrder } from './values.ts';

/** A problem with one cell of the file: its row as the spreadsheet numbers it (the header is row 1). */
export interface RowIssue {
  row: number;
  field: FieldKey;
  message: string;
}

/** What import_portfolio takes for one row (supabase/migrations/*_add_portfolio_import.sql); empty cells left out. */
export interface ImportRow {
  row: number;
  property_name: string;
  unit_label: string;
  address_line1?: string;
  address_line2?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country?: string;
  bedrooms?: number;
  bathrooms?: string;
  square_feet?: number;
  market_rent_minor?: number;
  resident_name?: string;
  resident_email?: string;
  resident_phone?: string;
  co_resident_name?: string;
  co_resident_email?: string;
  lease_start?: string;
  lease_end?: string;
  rent_minor?: number;
  deposit_minor?: number;
  due_day?: number;
}

export interface CheckedRow {
  row: number;
  cells: ImportCells;
  issues: RowIssue[];
}

export interface CheckResult {
  rows: CheckedRow[];
  /** Ready for import_portfolio when no row has an issue. */
  payload: ImportRow[];
  issueCount: number;
  rowsWithIssues: number;
}

/** The cells of one record under a mapping, trimmed. */
export function cellsOf(record: readonly string[], mapping: Mapping): ImportCells {
  const cells = {} as ImportCells;
  for (const f of FIELDS) {
    const index = mapping[f.key];
    cells[f.key] = index === null ? '' : (record[index] ?? '').trim();
  }
  return cells;
}

const FIELD_ORDER = Object.fromEntries(FIELDS.map((f, i) => [f.key, i])) as Record<FieldKey, number>;
const byColumn = (a: RowIssue, b: RowIssue) => FIELD_ORDER[a.field] - FIELD_ORDER[b.field];

/** Rules across the cells of a row, as import_portfolio states them. */
function crossIssues(c: ImportCells, start: string | undefined, end: string | undefined): [FieldKey, string][] {
  const out: [FieldKey, string][] = [];
  const hasLease = LEASE_FIELDS.some((k) => c[k] !== '');
  const hasResident = c.resident_name !== '' || c.resident_email !== '' || c.resident_phone !== '';
  if (!c.resident_name && (c.resident_email || c.resident_phone)) out.push(['resident_name', 'Enter the resident’s name for this email or phone.']);
  if (!c.co_resident_name && c.co_resident_email) out.push(['co_resident_name', 'Enter the co-resident’s name for this email.']);
  if (c.co_resident_name && !c.resident_name) out.push(['resident_name', 'Enter the main resident before a co-resident.']);
  if (c.co_resident_email && c.co_resident_email.toLowerCase() === c.resident_email.toLowerCase()) {
    out.push(['co_resident_email', 'The co-resident needs an email of their own.']);
  }
  if (c.resident_name && !hasLease) out.push(['lease_start', 'A resident needs a lease: enter its start date and rent.']);
  if (hasLease && !c.lease_start) out.push(['lease_start', 'Enter the lease start date.']);
  if (hasLease && !c.rent) out.push(['rent', 'Enter the monthly rent.']);
  if (hasLease && !hasResident) out.push(['resident_name', 'A lease needs its resident’s name.']);
  if (start && end && end <= start) out.push(['lease_end', 'The end date must be after the start date.']);
  return out;
}

/** Checks one row with the schema and the rules across its cells; the payload row when it has no issue. */
export function checkRow(schema: ImportCellsSchema, row: number, cells: ImportCells): { issues: RowIssue[]; payload?: ImportRow } {
  const issues: RowIssue[] = [];
  const res = schema.safeParse(cells);
  if (!res.success) {
    for (const issue of res.error.issues) issues.push({ row, field: issue.path[0] as FieldKey, message: issue.message });
  }
  const v = res.success ? res.data : undefined;
  for (const [field, message] of crossIssues(cells, v?.lease_start, v?.lease_end)) {
    if (!issues.some((i) => i.field === field)) issues.push({ row, field, message });
  }
  // In the template's column order, as a person reads the row.
  issues.sort(byColumn);
  if (issues.length || !v) return { issues };
  const payload: ImportRow = {
    row,
    property_name: v.property_name,
    unit_label: v.unit_label,
    address_line1: v.address_line1 || undefined,
    address_line2: v.address_line2 || undefined,
    city: v.city || undefined,
    region: v.region || undefined,
    postal_code: v.postal_code || undefined,
    country: v.country || undefined,
    bedrooms: v.bedrooms,
    bathrooms: v.bathrooms,
    square_feet: v.square_feet,
    market_rent_minor: v.market_rent,
    resident_name: v.resident_name || undefined,
    resident_email: v.resident_email || undefined,
    resident_phone: v.resident_phone || undefined,
    co_resident_name: v.co_resident_name || undefined,
    co_resident_email: v.co_resident_email || undefined,
    lease_start: v.lease_start,
    lease_end: v.lease_end,
    rent_minor: v.rent,
    deposit_minor: v.deposit,
    due_day: v.due_day,
  };
  // Empty cells stay out of the request: a 10,000-row file is a third smaller.
  for (const key of Object.keys(payload) as (keyof ImportRow)[]) if (payload[key] === undefined) delete payload[key];
  return { issues, payload };
}


const isBlank = (record: readonly string[]) => record.every((cell) => cell.trim() === '');

/**
 * Checks every data record of a file (records[i] is spreadsheet row i + 2) under a mapping, in
 * slices so the page can show progress; blank rows are skipped. Also finds a unit that appears
 * twice in one property.
 */
export async function checkRecords(
  records: readonly (readonly string[])[],
  mapping: Mapping,
  opts: { currency: string; locale: string; onProgress?: (done: number, total: number) => void; slice?: number; signal?: AbortSignal },
): Promise<CheckResult> {
  const schema = importCellsSchema(opts.currency, dateOrder(opts.locale));
  const slice = opts.slice ?? 1000;
  const rows: CheckedRow[] = [];
  const payload: ImportRow[] = [];
  const firstRowOfUnit = new Map<string, number>();
  for (let start = 0; start < records.length; start += slice) {
    if (opts.signal?.aborted) throw new DOMException('The check was replaced by a newer one.', 'AbortError');
    const end = Math.min(records.length, start + slice);
    for (let i = start; i < end; i++) {
      const record = records[i]!;
      if (isBlank(record)) continue;
      const row = i + 2;
      const cells = cellsOf(record, mapping);
      const { issues, payload: p } = checkRow(schema, row, cells);
      if (cells.property_name && cells.unit_label) {
        const key = `${cells.property_name.toLowerCase()}\u0000${cells.unit_label}`;
        const first = firstRowOfUnit.get(key);
        if (first === undefined) firstRowOfUnit.set(key, row);
        else if (!issues.some((x) => x.field === 'unit_label')) {
          issues.push({ row, field: 'unit_label', message: `${cells.property_name}, ${cells.unit_label} is also on row ${first}.` });
          issues.sort(byColumn);
        }
      }
      rows.push({ row, cells, issues });
      if (p && !issues.length) payload.push(p);
    }
    opts.onProgress?.(end, records.length);
    // Let the page paint the progress between slices.
    if (end < records.length) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const rowsWithIssues = rows.filter((r) => r.issues.length).length;
  return { rows, payload, issueCount: rows.reduce((n, r) => n + r.issues.length, 0), rowsWithIssues };
}

/** Merges the database's row refusals into a check result (rows it names get its messages). */
export function withServerIssues(result: CheckResult, issues: readonly RowIssue[]): CheckResult {
  const byRow = new Map<number, RowIssue[]>();
  for (const issue of issues) byRow.set(issue.row, [...(byRow.get(issue.row) ?? []), issue]);
  const rows = result.rows.map((r) => {
    const extra = (byRow.get(r.row) ?? []).filter((x) => !r.issues.some((y) => y.field === x.field && y.message === x.message));
    return extra.length ? { ...r, issues: [...r.issues, ...extra] } : r;
  });
  const rowsWithIssues = rows.filter((r) => r.issues.length).length;
  return { rows, payload: result.payload, issueCount: rows.reduce((n, r) => n + r.issues.length, 0), rowsWithIssues };
}

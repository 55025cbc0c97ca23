import { FIELDS, REQUIRED_FIELDS, type FieldKey } from './fields.ts';

/** Which column of the file (its index) holds each field; null when the file has none. */
export type Mapping = Record<FieldKey, number | null>;

/** A header as people vary it: case, spaces, punctuation and "#" (Unit # = Unit number) do not count. */
export function normalizeHeader(header: string): string {
  return header
    .toLowerCase()
    .replace(/#/g, 'number')
    .replace(/&/g, 'and')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

const CANDIDATES: [FieldKey, Set<string>][] = FIELDS.map((f) => [
  f.key,
  new Set([f.label, f.key.replace(/_/g, ' '), ...f.synonyms].map(normalizeHeader)),
]);

/** Every field unmapped. */
export function emptyMapping(): Mapping {
  return Object.fromEntries(FIELDS.map((f) => [f.key, null])) as Mapping;
}

/**
 * Matches the file's headers to fields by name and common synonyms ("Unit #", "Apt", "Tenant
 * name"); each column goes to one field at most, fields in `taken` keep theirs.
 */
export function autoMap(headers: readonly string[], taken: Partial<Mapping> = {}): Mapping {
  const mapping = { ...emptyMapping(), ...taken };
  const used = new Set(Object.values(taken).filter((v): v is number => v !== null && v !== undefined));
  const normalized = headers.map(normalizeHeader);
  for (const [key, names] of CANDIDATES) {
    if (key in taken) continue;
    const index = normalized.findIndex((h, i) => !used.has(i) && h !== '' && names.has(h));
    if (index >= 0) {
      mapping[key] = index;
      used.add(index);
    }
  }
  return mapping;
}

/**
 * The mapping for a new upload of (a fixed version of) the file: what the person chose by hand
 * (`chosen`) is kept where the new file has that header, including "not in my file"; the rest is
 * matched afresh.
 */
export function carryOver(prev: { headers: readonly string[]; mapping: Mapping; chosen: ReadonlySet<FieldKey> }, headers: readonly string[]): Mapping {
  const normalized = headers.map(normalizeHeader);
  const kept: Partial<Mapping> = {};
  for (const key of prev.chosen) {
    const index = prev.mapping[key];
    if (index === null) {
      kept[key] = null;
      continue;
    }
    const name = normalizeHeader(prev.headers[index] ?? '');
    const found = normalized.indexOf(name);
    if (name && found >= 0) kept[key] = found;
  }
  return autoMap(headers, kept);
}

/** Required fields the mapping leaves without a column: while any, no row can be checked. */
export function missingRequired(mapping: Mapping): FieldKey[] {
  return REQUIRED_FIELDS.filter((key) => mapping[key] === null);
}

/** The first non-empty value of a column among the first rows, to show beside its choice. */
export function sampleValue(records: readonly (readonly string[])[], index: number | null): string {
  if (index === null) return '';
  for (const record of records.slice(0, 50)) {
    const v = record[index]?.trim();
    if (v) return v;
  }
  return '';
}

import { FIELDS } from './fields.ts';

/** A spreadsheet as read: its header row and the records under it (records[i] is row i + 2). */
export interface ParsedFile {
  headers: string[];
  records: string[][];
}

/** Papa Parse, fetched the first time a file is read or the template made: it stays out of /app's first load. */
const papa = () => import('papaparse').then((m) => m.default);

/**
 * Reads a CSV file (any of , ; tab | as delimiter, quoted cells, a UTF-8 byte order mark) in
 * slices, reporting the share read so far.
 */
export async function parseCsvFile(file: Blob, onProgress?: (fraction: number) => void): Promise<ParsedFile> {
  const Papa = await papa();
  const rows: string[][] = [];
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(file as File, {
      skipEmptyLines: false,
      chunkSize: 256 * 1024,
      chunk: (res) => {
        for (const r of res.data) rows.push(r);
        if (file.size) onProgress?.(Math.min(1, res.meta.cursor / file.size));
      },
      complete: () => resolve(),
      error: (err) => reject(err),
    });
  });
  return splitHeader(rows);
}

/** Parses CSV text (tests, and the bench's browser-side figure). */
export async function parseCsvText(text: string): Promise<ParsedFile> {
  const Papa = await papa();
  return splitHeader(Papa.parse<string[]>(text, { skipEmptyLines: false }).data);
}

function splitHeader(rows: string[][]): ParsedFile {
  // A trailing newline reads as one empty record.
  while (rows.length && rows[rows.length - 1]!.every((c) => c.trim() === '')) rows.pop();
  const [header = [], ...records] = rows;
  const headers = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  return { headers, records };
}

/** Two example rows for the template: a let unit with two residents, and a vacant one. */
const EXAMPLES: Record<string, string>[] = [
  {
    property_name: 'Maple Court', address_line1: '120 Maple Ave', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US',
    unit_label: '1A', bedrooms: '2', bathrooms: '1.5', square_feet: '850', market_rent: '1450.00',
    resident_name: 'Jordan Lee', resident_email: 'jordan.lee@example.com', resident_phone: '+1 555 0100',
    co_resident_name: 'Sam Lee', co_resident_email: 'sam.lee@example.com',
    lease_start: '2026-01-01', lease_end: '2026-12-31', rent: '1400.00', deposit: '1400.00', due_day: '1',
  },
  {
    property_name: 'Maple Court', address_line1: '120 Maple Ave', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US',
    unit_label: '1B', bedrooms: '1', bathrooms: '1', square_feet: '620', market_rent: '1150.00',
  },
];

/** The downloadable template: every column's header and the two example rows. */
export async function templateCsv(): Promise<string> {
  const Papa = await papa();
  return Papa.unparse({ fields: FIELDS.map((f) => f.label), data: EXAMPLES.map((e) => FIELDS.map((f) => e[f.key] ?? '')) });
}

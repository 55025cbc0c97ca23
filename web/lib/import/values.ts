/**
 * Cell values as spreadsheets write them, turned into what the database takes. Each returns null
 * when the text is not such a value; the schema (web/lib/schemas/import.ts) words the message.
 */

export type DateOrder = 'mdy' | 'dmy' | 'ymd';

/** Whether the locale writes numeric dates month first (en-US 1/31/2026) or day first (en-GB 31/01/2026). */
export function dateOrder(locale: string): DateOrder {
  const parts = new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'UTC' })
    .formatToParts(new Date(Date.UTC(2026, 10, 23)))
    .map((p) => p.type)
    .filter((t) => t === 'year' || t === 'month' || t === 'day');
  if (parts[0] === 'year') return 'ymd';
  return parts[0] === 'month' ? 'mdy' : 'dmy';
}

/** An example date in the file's accepted forms for this locale, for messages and the column guide. */
export function dateExample(order: DateOrder): string {
  return order === 'mdy' ? '2026-01-31 or 1/31/2026' : order === 'dmy' ? '2026-01-31 or 31/01/2026' : '2026-01-31';
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A calendar date as YYYY-MM-DD: ISO (2026-01-31) always; 1/31/2026 or 31/01/2026 as the org's
 * locale orders them (two-digit years are 20xx below 70). Years 1900–2199, real days only.
 */
export function parseDate(input: string, order: DateOrder): string | null {
  const v = input.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$/.exec(v);
  if (iso) {
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (slashed && order !== 'ymd') {
    const [a, b] = [Number(slashed[1]), Number(slashed[2])];
    [m, d] = order === 'mdy' ? [a, b] : [b, a];
    y = Number(slashed[3]);
    if (slashed[3]!.length === 2) y += y < 70 ? 2000 : 1900;
  } else {
    return null;
  }
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return null;
  if (d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** A whole number ("2", "2.0", "1,200"); "studio" counts as 0 where `studio` is set. */
export function parseWhole(input: string, opts: { studio?: boolean } = {}): number | null {
  const v = input.trim().replace(/[,\s_]/g, '');
  if (opts.studio && /^studio$/i.test(v)) return 0;
  if (!/^\d{1,9}(\.0+)?$/.test(v)) return null;
  return Number.parseInt(v, 10);
}

/** Bathrooms as "1", "1.5" or "2.50": tenths at most, as numeric(3,1) stores them. */
export function parseBathrooms(input: string): string | null {
  const v = input.trim();
  if (!/^\d{1,2}(\.\d0?)?$/.test(v)) return null;
  return String(Number(v));
}

/** A day of the month: "5", "5th", "1st". */
export function parseDay(input: string): number | null {
  const m = /^(\d{1,2})(st|nd|rd|th)?$/i.exec(input.trim());
  return m ? Number(m[1]) : null;
}

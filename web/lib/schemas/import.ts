import { z } from 'zod';
import { parseMoney } from '$lib/format/money.ts';
import type { FieldKey } from '$lib/import/fields.ts';
import { dateExample, parseBathrooms, parseDate, parseDay, parseWhole, type DateOrder } from '$lib/import/values.ts';

/** One spreadsheet row's cells by field, trimmed; '' where the cell is empty or the column unmapped. */
export type ImportCells = Record<FieldKey, string>;

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * A row's cells checked one by one, with the messages import_portfolio uses for the same faults.
 * Rules across cells (a lease needs a start and a rent, ...) are in web/lib/import/check.ts.
 */
export function importCellsSchema(currency: string, order: DateOrder) {
  const text = (max: number, what: string) => z.string().max(max, `Keep ${what} under ${max + 1} characters.`);
  const optional = <T>(parse: (v: string) => T | null, message: string) =>
    z.string().transform((v, ctx): T | undefined => {
      if (v === '') return undefined;
      const out = parse(v);
      if (out === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return out;
    });
  const amount = (what: string, min: 0 | 1) =>
    optional(
      (v) => {
        const minor = parseMoney(v, currency);
        return minor !== null && minor >= min ? minor : null;
      },
      `${what} must be an amount ${min ? 'above zero' : 'of zero or more'}, such as 1250.00.`,
    );
  const date = (what: string) => optional((v) => parseDate(v, order), `Enter ${what} as ${dateExample(order)}.`);
  const email = z
    .string()
    .toLowerCase()
    .refine((v) => v === '' || EMAIL.test(v), 'Enter a valid email address, like name@example.com.');

  return z.object({
    property_name: z.string().min(1, 'Enter the property name.').max(200, 'Keep the property name under 201 characters.'),
    address_line1: text(200, 'the address'),
    address_line2: text(200, 'the address'),
    city: text(100, 'the city'),
    region: text(100, 'the state or region'),
    postal_code: text(20, 'the postal code'),
    country: z
      .string()
      .toUpperCase()
      .refine((v) => v === '' || /^[A-Z]{2}$/.test(v), 'Use a two-letter country code, such as US or GB.'),
    unit_label: z.string().min(1, 'Enter the unit label, such as 1A or Unit 101.').max(50, 'Keep the unit label under 51 characters.'),
    bedrooms: optional((v) => {
      const n = parseWhole(v, { studio: true });
      return n !== null && n <= 20 ? n : null;
    }, 'Bedrooms are a whole number from 0 to 20.'),
    bathrooms: optional((v) => {
      const b = parseBathrooms(v);
      return b !== null && Number(b) <= 20 ? b : null;
    }, 'Bathrooms are a number from 0 to 20, such as 1 or 1.5.'),
    square_feet: optional((v) => {
      const n = parseWhole(v);
      return n !== null && n >= 1 ? n : null;
    }, 'Size is a whole number above zero.'),
    market_rent: amount('Market rent', 1),
    resident_name: text(200, 'the name'),
    resident_email: email,
    resident_phone: text(50, 'the phone number'),
    co_resident_name: text(200, 'the name'),
    co_resident_email: email,
    lease_start: date('the start date'),
    lease_end: date('the end date (or leave it empty for month-to-month)'),
    rent: amount('Rent', 1),
    deposit: amount('The deposit', 0),
    due_day: optional((v) => {
      const d = parseDay(v);
      return d !== null && d >= 1 && d <= 28 ? d : null;
    }, 'Rent is due on a day from 1 to 28, so every month has it.'),
  });
}

export type ImportCellsSchema = ReturnType<typeof importCellsSchema>;
export type ParsedCells = z.output<ImportCellsSchema>;

import { z } from 'zod';
import { parseMoney } from '$lib/format/money.ts';

/** Trimmed text with a person-readable message when empty or too long. */
export const requiredText = (label: string, max = 200) =>
  z.string().trim().min(1, `Enter ${label}.`).max(max, `Keep ${label} under ${max + 1} characters.`);

export const optionalText = (max = 200) =>
  z
    .string()
    .trim()
    .max(max, `Keep this under ${max + 1} characters.`)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();

export const email = z.string().trim().toLowerCase().email('Enter a valid email address, like name@example.com.');

export const optionalEmail = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => (v === '' ? null : v))
  .pipe(z.string().email('Enter a valid email address, like name@example.com.').nullable())
  .optional();

export const isoDate = (label: string) => z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `Enter ${label} as a date.`);

export const uuid = (label: string) => z.string().uuid(`Choose ${label}.`);

/** A whole number typed into a field ('' → null when optional). */
export const intField = (label: string, min: number, max: number) =>
  z.coerce.number({ message: `Enter ${label} as a number.` }).int(`Enter ${label} as a whole number.`).min(min, `${label} is at least ${min}.`).max(max, `${label} is at most ${max}.`);

export const password = z
  .string()
  .min(8, 'Use at least 8 characters.')
  .regex(/[A-Za-z]/, 'Include at least one letter.')
  .regex(/\d/, 'Include at least one digit.');

/** Parses an amount typed by a person ("1,250.00") into integer minor units of `currency`. */
function amount(label: string, currency: string, min: number, optional: boolean) {
  return z
    .string()
    .trim()
    .transform((v, ctx): number | null => {
      if (v === '') {
        if (optional) return null;
        ctx.addIssue({ code: 'custom', message: `Enter ${label}.` });
        return z.NEVER;
      }
      const minor = parseMoney(v, currency);
      if (minor === null) {
        ctx.addIssue({ code: 'custom', message: `Enter ${label} as an amount, like 1,250.00.` });
        return z.NEVER;
      }
      if (minor < min) {
        ctx.addIssue({ code: 'custom', message: min ? `${cap(label)} must be more than zero.` : `${cap(label)} cannot be negative.` });
        return z.NEVER;
      }
      return minor;
    });
}

/** A required amount in minor units; `min` 1 means more than zero. */
export const money = (label: string, currency: string, min = 0) => amount(label, currency, min, false).transform((v) => v as number);

/** An amount that may be left empty (null). */
export const optionalMoney = (label: string, currency: string, min = 0) => amount(label, currency, min, true);

const cap = (s: string) => s.replace(/^the /, '').replace(/^./, (c) => c.toUpperCase());

/** An optional whole number typed into a field ('' → null). */
export const optionalInt = (label: string, min: number) =>
  z
    .string()
    .trim()
    .transform((v, ctx): number | null => {
      if (v === '') return null;
      const n = Number(v.replace(/[\s,]/g, ''));
      if (!Number.isInteger(n)) {
        ctx.addIssue({ code: 'custom', message: `Enter ${label} as a whole number.` });
        return z.NEVER;
      }
      if (n < min) {
        ctx.addIssue({ code: 'custom', message: `${cap(label)} must be at least ${min}.` });
        return z.NEVER;
      }
      return n;
    });

import { z } from 'zod';

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

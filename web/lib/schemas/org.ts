import { z } from 'zod';
import { requiredText } from './common.ts';

const currency = z.string().regex(/^[A-Z]{3}$/, 'Choose a currency.');
const timezone = z.string().min(1, 'Choose a timezone.');
const country = z.string().regex(/^[A-Z]{2}$/, 'Choose a country.');
const locale = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'Choose a language and region.');

export const orgSchema = z.object({
  name: requiredText('the company name'),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'Use lowercase letters, digits and dashes (not at the start or end).'),
  currency,
  timezone,
  country,
  locale,
});
export type OrgInput = z.output<typeof orgSchema>;

/** Whole days from a text field; an empty field is an error, not 0. */
const days = (label: string, range: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number({ message: `Enter ${label} as a number of days.` }).int('Enter whole days.').min(0, range).max(31, range),
  );

export const orgSettingsSchema = z.object({
  name: requiredText('the company name'),
  currency,
  timezone,
  country,
  locale,
  /** The form parses the amount it shows (web/lib/format/money.ts parseMoney); null when it is not one. */
  default_late_fee_minor: z
    .number({ message: 'Enter the late fee as an amount, like 75.00.' })
    .int('Enter the late fee as an amount, like 75.00.')
    .min(0, 'The late fee cannot be negative.'),
  default_grace_days: days('the grace period', 'Grace days are 0 to 31.'),
  reminder_days_before: days('when reminders go out', 'Reminders go 0 to 31 days before the due date.'),
  billing_email: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? null : v))
    .pipe(z.string().email('Enter a valid email address.').nullable()),
});
export type OrgSettingsInput = z.output<typeof orgSettingsSchema>;

/** Choices for the org forms: common currencies first; any ISO code the browser knows after. */
export const CURRENCIES = ['USD', 'CAD', 'EUR', 'GBP', 'AUD', 'NZD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'JPY', 'MXN', 'BRL', 'INR', 'ZAR', 'SGD', 'AED'];
export const LOCALES = ['en-US', 'en-GB', 'en-CA', 'en-AU', 'fr-FR', 'fr-CA', 'de-DE', 'es-ES', 'es-MX', 'it-IT', 'nl-NL', 'pl-PL', 'pt-BR', 'sv-SE', 'ja-JP'];

/** Money on screen: integer minor units in, the org's currency and locale out (DESIGN.md). */
const cache = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale: string | undefined, opts: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${currency}|${locale ?? ''}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency, ...opts });
    cache.set(key, f);
  }
  return f;
}

const digitsCache = new Map<string, number>();

/** How many minor units make a major one in `currency` (2 for USD, 0 for JPY, 3 for KWD). */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    // Remembered: building a NumberFormat per call made parsing a 10,000-row import take seconds.
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** 123456 USD → "$1,234.56". */
export function formatMoney(minor: number | bigint | string, currency: string, locale?: string): string {
  const digits = minorDigits(currency);
  return formatter(currency, locale).format(Number(minor) / 10 ** digits);
}

/**
 * A balance for people: what is owed as an amount, a negative balance as a credit ("$50.00
 * credit"), never a bare minus.
 */
export function formatBalance(minor: number | bigint | string, currency: string, locale?: string): string {
  const n = Number(minor);
  return n < 0 ? `${formatMoney(-n, currency, locale)} credit` : formatMoney(n, currency, locale);
}

/** "1,234.56" typed by a person → 123456 minor units; null when it is not an amount. */
export function parseMoney(input: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const cleaned = input.replace(/[\s,_]/g, '').replace(/^[^\d.-]+/, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return null;
  const [whole, frac = ''] = cleaned.split('.');
  if (frac.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || 0);
}

/** 123456 → "1234.56" for an input field (no grouping, no symbol). */
export function minorToInput(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return '';
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

/** The currency's symbol in this locale, for an input prefix. */
export function currencySymbol(currency: string, locale?: string): string {
  return formatter(currency, locale).formatToParts(0).find((p) => p.type === 'currency')?.value ?? currency;
}

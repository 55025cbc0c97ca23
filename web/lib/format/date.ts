/**
 * Dates in the org's timezone and locale (DESIGN.md, Money on screen). Calendar dates (due
 * dates, lease terms) are plain YYYY-MM-DD strings from the database and are never shifted.
 */
const cache = new Map<string, Intl.DateTimeFormat>();

function fmt(locale: string | undefined, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts);
    cache.set(key, f);
  }
  return f;
}

/** "2026-12-05" → "Dec 5, 2026" (a calendar date: no timezone shift). */
export function formatDate(isoDate: string | null | undefined, locale?: string): string {
  if (!isoDate) return '—';
  const [y, m, d] = isoDate.slice(0, 10).split('-').map(Number);
  return fmt(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y!, m! - 1, d!)));
}

/** A moment (timestamptz) in the org's zone: "Dec 5, 2026, 3:04 PM". */
export function formatDateTime(iso: string | null | undefined, timeZone: string, locale?: string): string {
  if (!iso) return '—';
  return fmt(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** The calendar day of a moment (timestamptz) in the org's zone: "Dec 5, 2026". */
export function formatDay(iso: string | null | undefined, timeZone: string, locale?: string): string {
  if (!iso) return '—';
  return fmt(locale, { dateStyle: 'medium', timeZone }).format(new Date(iso));
}

/** A rent period as people say it: "2026-12-01" → "Dec 2026". */
export function formatPeriod(isoDate: string, locale?: string): string {
  const [y, m] = isoDate.slice(0, 7).split('-').map(Number);
  return fmt(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y!, m! - 1, 1)));
}

/** Today's calendar date in a timezone, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return fmt('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(now);
}

/** Whole days from `from` to `to` (calendar dates). */
export function daysBetween(from: string, to: string): number {
  const a = Date.UTC(+from.slice(0, 4), +from.slice(5, 7) - 1, +from.slice(8, 10));
  const b = Date.UTC(+to.slice(0, 4), +to.slice(5, 7) - 1, +to.slice(8, 10));
  return Math.round((b - a) / 86_400_000);
}

/** "3 days overdue", "due in 2 days", "due today", relative to today in the org's zone. */
export function relativeDue(dueDate: string, today: string, locale?: string): string {
  const days = daysBetween(today, dueDate);
  if (days === 0) return 'due today';
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'always' });
  if (days > 0) return `due ${rtf.format(days, 'day')}`;
  const n = -days;
  return `${new Intl.NumberFormat(locale).format(n)} ${n === 1 ? 'day' : 'days'} overdue`;
}

/** "5 minutes ago" for activity. */
export function timeAgo(iso: string, now: Date = new Date(), locale?: string): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

/** How far a timezone is ahead of UTC at an instant, in ms (negative west of Greenwich). */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = fmt('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(instant / 1000) * 1000;
}

/** The instant a calendar day starts in a timezone, as an ISO string: a date filter's lower bound. */
export function startOfDayIn(isoDate: string, timeZone: string): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-').map(Number);
  const wall = Date.UTC(y!, m! - 1, d!);
  // Twice, for a day that starts on the other side of a DST change than the UTC midnight does.
  let t = wall - zoneOffsetMs(wall, timeZone);
  t = wall - zoneOffsetMs(t, timeZone);
  return new Date(t).toISOString();
}

/** The calendar day after `isoDate` (YYYY-MM-DD). */
export function nextDay(isoDate: string): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + 1)).toISOString().slice(0, 10);
}

// What a rent reminder says, in the org's locale and currency: the email, the push notification
// and the in-app notification are written from the same few sentences.

export type ReminderKind = 'upcoming' | 'due' | 'overdue';

export interface ReminderFacts {
  kind: ReminderKind;
  /** Minor units of `currency`: the period's rent (upcoming) or the balance owed (due, overdue). */
  amountMinor: number;
  currency: string;
  /** YYYY-MM-DD */
  dueDate: string;
  locale: string;
  orgName: string;
  residentName: string;
  unit: string;
  property: string;
}

export interface ReminderText {
  subject: string;
  /** Short title and one-line body for push and in-app notifications. */
  title: string;
  body: string;
  /** Plain-text email body. */
  text: string;
  html: string;
}

/** Formats minor units with the currency's own number of decimals (JPY none, USD two). */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const fmt = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  return fmt.format(minor / 10 ** digits);
}

/** A calendar date (no time of day, so no time zone can move it). */
export function formatDate(isoDate: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The reminder's words; `link` is where the resident pays or reads their ledger. */
export function reminderText(f: ReminderFacts, link: string): ReminderText {
  const amount = formatMoney(f.amountMinor, f.currency, f.locale);
  const date = formatDate(f.dueDate, f.locale);
  const home = `${f.unit}, ${f.property}`;
  const lines: Record<ReminderKind, { subject: string; title: string; body: string }> = {
    upcoming: {
      subject: `Rent of ${amount} is due on ${date}`,
      title: 'Rent due soon',
      body: `Your rent of ${amount} for ${home} is due on ${date}.`,
    },
    due: {
      subject: `Your rent is due: ${amount}`,
      title: 'Rent is due',
      body: `Your rent for ${home} is due (${date}). You owe ${amount}.`,
    },
    overdue: {
      subject: `Your rent is overdue: ${amount}`,
      title: 'Rent is overdue',
      body: `Your rent for ${home} was due on ${date} and ${amount} is still owed. A late fee may apply.`,
    },
  };
  const l = lines[f.kind];
  const text = `Hello ${f.residentName},\n\n${l.body}\n\nPay or see your ledger: ${link}\n\n${f.orgName}\n`;
  const html =
    `<p>Hello ${escapeHtml(f.residentName)},</p><p>${escapeHtml(l.body)}</p>` +
    `<p><a href="${escapeHtml(link)}">Pay or see your ledger</a></p><p>${escapeHtml(f.orgName)}</p>`;
  return { subject: l.subject, title: l.title, body: l.body, text, html };
}

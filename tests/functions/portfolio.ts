import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createUser } from '../db/fixtures.ts';
import { stack } from '../setup/clients.ts';

// Committed portfolios for the reminder and calendar tests: an org in a time zone, residents
// (with or without an email, a login, preferences, push subscriptions) and their leases.

export interface ResidentSpec {
  name: string;
  email?: string | null;
  /** A login (auth user) linked to the resident: in-app and push reach only those. */
  login?: boolean;
  prefs?: { email?: boolean; push?: boolean; in_app?: boolean };
  /** Push subscriptions of the resident's login: endpoint and browser keys. */
  push?: { endpoint: string; p256dh: string; auth: string }[];
}

export interface LeaseSpec {
  start: string;
  end?: string | null;
  status?: 'active' | 'draft' | 'ended';
  rent: number;
  dueDay: number;
  graceDays: number;
  lateFee: number;
  /** Indexes into the org's residents. */
  residents: number[];
}

export interface OrgSpec {
  name: string;
  timezone: string;
  currency?: string;
  locale?: string;
  reminderDaysBefore?: number;
  residents: ResidentSpec[];
  leases: LeaseSpec[];
}

export interface Portfolio {
  id: string;
  name: string;
  residents: { id: string; userId: string | null; email: string | null }[];
  leases: string[];
  units: string[];
}

/** Creates the org, its residents and leases in one committed transaction. */
export async function createPortfolio(client: pg.ClientBase, spec: OrgSpec): Promise<Portfolio> {
  await client.query('begin');
  try {
    const slug = `p-${randomUUID().slice(0, 12)}`;
    const id = (
      await client.query(
        `insert into public.organizations (name, slug, timezone, currency, locale, reminder_days_before)
         values ($1, $2, $3, $4, $5, $6) returning id`,
        [spec.name, slug, spec.timezone, spec.currency ?? 'USD', spec.locale ?? 'en-US', spec.reminderDaysBefore ?? 3],
      )
    ).rows[0].id as string;
    const property = (await client.query(`insert into public.properties (org_id, name) values ($1, $2) returning id`, [id, `${spec.name} House`])).rows[0].id;
    const residents: Portfolio['residents'] = [];
    for (const r of spec.residents) {
      const email = r.email === undefined ? `${randomUUID().slice(0, 12)}@example.test` : r.email;
      const userId = r.login ? await createUser(client, email ?? `${randomUUID()}@example.test`) : null;
      if (userId) await client.query(`insert into public.memberships (org_id, user_id, role) values ($1, $2, 'resident')`, [id, userId]);
      const rid = (
        await client.query(`insert into public.residents (org_id, user_id, full_name, email) values ($1, $2, $3, $4) returning id`, [id, userId, r.name, email])
      ).rows[0].id as string;
      if (r.prefs) {
        await client.query(`insert into public.reminder_preferences (org_id, resident_id, email, push, in_app) values ($1, $2, $3, $4, $5)`, [
          id,
          rid,
          r.prefs.email ?? true,
          r.prefs.push ?? false,
          r.prefs.in_app ?? true,
        ]);
      }
      for (const s of r.push ?? []) {
        await client.query(`insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)`, [userId, s.endpoint, s.p256dh, s.auth]);
      }
      residents.push({ id: rid, userId, email });
    }
    const leases: string[] = [];
    const units: string[] = [];
    for (const [i, l] of spec.leases.entries()) {
      const unit = (await client.query(`insert into public.units (org_id, property_id, label) values ($1, $2, $3) returning id`, [id, property, `Unit ${i + 1}`])).rows[0].id;
      const lease = (
        await client.query(
          `insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, due_day, grace_days, late_fee_minor)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
          [id, unit, l.status ?? 'active', l.start, l.end ?? null, l.rent, l.dueDay, l.graceDays, l.lateFee],
        )
      ).rows[0].id as string;
      for (const [k, ri] of l.residents.entries()) {
        await client.query(`insert into public.lease_residents (org_id, lease_id, resident_id, is_primary) values ($1, $2, $3, $4)`, [id, lease, residents[ri]!.id, k === 0]);
      }
      leases.push(lease);
      units.push(unit);
    }
    await client.query('commit');
    return { id, name: spec.name, residents, leases, units };
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}

export interface ReminderRun {
  planned: number;
  sent: number;
  failed: number;
  skipped: number;
  more: boolean;
}

/** Calls the rent-reminders function as its cron job does (service role key), as of `now`. */
export async function remind(now: string, orgIds: string[], key = stack().SERVICE_ROLE_KEY!): Promise<ReminderRun> {
  const res = await fetch(`${stack().API_URL}/functions/v1/rent-reminders`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ now, org_ids: orgIds }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`rent-reminders answered ${res.status}: ${JSON.stringify(body)}`);
  return body as ReminderRun;
}

export interface OutboxMessage {
  ID: string;
  MessageID: string;
  Subject: string;
  To: { Name: string; Address: string }[];
}

/** Every message in the outbox to this address (newest first), with its text. */
export async function mailTo(address: string): Promise<(OutboxMessage & { Text: string })[]> {
  const s = stack();
  const found = (await (await fetch(`${s.MAIL_URL}/api/v1/search?limit=1000&query=${encodeURIComponent(`to:${address}`)}`)).json()) as { messages: OutboxMessage[] };
  const exact = found.messages.filter((m) => m.To.some((t) => t.Address.toLowerCase() === address.toLowerCase()));
  return Promise.all(exact.map(async (m) => ({ ...m, Text: ((await (await fetch(`${s.MAIL_URL}/api/v1/message/${m.ID}`)).json()) as { Text: string }).Text })));
}

// Rent reminders: plan what is owed (the database, once per charge, kind, channel and resident),
// claim a batch, deliver it, record the outcome; repeat while time allows.
//
// Delivery guarantees, per channel:
// - in-app: exactly once. The notification row is inserted in the same transaction that marks
//   the reminder sent (complete_rent_reminders), and only the run holding the claim may do so.
// - email and push: at least once, and twice only if a run dies between the SMTP server (or
//   push service) accepting the message and the database recording it: the claim then expires
//   after 10 minutes and the next run sends again. A reminder recorded as sent is never sent
//   again. A retry reuses the Message-ID (mail clients that deduplicate show one) and the push
//   topic and tag (the push service and the service worker replace the first copy).
// - a send that fails is recorded failed with its error and retried on later runs, up to 5
//   attempts; a push subscription the push service calls gone is deleted.
import type { SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';
import type { Mailer } from './mail.ts';
import type { PushSender } from './push.ts';
import { reminderText } from './reminder-messages.ts';

const Claimed = z.object({
  id: z.uuid(),
  token: z.uuid(),
  attempt: z.number().int(),
  kind: z.enum(['upcoming', 'due', 'overdue']),
  channel: z.enum(['email', 'push', 'in_app']),
  period_start: z.string(),
  due_date: z.string(),
  amount_minor: z.number(),
  currency: z.string(),
  org: z.object({ id: z.uuid(), name: z.string(), locale: z.string() }),
  lease: z.object({ id: z.uuid(), unit: z.string(), property: z.string() }),
  resident: z.object({ id: z.uuid(), name: z.string(), email: z.string().nullable(), user_id: z.uuid().nullable() }),
  push: z.array(z.object({ endpoint: z.string(), p256dh: z.string(), auth: z.string() })).nullable(),
});
export type ClaimedReminder = z.infer<typeof Claimed>;

const Planned = z.object({ planned: z.number().int(), since: z.string() });

/** What complete_rent_reminders records for one claimed reminder. */
export interface Outcome {
  id: string;
  token: string;
  ok: boolean;
  skipped?: boolean;
  error?: string;
  gone?: string[];
  notification?: { title: string; body: string; link: string };
}

export interface Channels {
  mail: Mailer;
  /** Null when the function has no VAPID keys: push reminders fail (and are retried) until it has. */
  push: PushSender | null;
}

export interface RunOptions {
  /** The instant the reminders are planned for (the org calendars' "now"). */
  now: Date;
  /** Only these orgs (an operator's backfill, tests); all when absent. */
  orgIds?: string[];
  /** Where links point: the web app's origin. */
  appUrl: string;
  /** Stop claiming new batches after this long, leaving the rest to the next run. */
  budgetMs?: number;
  batchSize?: number;
  concurrency?: number;
}

export interface RunSummary {
  planned: number;
  sent: number;
  failed: number;
  skipped: number;
  /** True when the time budget ran out with reminders possibly still waiting. */
  more: boolean;
}

async function rpc<T>(db: SupabaseClient, fn: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
  const { data, error } = await db.rpc(fn, args);
  if (error) throw new Error(`${fn}: ${error.message}`);
  return schema.parse(data);
}

/** Delivers one claimed reminder on its channel; never throws. */
export async function deliver(r: ClaimedReminder, channels: Channels, appUrl: string): Promise<Outcome> {
  const base = { id: r.id, token: r.token };
  const link = `${appUrl.replace(/\/$/, '')}/portal`;
  const words = reminderText(
    {
      kind: r.kind,
      amountMinor: r.amount_minor,
      currency: r.currency,
      dueDate: r.due_date,
      locale: r.org.locale,
      orgName: r.org.name,
      residentName: r.resident.name,
      unit: r.lease.unit,
      property: r.lease.property,
    },
    link,
  );
  try {
    switch (r.channel) {
      case 'in_app':
        if (!r.resident.user_id) return { ...base, ok: true, skipped: true };
        return { ...base, ok: true, notification: { title: words.title, body: words.body, link: '/portal' } };
      case 'email':
        if (!r.resident.email) return { ...base, ok: true, skipped: true };
        await channels.mail.send({
          to: { name: r.resident.name, address: r.resident.email },
          subject: words.subject,
          text: words.text,
          html: words.html,
          messageId: `<rent-reminder-${r.id}@lintel>`,
        });
        return { ...base, ok: true };
      case 'push': {
        const targets = r.push ?? [];
        if (!targets.length) return { ...base, ok: true, skipped: true };
        if (!channels.push) return { ...base, ok: false, error: 'web push is not configured (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT)' };
        const topic = r.id.replace(/-/g, '');
        const message = { title: words.title, body: words.body, url: link, tag: `rent-${r.kind}-${r.lease.id}-${r.period_start}` };
        const results = await Promise.all(targets.map((t) => channels.push!.send(t, message, topic)));
        const gone = results.filter((x) => x.outcome === 'gone').map((x) => x.endpoint);
        if (results.some((x) => x.outcome === 'sent')) return { ...base, ok: true, gone };
        if (gone.length === results.length) return { ...base, ok: true, skipped: true, gone };
        const errors = results.filter((x) => x.outcome === 'failed').map((x) => x.detail ?? 'failed');
        return { ...base, ok: false, gone, error: errors.join('; ') };
      }
    }
  } catch (err) {
    return { ...base, ok: false, error: (err as Error).message };
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** One reminders run: plan as of `now`, then deliver batches until none is left or time is up. */
export async function runReminders(db: SupabaseClient, channels: Channels, opts: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const budget = opts.budgetMs ?? 60_000;
  const orgs = opts.orgIds?.length ? opts.orgIds : null;
  const plan = await rpc(db, 'plan_rent_reminders', { p_now: opts.now.toISOString(), p_org_ids: orgs }, Planned);
  const summary: RunSummary = { planned: plan.planned, sent: 0, failed: 0, skipped: 0, more: false };
  for (;;) {
    if (Date.now() - started > budget) {
      summary.more = true;
      break;
    }
    const limit = opts.batchSize ?? 50;
    const batch = await rpc(db, 'claim_rent_reminders', { p_since: plan.since, p_limit: limit, p_org_ids: orgs }, z.array(Claimed));
    if (!batch.length) break;
    const outcomes = await mapLimit(batch, opts.concurrency ?? 4, (r) => deliver(r, channels, opts.appUrl));
    await rpc(db, 'complete_rent_reminders', { p_results: outcomes }, z.number());
    for (const o of outcomes) {
      if (o.skipped) summary.skipped++;
      else if (o.ok) summary.sent++;
      else summary.failed++;
    }
    // A short batch was all there was (failures are not claimed again in this run).
    if (batch.length < limit) break;
  }
  return summary;
}

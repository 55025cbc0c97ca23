// Sends the rent reminders residents are owed (upcoming, due, overdue) by email, web push and
// in-app notification. Called hourly by the rent-reminders cron job with the cron secret
// (x-cron-secret, checked by the database), or by an operator with the service role key;
// verify_jwt is off in config.toml. Only those callers may call it at all, so they may also say
// `now` (plan as of another instant) and `org_ids` (only these orgs): an operator's backfill,
// and the tests' simulated year.
import { z } from 'zod';
import { requireScheduledCaller } from '../_shared/auth.ts';
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { smtpMailer } from '../_shared/mail.ts';
import { pushSenderFromEnv } from '../_shared/push.ts';
import { runReminders, type Channels } from '../_shared/reminders.ts';
import { parseBody } from '../_shared/validate.ts';

// One SMTP pool and push client per worker, reused by the requests it serves.
let channels: Channels | undefined;

const Body = z.strictObject({
  now: z.iso.datetime({ offset: true }).optional(),
  org_ids: z.array(z.uuid()).min(1).max(100).optional(),
});

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    await requireScheduledCaller(req, adminClient());
    const body = await parseBody(req, Body);
    channels ??= { mail: smtpMailer(), push: pushSenderFromEnv() };
    const summary = await runReminders(adminClient(), channels, {
      now: body.now ? new Date(body.now) : new Date(),
      orgIds: body.org_ids,
      appUrl: Deno.env.get('SITE_URL') ?? 'http://127.0.0.1:5173',
      budgetMs: Number(Deno.env.get('REMINDERS_BUDGET_MS') ?? 50_000),
    });
    return json(summary);
  }),
);

// Writes the PDF receipts still owed: the webhook writes each after answering Stripe, and a worker
// that dies first leaves one unwritten. Called every five minutes by the sweep-receipts cron job
// with the cron secret (verify_jwt = false), or by an operator with the service role key.
import { z } from 'zod';
import { requireScheduledCaller } from '../_shared/auth.ts';
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { type ReceiptTodo, ReceiptWriter } from '../_shared/receipts.ts';
import { parseBody } from '../_shared/validate.ts';

// An operator (or a test) may sweep receipts younger than the job's one-minute grace.
const Body = z.strictObject({ min_age_seconds: z.int().min(0).max(86_400).optional() });

const admin = adminClient();
// A few at a time: Storage and the worker's wall clock.
const receipts = new ReceiptWriter(admin, { concurrency: 8, rememberMs: 0 });

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    await requireScheduledCaller(req, admin);
    const body = await parseBody(req, Body);
    const owed = await admin.rpc('receipts_owed', { p_limit: 200, p_min_age_seconds: body.min_age_seconds ?? 60 });
    if (owed.error) throw owed.error;
    const todos = ((owed.data ?? []) as (ReceiptTodo | null)[]).filter((t): t is ReceiptTodo => !!t);
    let written = 0;
    let failed = 0;
    const results = await Promise.allSettled(todos.map((t) => receipts.write(t)));
    for (const r of results) r.status === 'fulfilled' ? written++ : (failed++, console.error('receipt', r.reason));
    return json({ owed: todos.length, written, failed });
  }),
);

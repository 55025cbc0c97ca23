import { z } from 'zod';
import { db } from './db.ts';
import { requireEnv } from './env.ts';
import { HttpError } from './errors.ts';
import type { ReceiptTodo, ReceiptWriter } from './receipts.ts';
import { Stripe, stripe } from './stripe.ts';

/** The envelope of a Stripe event, after its signature checked out. */
export const eventSchema = z.object({
  id: z.string().regex(/^evt_\w+$/),
  object: z.literal('event'),
  type: z.string().min(1).max(100),
  created: z.number().int().positive(),
  account: z.string().regex(/^acct_\w+$/).optional(),
  livemode: z.boolean(),
  data: z.object({ object: z.looseObject({ id: z.string().optional(), object: z.string() }) }),
});
export type VerifiedEvent = z.infer<typeof eventSchema>;

/** Event types Lintel acts on; every other verified event is answered 200 and left alone. */
export function handles(type: string): boolean {
  return (
    /^payment_intent\.(succeeded|payment_failed|processing|canceled)$/.test(type) ||
    /^checkout\.session\.(completed|expired|async_payment_succeeded|async_payment_failed)$/.test(type) ||
    type === 'charge.refunded' ||
    /^charge\.dispute\.(created|updated|closed)$/.test(type) ||
    type === 'account.updated' ||
    type.startsWith('customer.subscription.') ||
    type.startsWith('invoice.')
  );
}

const provider = Stripe.createSubtleCryptoProvider();

/**
 * Checks the Stripe-Signature header against the platform endpoint's secret and the Connect
 * endpoint's (connected accounts' events are signed with their own), within Stripe's 300 s
 * tolerance. Anything else is a 400 and nothing is recorded.
 */
export async function verifyEvent(raw: string, signature: string | null): Promise<VerifiedEvent> {
  if (!signature) throw new HttpError(400, 'invalid_signature', 'No Stripe-Signature header.');
  const secrets = [requireEnv('STRIPE_WEBHOOK_SECRET'), requireEnv('STRIPE_CONNECT_WEBHOOK_SECRET')];
  // A connected account's event names its account: try that endpoint's secret first.
  if (raw.includes('"account": "acct_') || raw.includes('"account":"acct_')) secrets.reverse();
  let event: Stripe.Event | undefined;
  for (const secret of secrets) {
    try {
      event = await stripe().webhooks.constructEventAsync(raw, signature, secret, undefined, provider);
      break;
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) throw new HttpError(400, 'invalid_payload', 'The body is not a Stripe event.');
    }
  }
  if (!event) throw new HttpError(400, 'invalid_signature', 'The Stripe signature does not match or is too old.');
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) throw new HttpError(400, 'invalid_payload', 'The body is not a Stripe event.', z.flattenError(parsed.error));
  return parsed.data;
}

type Obj = Record<string, unknown>;
const idOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : (v as { id?: string } | null)?.id);

/**
 * The current state of what an event is about, for the events whose order cannot be told from the
 * event alone: subscriptions and accounts change back and forth, and a setup-mode session needs its
 * SetupIntent's card. Fetched as Stripe has it now, so a late event applies the latest state.
 */
async function fetchCurrent(event: VerifiedEvent): Promise<Obj | null> {
  const obj = event.data.object as Obj;
  const onAccount = event.account ? { stripeAccount: event.account } : undefined;
  if (event.type === 'account.updated') {
    return (await stripe().accounts.retrieve(obj.id as string)) as unknown as Obj;
  }
  if (event.type.startsWith('customer.subscription.')) {
    return (await stripe().subscriptions.retrieve(obj.id as string)) as unknown as Obj;
  }
  if (event.type.startsWith('invoice.')) {
    const sub = idOf((obj.parent as { subscription_details?: { subscription?: unknown } } | null)?.subscription_details?.subscription);
    return sub ? ((await stripe().subscriptions.retrieve(sub)) as unknown as Obj) : null;
  }
  if (event.type === 'checkout.session.completed' && obj.mode === 'setup' && idOf(obj.setup_intent)) {
    return (await stripe().setupIntents.retrieve(idOf(obj.setup_intent)!, { expand: ['payment_method'] }, onAccount)) as unknown as Obj;
  }
  if (event.type === 'checkout.session.completed' && obj.mode === 'subscription' && idOf(obj.subscription)) {
    return (await stripe().subscriptions.retrieve(idOf(obj.subscription)!)) as unknown as Obj;
  }
  return null;
}

/** The PaymentIntent an event is about, fetched when the database asks (LT428). */
async function fetchIntent(event: VerifiedEvent): Promise<Obj> {
  const obj = event.data.object as Obj;
  const id = obj.object === 'payment_intent' ? (obj.id as string) : idOf(obj.payment_intent);
  if (!id) throw new Error(`${event.type} ${event.id} names no PaymentIntent`);
  return (await stripe().paymentIntents.retrieve(id, {}, event.account ? { stripeAccount: event.account } : undefined)) as unknown as Obj;
}

export interface Outcome {
  duplicate: boolean;
  payment_id: string | null;
  org_id: string | null;
  receipt: ReceiptTodo | null;
}

/** handle_stripe_event in one statement, so one transaction: committed when this returns. */
async function apply(event: VerifiedEvent, fetched: Obj | null): Promise<Outcome> {
  const sql = db();
  const [row] = await sql`select public.handle_stripe_event(${sql.json(event as never)}::jsonb, ${fetched ? sql.json(fetched as never) : null}::jsonb) as outcome`;
  return row!.outcome as Outcome;
}

const needsIntent = (err: unknown) => (err as { code?: string }).code === 'LT428';

export async function processEvent(receipts: ReceiptWriter, event: VerifiedEvent): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await apply(event, await fetchCurrent(event));
  } catch (err) {
    if (!needsIntent(err)) throw err;
    outcome = await apply(event, await fetchIntent(event));
  }
  if (outcome.receipt) {
    // After the answer, not before it: Stripe needs only the committed booking, and the PDF and
    // its upload were most of a delivery's time. The receipts-sweep job writes any left behind.
    const write = receipts.write(outcome.receipt).catch((err) => console.error('receipt for', outcome.payment_id, 'left to the sweep:', err));
    const runtime = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;
    if (runtime) runtime.waitUntil(write);
    else await write;
  }
  return outcome;
}

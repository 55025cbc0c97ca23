// Autopay, called hourly by the `autopay-run` cron job with the cron secret (verify_jwt = false),
// or by an operator with the service role key.
// The database turns rent posted for leases on autopay into one payment per lease and period
// (autopay:<lease>:<YYYY-MM>, unique); each is charged off-session with that same key as Stripe's
// Idempotency-Key, so an overlapping or repeated run never charges twice.
import { requireScheduledCaller } from '../_shared/auth.ts';
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { type ReceiptTodo, ReceiptWriter } from '../_shared/receipts.ts';
import { Stripe, stripe } from '../_shared/stripe.ts';

interface Due {
  payment_id: string;
  org_id: string;
  lease_id: string;
  resident_id: string;
  amount_minor: number;
  currency: string;
  application_fee_minor: number;
  stripe_account_id: string;
  idempotency_key: string;
  stripe_customer_id: string;
  stripe_payment_method_id: string;
}

const admin = adminClient();
const receipts = new ReceiptWriter(admin);

async function charge(due: Due): Promise<'succeeded' | 'failed' | 'processing' | 'error'> {
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe().paymentIntents.create(
      {
        amount: due.amount_minor,
        currency: due.currency.toLowerCase(),
        customer: due.stripe_customer_id,
        payment_method: due.stripe_payment_method_id,
        off_session: true,
        confirm: true,
        description: 'Rent (autopay)',
        ...(due.application_fee_minor > 0 ? { application_fee_amount: due.application_fee_minor } : {}),
        metadata: { org_id: due.org_id, lease_id: due.lease_id, resident_id: due.resident_id, payment_id: due.payment_id, autopay: due.idempotency_key },
      },
      { stripeAccount: due.stripe_account_id, idempotencyKey: due.idempotency_key },
    );
  } catch (err) {
    // A declined card still made a PaymentIntent: record it as failed. Anything else is retried
    // by the next run with the same key.
    if (err instanceof Stripe.errors.StripeCardError && err.payment_intent) {
      intent = err.payment_intent;
    } else {
      console.error('autopay charge failed', due.payment_id, err);
      return 'error';
    }
  }
  const synced = await admin.rpc('sync_payment_intent', { p_payment_intent: intent, p_account: due.stripe_account_id });
  if (synced.error) {
    console.error('autopay sync failed', due.payment_id, synced.error);
    return 'error';
  }
  const receipt = (synced.data as { receipt: ReceiptTodo | null }).receipt;
  if (receipt) await receipts.write(receipt).catch((e) => console.error('autopay receipt', due.payment_id, e));
  return intent.status === 'succeeded' ? 'succeeded' : intent.status === 'processing' ? 'processing' : 'failed';
}

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    await requireScheduledCaller(req, admin);
    const claimed = await admin.rpc('claim_autopay_payments', { p_limit: 200 });
    if (claimed.error) throw claimed.error;
    const counts = { claimed: 0, succeeded: 0, processing: 0, failed: 0, error: 0 };
    const dues = claimed.data as Due[];
    counts.claimed = dues.length;
    // A few at a time: Stripe's rate limit, and a run stays well inside the wall clock.
    for (let i = 0; i < dues.length; i += 4) {
      for (const outcome of await Promise.all(dues.slice(i, i + 4).map(charge))) counts[outcome] += 1;
    }
    return json(counts);
  }),
);

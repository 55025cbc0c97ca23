// Stripe's webhook for the platform's and the connected accounts' events (verify_jwt = false:
// Stripe sends no JWT; its signature is checked instead). 2xx only once the event's database
// transaction has committed; anything else makes Stripe retry. The receipt follows the answer.
import { adminClient } from '../_shared/clients.ts';
import { handler, HttpError, json } from '../_shared/errors.ts';
import { ReceiptWriter } from '../_shared/receipts.ts';
import { handles, processEvent, verifyEvent } from '../_shared/webhook.ts';

const receipts = new ReceiptWriter(adminClient());

Deno.serve(
  handler(async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'Use POST.');
    const event = await verifyEvent(await req.text(), req.headers.get('Stripe-Signature'));
    if (!handles(event.type)) return json({ received: true, ignored: true });
    const outcome = await processEvent(receipts, event);
    return json({ received: true, duplicate: outcome.duplicate });
  }),
);

import { beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../setup/clients.ts';
import { call, enablePayments, moneyOrg, payOnCheckout, paymentRow, q, waitFor, type MoneyOrg } from './money.ts';

// The webhook writes a payment's receipt after answering Stripe; receipts-sweep (every five
// minutes, cron secret) writes any that a dying worker left behind.
let org: MoneyOrg;
beforeAll(async () => {
  org = await moneyOrg();
  await enablePayments(org);
}, 120_000);

async function paidPayment(): Promise<string> {
  const res = await call('create-payment', { as: org.residents[0]!.login, body: { amount_cents: 10_000 } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await payOnCheckout(res.body.checkout_url);
  await waitFor(async () => expect((await paymentRow(res.body.payment_id)).receipt_path).not.toBeNull());
  return res.body.payment_id as string;
}

describe('receipts-sweep', () => {
  it('writes a receipt that was left unwritten, once it is past the grace, and leaves the rest', async () => {
    const id = await paidPayment();
    // As if the worker had died after the booking committed: no receipt recorded, none stored.
    await q(`update public.payments set receipt_path = null, succeeded_at = now() - interval '10 minutes' where id = $1`, [id]);
    const fresh = await paidPayment();
    await q(`update public.payments set receipt_path = null where id = $1`, [fresh]);

    const service = { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}` };
    const res = await call('receipts-sweep', { headers: service, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // (The stack's own sweep-receipts job may have run meanwhile and written it first: either way
    // the receipt is there, written once.)
    expect(res.body.failed).toBe(0);
    const row = await paymentRow(id);
    expect(row.receipt_path).toBe(`${org.id}/${row.lease_id}/${id}.pdf`);
    // Inside the one-minute grace the webhook's own write may still be running: not swept yet.
    expect((await paymentRow(fresh)).receipt_path).toBeNull();

    const now = await call('receipts-sweep', { headers: service, body: { min_age_seconds: 0 } });
    expect(now.status).toBe(200);
    expect((await paymentRow(fresh)).receipt_path).not.toBeNull();
    const stored = await q(`select count(*)::int as n from storage.objects where bucket_id = 'receipts' and name = $1`, [(await paymentRow(fresh)).receipt_path]);
    expect(stored[0]!.n).toBe(1);
  });

  it('answers only its cron secret or the service role key, and bad bodies with 400', async () => {
    expect((await call('receipts-sweep', { body: {} })).status).toBe(401);
    expect((await call('receipts-sweep', { headers: { 'x-cron-secret': 'not-the-secret' }, body: {} })).status).toBe(401);
    expect((await call('receipts-sweep', { as: org.owner, body: {} })).status).toBe(401);
    const bad = await call('receipts-sweep', { headers: { authorization: `Bearer ${stack().SERVICE_ROLE_KEY}` }, body: { min_age_seconds: -1 } });
    expect(bad.status).toBe(400);
  });
});

import { createClient } from '@supabase/supabase-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../setup/clients.ts';
import {
  balance,
  call,
  enablePayments,
  ledger,
  moneyOrg,
  paymentRow,
  payOnCheckout,
  postForm,
  q,
  signIn,
  stripeClient,
  waitFor,
  type Login,
  type MoneyOrg,
} from './money.ts';

// create-payment through the local stack and the Stripe double: the resident pays on the double's
// hosted Checkout page (form posts, as a person would), the double delivers signed webhooks to the
// real stripe-webhook function, and the database, ledger and Storage are checked afterwards.

const paymentsOf = async (orgId: string) => Number((await q('select count(*) as n from public.payments where org_id = $1', [orgId]))[0]!.n);

async function receiptAs(login: Login, path: string) {
  const client = await signIn(login);
  return client.storage.from('receipts').download(path);
}

describe('create-payment', () => {
  let org: MoneyOrg;
  let other: MoneyOrg;
  let account: string;
  beforeAll(async () => {
    [org, other] = await Promise.all([moneyOrg(), moneyOrg()]);
    [account] = await Promise.all([enablePayments(org), enablePayments(other)]);
  });

  it('takes the open balance through hosted Checkout: one ledger entry, a receipt for the payer and finance staff only', async () => {
    const r = org.residents[0]!;
    const res = await call('create-payment', { as: r.login, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', amount_cents: 120_000, currency: 'USD', checkout_url: expect.stringContaining('/c/pay/cs_test_') });
    const pending = await paymentRow(res.body.payment_id);
    expect(pending).toMatchObject({ status: 'pending', lease_id: r.leaseId, resident_id: r.residentId, stripe_account_id: account, stripe_checkout_session_id: res.body.session_id });

    // A direct charge on the org's account, carrying the plan's fee (starter: 0.5%) and our ids.
    const session = await stripeClient().checkout.sessions.retrieve(res.body.session_id, {}, { stripeAccount: account });
    expect(session.metadata).toEqual({ org_id: org.id, lease_id: r.leaseId, resident_id: r.residentId, payment_id: res.body.payment_id });
    await expect(stripeClient().checkout.sessions.retrieve(res.body.session_id)).rejects.toMatchObject({ statusCode: 404 });

    const page = await payOnCheckout(res.body.checkout_url);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toContain(`/portal/pay/done?payment=${res.body.payment_id}&session=${res.body.session_id}`);

    const done = await waitFor(async () => {
      const p = await paymentRow(res.body.payment_id);
      expect(p.receipt_path).not.toBeNull();
      return p;
    });
    expect(done).toMatchObject({ status: 'succeeded', application_fee_minor: '600', receipt_path: `${org.id}/${r.leaseId}/${res.body.payment_id}.pdf` });
    const pi = await stripeClient().paymentIntents.retrieve(done.stripe_payment_intent_id, {}, { stripeAccount: account });
    expect(pi).toMatchObject({ status: 'succeeded', application_fee_amount: 600, metadata: { payment_id: res.body.payment_id } });

    const entries = (await ledger(r.leaseId)).filter((e) => e.kind === 'payment');
    expect(entries).toEqual([{ kind: 'payment', amount_minor: '-120000', idempotency_key: `stripe:${pi.id}`, payment_id: res.body.payment_id }]);
    expect(await balance(r.leaseId)).toBe(0);

    // Both events (checkout.session.completed, payment_intent.succeeded) arrived; still one entry.
    const events = await q('select type from private.stripe_events where account = $1 order by type', [account]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['checkout.session.completed', 'payment_intent.succeeded']));

    const path = done.receipt_path as string;
    for (const reader of [r.login, org.owner, org.admin, org.manager, org.viewer]) {
      const { data, error } = await receiptAs(reader, path);
      expect(error, reader.email).toBeNull();
      const bytes = Buffer.from(await data!.arrayBuffer());
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    }
    for (const stranger of [org.residents[1]!.login, org.maintenance, other.owner, other.residents[0]!.login]) {
      const { data, error } = await receiptAs(stranger, path);
      expect(data, stranger.email).toBeNull();
      expect(error).not.toBeNull();
    }
    const anon = createClient(stack().API_URL!, stack().ANON_KEY!, { auth: { persistSession: false } });
    expect((await anon.storage.from('receipts').download(path)).data).toBeNull();
  });

  it('writes a receipt for a name outside WinAnsi with an embedded font', async () => {
    const polish = await moneyOrg({ names: ['Łukasz Żółkiewski', 'Zoë Ørsted'], rent: 50_000 });
    await enablePayments(polish);
    const r = polish.residents[0]!;
    const res = await call('create-payment', { as: r.login, body: { amount_cents: 20_000 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await payOnCheckout(res.body.checkout_url);
    const p = await waitFor(async () => {
      const row = await paymentRow(res.body.payment_id);
      expect(row.receipt_path).not.toBeNull();
      return row;
    });
    const { data, error } = await receiptAs(r.login, p.receipt_path);
    expect(error).toBeNull();
    const pdf = Buffer.from(await data!.arrayBuffer()).toString('latin1');
    expect(pdf).toContain('/FontFile2');
    expect(pdf).toContain('DejaVuSans');
    expect(await balance(r.leaseId)).toBe(30_000);
  });

  it('answers 400 with field errors and writes nothing for an invalid body', async () => {
    const r = org.residents[1]!;
    const before = await paymentsOf(org.id);
    const cases: [unknown, string][] = [
      [{ amount_cents: -5 }, 'amount_cents'],
      [{ amount_cents: 0 }, 'amount_cents'],
      [{ amount_cents: 12.5 }, 'amount_cents'],
      [{ amount_cents: '100' }, 'amount_cents'],
      [{ lease_id: 'not-a-uuid' }, 'lease_id'],
    ];
    for (const [body, field] of cases) {
      const res = await call('create-payment', { as: r.login, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(Object.keys(res.body.error.details.fieldErrors)).toEqual([field]);
    }
    const extra = await call('create-payment', { as: r.login, body: { amount_cents: 100, tip: 5 } });
    expect(extra.status).toBe(400);
    const notJson = await call('create-payment', { as: r.login, body: 'amount=5' });
    expect(notJson).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    // More than the open balance, while the org does not allow prepayment.
    const tooMuch = await call('create-payment', { as: r.login, body: { amount_cents: 120_001 } });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details.fieldErrors.amount_cents[0]).toContain('more than the open balance');
    expect(await paymentsOf(org.id)).toBe(before);
  });

  it('takes more than the balance only when the org allows prepayment', async () => {
    const r = org.residents[1]!;
    await q('update public.organizations set allow_prepayment = true where id = $1', [org.id]);
    try {
      const res = await call('create-payment', { as: r.login, body: { amount_cents: 150_000 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.amount_cents).toBe(150_000);
    } finally {
      await q('update public.organizations set allow_prepayment = false where id = $1', [org.id]);
    }
  });

  it('lets a resident pay only into their own lease in their own org; staff cannot use it', async () => {
    const before = await paymentsOf(org.id);
    const mine = org.residents[0]!;
    const res = await call('create-payment', { as: mine.login, body: { lease_id: org.residents[1]!.leaseId } });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const foreign = await call('create-payment', { as: mine.login, body: { lease_id: other.residents[0]!.leaseId } });
    expect(foreign.status).toBe(404);
    for (const staff of [org.owner, org.manager]) {
      const r = await call('create-payment', { as: staff, body: { lease_id: mine.leaseId } });
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    }
    expect((await call('create-payment', { body: {} })).status).toBe(401);
    expect(await paymentsOf(org.id)).toBe(before);
    expect(await paymentsOf(other.id)).toBe(0);
  });

  it('refuses until the org’s connected account can take payments', async () => {
    const fresh = await moneyOrg();
    const r = fresh.residents[0]!;
    const refused = await call('create-payment', { as: r.login, body: {} });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'payments_not_enabled' } } });
    // Onboarding left unfinished: still refused.
    const link = await call('connect-onboarding', { as: fresh.owner });
    await postForm(link.body.url, { action: 'leave' });
    expect((await call('create-payment', { as: r.login, body: {} })).status).toBe(409);
    expect(await paymentsOf(fresh.id)).toBe(0);
    await enablePayments(fresh);
    expect((await call('create-payment', { as: r.login, body: {} })).status).toBe(201);
  });

  it('answers a retried request with the same payment and session (Idempotency-Key)', async () => {
    const r = org.residents[0]!;
    await q(`select private.insert_ledger_entry($1, $2, 'charge', 5000, $3)`, [org.id, r.leaseId, `test-charge-${Date.now()}`]);
    const headers = { 'Idempotency-Key': `portal-${Date.now()}-retry` };
    const first = await call('create-payment', { as: r.login, body: { amount_cents: 5000 }, headers });
    const again = await call('create-payment', { as: r.login, body: { amount_cents: 5000 }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ payment_id: first.body.payment_id, session_id: first.body.session_id, checkout_url: first.body.checkout_url });
  });

  it('keeps a payment whose first card was declined pending-then-failed, and books it once when the next card pays', async () => {
    const fresh = await moneyOrg();
    await enablePayments(fresh);
    const r = fresh.residents;
    const res = await call('create-payment', { as: r[0]!.login, body: {} });
    const declined = await postForm(res.body.checkout_url, { action: 'decline', decline_card: 'pm_card_chargeDeclined' });
    expect(declined.status).toBe(402);
    await waitFor(async () => expect((await paymentRow(res.body.payment_id)).status).toBe('failed'));
    expect((await paymentRow(res.body.payment_id)).failure_reason).toBe('Your card was declined.');
    expect((await ledger(r[0]!.leaseId)).filter((e) => e.kind === 'payment')).toEqual([]);
    await payOnCheckout(res.body.checkout_url, 'pm_card_mastercard');
    await waitFor(async () => expect((await paymentRow(res.body.payment_id)).status).toBe('succeeded'));
    expect((await ledger(r[0]!.leaseId)).filter((e) => e.kind === 'payment')).toHaveLength(1);
    expect(await balance(r[0]!.leaseId)).toBe(0);
  });
});

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../setup/clients.ts';
import { balance, call, control, enablePayments, ledger, moneyOrg, paymentRow, payOnCheckout, postForm, q, stripeClient, waitFor, type MoneyOrg } from './money.ts';

// stripe-webhook as Stripe reaches it: signed deliveries from the double (duplicated, cloned,
// reordered through its controls) and hand-signed posts for what Stripe would never send.

const url = () => `${stack().API_URL}/functions/v1/stripe-webhook`;

async function signed(payload: string, opts: { secret?: string; at?: number } = {}) {
  const header = await stripeClient().webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? stack().STRIPE_CONNECT_WEBHOOK_SECRET!,
    timestamp: opts.at ?? Math.floor(Date.now() / 1000),
  });
  return fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
}

const recorded = async (id: string) => Number((await q('select count(*) as n from private.stripe_events where id = $1', [id]))[0]!.n);

/** A pending payment of the org's first resident, started through create-payment. */
async function started(org: MoneyOrg, amount?: number) {
  const res = await call('create-payment', { as: org.residents[0]!.login, body: amount ? { amount_cents: amount } : {} });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { payment_id: string; checkout_url: string; session_id: string };
}

async function paidFully(org: MoneyOrg, card = 'pm_card_visa') {
  const p = await started(org);
  await payOnCheckout(p.checkout_url, card);
  return waitFor(async () => {
    const row = await paymentRow(p.payment_id);
    expect(row.status).toBe('succeeded');
    return row;
  });
}

describe('stripe-webhook', () => {
  let org: MoneyOrg;
  let account: string;
  beforeAll(async () => {
    org = await moneyOrg();
    account = await enablePayments(org);
  });
  afterEach(async () => {
    await control('/deliveries/resume', {});
    await control('/settings', { copies: 1, shuffle_window_ms: 0 });
  });

  function succeededEvent(paymentId: string, amount: number, id = `evt_test${Date.now()}${Math.random().toString(36).slice(2, 8)}`) {
    return {
      id,
      object: 'event',
      api_version: '2026-11-18.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      account,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'payment_intent.succeeded',
      data: { object: { id: `pi_hand${id.slice(-10)}`, object: 'payment_intent', amount, amount_received: amount, status: 'succeeded', metadata: { payment_id: paymentId }, last_payment_error: null } },
    };
  }

  it('answers 400 and records nothing for a bad, stale or missing signature; the same event correctly signed goes through', async () => {
    const p = await started(org, 10_000);
    const event = succeededEvent(p.payment_id, 10_000);
    const payload = JSON.stringify(event, null, 2);
    const wrongSecret = await signed(payload, { secret: 'whsec_not_ours' });
    const stale = await signed(payload, { at: Math.floor(Date.now() / 1000) - 600 });
    const tampered = await fetch(url(), {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=00' },
      body: payload,
    });
    const missing = await fetch(url(), { method: 'POST', body: payload });
    for (const res of [wrongSecret, stale, tampered, missing]) {
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_signature');
    }
    // Signed for another body: one changed byte.
    const header = await stripeClient().webhooks.generateTestHeaderStringAsync({ payload, secret: stack().STRIPE_CONNECT_WEBHOOK_SECRET! });
    const changed = await fetch(url(), { method: 'POST', headers: { 'stripe-signature': header }, body: payload.replace('10000', '10001') });
    expect(changed.status).toBe(400);
    expect(await recorded(event.id)).toBe(0);
    expect((await paymentRow(p.payment_id)).status).toBe('pending');

    const ok = await signed(payload);
    expect(ok.status).toBe(200);
    expect(await recorded(event.id)).toBe(1);
    expect((await paymentRow(p.payment_id)).status).toBe('succeeded');
    const again = await signed(payload);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect((await ledger(org.residents[0]!.leaseId)).filter((e) => e.payment_id === p.payment_id)).toHaveLength(1);
  });

  it('answers 2xx to event types it does not handle and records nothing; a signed non-event is 400', async () => {
    const event = { ...succeededEvent('x', 1), type: 'customer.tax_id.created', data: { object: { id: 'txi_1', object: 'tax_id' } } };
    const res = await signed(JSON.stringify(event));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, ignored: true });
    expect(await recorded(event.id)).toBe(0);
    const junk = await signed(JSON.stringify({ hello: 'world' }));
    expect(junk.status).toBe(400);
    expect((await fetch(url(), { method: 'GET' })).status).toBe(405);
  });

  it('books a payment once however often and under however many event ids Stripe sends it', async () => {
    const paid = await paidFully(org);
    const lease = org.residents[0]!.leaseId;
    const events = await stripeClient().events.list({ type: 'payment_intent.succeeded', limit: 20 }, { stripeAccount: account });
    const event = events.data.find((e) => (e.data.object as { id: string }).id === paid.stripe_payment_intent_id)!;
    await control(`/events/${event.id}/redeliver`, {});
    const clone = await control(`/events/${event.id}/clone`, {});
    await control(`/events/${event.id}/redeliver`, {});
    await waitFor(async () => expect(await recorded(clone.body.id)).toBe(1));
    await waitFor(async () => {
      const { body } = await control(`/deliveries?event=${event.id}`);
      expect(body.data.every((d: { status: string }) => d.status === 'succeeded')).toBe(true);
      expect(body.data.length).toBeGreaterThanOrEqual(3);
    });
    expect((await ledger(lease)).filter((e) => e.payment_id === paid.id)).toHaveLength(1);
  });

  it('never moves a payment back when events arrive out of order', async () => {
    const fresh = await moneyOrg();
    const acct = await enablePayments(fresh);
    const p = await started(fresh);
    await control('/deliveries/pause', {});
    expect((await postForm(p.checkout_url, { action: 'decline', decline_card: 'pm_card_chargeDeclinedInsufficientFunds' })).status).toBe(402);
    await payOnCheckout(p.checkout_url);
    // succeeded, completed, ..., payment_failed last
    expect((await control('/deliveries/resume', { order: 'reverse' })).status).toBe(200);
    const [failed] = (await stripeClient().events.list({ type: 'payment_intent.payment_failed' }, { stripeAccount: acct })).data;
    await waitFor(async () => {
      const { body } = await control(`/deliveries?event=${failed!.id}`);
      expect(body.data.map((d: { status: string }) => d.status)).toEqual(['succeeded']);
    });
    const row = await paymentRow(p.payment_id);
    expect(row.status).toBe('succeeded');
    expect((await ledger(fresh.residents[0]!.leaseId)).filter((e) => e.kind === 'payment')).toHaveLength(1);
    expect(await balance(fresh.residents[0]!.leaseId)).toBe(0);
  });

  it('posts each refund once as a refund entry and marks a fully refunded payment refunded', async () => {
    const fresh = await moneyOrg();
    const acct = await enablePayments(fresh);
    const lease = fresh.residents[0]!.leaseId;
    const paid = await paidFully(fresh);
    await stripeClient().refunds.create({ payment_intent: paid.stripe_payment_intent_id, amount: 30_000 }, { stripeAccount: acct });
    await waitFor(async () => expect((await paymentRow(paid.id)).refunded_minor).toBe('30000'));
    expect((await paymentRow(paid.id)).status).toBe('succeeded');
    await stripeClient().refunds.create({ payment_intent: paid.stripe_payment_intent_id }, { stripeAccount: acct });
    await waitFor(async () => expect((await paymentRow(paid.id)).status).toBe('refunded'));
    // Redelivering the first refund's event (an older, smaller amount_refunded) changes nothing.
    const refunds = await stripeClient().events.list({ type: 'charge.refunded', limit: 10 }, { stripeAccount: acct });
    for (const e of refunds.data) await control(`/events/${e.id}/clone`, {});
    await new Promise((r) => setTimeout(r, 500));
    const entries = (await ledger(lease)).filter((e) => e.payment_id === paid.id);
    expect(entries.map((e) => [e.kind, e.amount_minor])).toEqual([
      ['payment', '-120000'],
      ['refund', '30000'],
      ['refund', '90000'],
    ]);
    expect(await balance(lease)).toBe(120_000);
    expect((await paymentRow(paid.id)).refunded_minor).toBe('120000');
  });

  it('reverses a payment whose dispute is lost, and leaves one that is won', async () => {
    const fresh = await moneyOrg();
    const acct = await enablePayments(fresh);
    const lease = fresh.residents[0]!.leaseId;
    const lost = await paidFully(fresh, 'pm_card_createDispute');
    const dispute = await waitFor(async () => {
      const row = await paymentRow(lost.id);
      expect(row.dispute_status).toBe('needs_response');
      const [d] = (await stripeClient().disputes.list({ payment_intent: lost.stripe_payment_intent_id }, { stripeAccount: acct })).data;
      return d!;
    });
    expect(await balance(lease)).toBe(0);
    await stripeClient().disputes.close(dispute.id, {}, { stripeAccount: acct });
    await waitFor(async () => expect((await paymentRow(lost.id)).dispute_status).toBe('lost'));
    const entries = (await ledger(lease)).filter((e) => e.payment_id === lost.id);
    expect(entries.map((e) => [e.kind, e.amount_minor, e.idempotency_key])).toEqual([
      ['payment', '-120000', `stripe:${lost.stripe_payment_intent_id}`],
      ['reversal', '120000', `dispute:${dispute.id}`],
    ]);
    expect(await balance(lease)).toBe(120_000);

    const other = fresh.residents[1]!;
    const p = await call('create-payment', { as: other.login, body: {} });
    await payOnCheckout(p.body.checkout_url, 'pm_card_createDispute');
    const wonDispute = await waitFor(async () => {
      const row = await paymentRow(p.body.payment_id);
      expect(row.dispute_status).toBe('needs_response');
      return (await stripeClient().disputes.list({ payment_intent: row.stripe_payment_intent_id }, { stripeAccount: acct })).data[0]!;
    });
    await control(`/disputes/${wonDispute.id}/resolve`, { outcome: 'won' });
    await waitFor(async () => expect((await paymentRow(p.body.payment_id)).dispute_status).toBe('won'));
    expect((await ledger(other.leaseId)).filter((e) => e.payment_id === p.body.payment_id).map((e) => e.kind)).toEqual(['payment']);
    expect(await balance(other.leaseId)).toBe(0);
  });
});

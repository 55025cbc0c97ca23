import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStripe, type StripeHandle } from '../../local-stack/stripe/index.ts';
import { serviceClient, stack } from '../setup/clients.ts';
import { freePort } from '../setup/test-stack.ts';

// The Stripe double through the official `stripe` client, as Lintel's functions will use it, with
// webhooks received by a small local server that verifies every delivery with
// `stripe.webhooks.constructEventAsync`. Each double here is this file's own, on a free port.

interface Received {
  path: string;
  raw: string;
  signature: string;
  event: Stripe.Event;
}

/** A webhook receiver: verifies each delivery with its path's secret, answers as scripted. */
async function startReceiver(verifier: Stripe) {
  const secrets = new Map<string, string>();
  const scripts = new Map<string, number[]>();
  const received: Received[] = [];
  const rejected: { path: string; error: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const signature = String(req.headers['stripe-signature'] ?? '');
        try {
          const event = await verifier.webhooks.constructEventAsync(raw, signature, secrets.get(path) ?? 'whsec_unknown');
          received.push({ path, raw, signature, event });
        } catch (err) {
          rejected.push({ path, error: (err as Error).message });
          res.writeHead(400).end();
          return;
        }
        const status = scripts.get(path)?.shift() ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
      })();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    secrets,
    /** The next answers of a path, e.g. [500, 500] then 200s. */
    script: (path: string, statuses: number[]) => scripts.set(path, [...statuses]),
    received,
    rejected,
    events: (filter: { type?: string; object?: string; path?: string }) =>
      received
        .filter((r) => (!filter.path || r.path === filter.path) && (!filter.type || r.event.type === filter.type))
        .filter((r) => !filter.object || (r.event.data.object as { id?: string }).id === filter.object),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const client = (d: { host: string; port: number }, key = 'sk_test_lintel_tests') =>
  new Stripe(key, { host: d.host, port: d.port, protocol: 'http', maxNetworkRetries: 0 });

const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 15_000, interval: 20 });

/** One delivered event of this type about this object (fails until it arrives). */
async function delivered<T extends Stripe.Event['type']>(r: Receiver, type: T, object: string, path = '/platform') {
  return waitFor(() => {
    const hits = r.events({ type, object, path });
    expect(hits.length).toBeGreaterThan(0);
    return hits[0]!.event as Extract<Stripe.Event, { type: T }>;
  });
}

async function control(d: StripeHandle, path: string, body?: object) {
  const res = await fetch(`${d.url}/_double${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const postForm = (url: string, form: Record<string, string>) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

describe('Stripe double', () => {
  let double: StripeHandle;
  let stripe: Stripe;
  let receiver: Receiver;
  const PLATFORM_SECRET = 'whsec_test_platform_secret_for_stripe_double';
  const CONNECT_SECRET = 'whsec_test_connect_secret_for_stripe_double';

  beforeAll(async () => {
    receiver = await startReceiver(new Stripe('sk_test_verifier'));
    receiver.secrets.set('/platform', PLATFORM_SECRET);
    receiver.secrets.set('/connect', CONNECT_SECRET);
    double = await startStripe({
      port: 0,
      endpoints: [
        { url: receiver.url('/platform'), secret: PLATFORM_SECRET },
        { url: receiver.url('/connect'), secret: CONNECT_SECRET, connect: true },
      ],
      retry: { baseMs: 20, maxAttempts: 8 },
      achSettleMs: 3_600_000,
      disputeDelayMs: 10,
    });
    stripe = client(double);
  });
  afterAll(async () => {
    await double?.stop();
    await receiver?.stop();
  });

  it('takes Checkout payments on its hosted page and delivers signed checkout.session.completed and payment_intent.succeeded', async () => {
    const customer = await stripe.customers.create({ email: 'resident@acme.test', name: 'Rae Resident', metadata: { resident: 'r-1' } });
    expect(customer).toMatchObject({ object: 'customer', email: 'resident@acme.test', livemode: false, metadata: { resident: 'r-1' }, balance: 0 });
    expect(customer.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);

    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      line_items: [{ price_data: { currency: 'usd', unit_amount: 125_000, product_data: { name: 'Rent, unit 4B' } }, quantity: 1 }],
      payment_intent_data: { metadata: { lease: 'lease-4b', period: '2026-01' } },
      success_url: 'https://app.lintel.test/portal/pay/done?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.lintel.test/portal/pay',
      metadata: { lease: 'lease-4b' },
    });
    expect(session).toMatchObject({ object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid', amount_total: 125_000, currency: 'usd', payment_intent: null });
    expect(session.id).toMatch(/^cs_test_a1[A-Za-z0-9]{56}$/);
    expect(session.url).toBe(`${double.url}/c/pay/${session.id}`);

    const lines = await stripe.checkout.sessions.listLineItems(session.id);
    expect(lines.data).toHaveLength(1);
    expect(lines.data[0]).toMatchObject({ object: 'item', description: 'Rent, unit 4B', quantity: 1, amount_total: 125_000 });

    const page = await fetch(session.url!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="email">Email</label>');
    expect(html).toContain('<label for="card">Card</label>');
    for (const action of ['pay', 'decline', 'abandon']) expect(html).toContain(`<button type="submit" name="action" value="${action}"`);
    expect(html).toContain('$1,250.00');

    const paid = await postForm(session.url!, { action: 'pay', card: 'pm_card_visa', email: 'resident@acme.test' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://app.lintel.test/portal/pay/done?session=${session.id}`);

    const completed = await delivered(receiver, 'checkout.session.completed', session.id);
    expect(completed.data.object).toMatchObject({ status: 'complete', payment_status: 'paid', customer: customer.id, url: null, metadata: { lease: 'lease-4b' } });
    const piId = completed.data.object.payment_intent as string;
    expect(piId).toMatch(/^pi_[A-Za-z0-9]{24}$/);
    expect(completed.livemode).toBe(false);
    expect(completed.account).toBeUndefined();
    expect(completed.request).toEqual({ id: null, idempotency_key: null });

    const succeeded = await delivered(receiver, 'payment_intent.succeeded', piId);
    expect(succeeded.data.object).toMatchObject({ status: 'succeeded', amount: 125_000, amount_received: 125_000, customer: customer.id, metadata: { lease: 'lease-4b', period: '2026-01' } });

    // Signed exactly as the official helper signs: same header for the same body, secret and time.
    const hit = receiver.events({ type: 'payment_intent.succeeded', object: piId })[0]!;
    const t = Number(/t=(\d+)/.exec(hit.signature)![1]);
    expect(hit.signature).toBe(await stripe.webhooks.generateTestHeaderStringAsync({ payload: hit.raw, secret: PLATFORM_SECRET, timestamp: t }));
    await expect(stripe.webhooks.constructEventAsync(hit.raw.replace('125000', '125001'), hit.signature, PLATFORM_SECRET)).rejects.toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    await expect(stripe.webhooks.constructEventAsync(hit.raw, hit.signature, CONNECT_SECRET)).rejects.toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(receiver.rejected).toEqual([]);

    const pi = await stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge'] });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', status: 'succeeded', paid: true, captured: true, amount: 125_000, payment_intent: piId, refunded: false, disputed: false });
    expect(charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    const again = await stripe.checkout.sessions.retrieve(session.id);
    expect(again).toMatchObject({ status: 'complete', payment_intent: piId, customer_details: { email: 'resident@acme.test' } });
  });

  it('answers a declined card on the page with payment_intent.payment_failed and expires an abandoned session', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 90_000, product_data: { name: 'Rent' } }, quantity: 1 }],
      success_url: 'https://app.lintel.test/ok',
      cancel_url: 'https://app.lintel.test/cancelled',
    });
    const declined = await postForm(session.url!, { action: 'decline', decline_card: 'pm_card_chargeDeclined' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('<p role="alert">Your card was declined.</p>');
    const open = await stripe.checkout.sessions.retrieve(session.id);
    expect(open.status).toBe('open');
    const piId = open.payment_intent as string;
    const failed = await delivered(receiver, 'payment_intent.payment_failed', piId);
    expect(failed.data.object).toMatchObject({ status: 'requires_payment_method', payment_method: null });
    expect(failed.data.object.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    await delivered(receiver, 'charge.failed', failed.data.object.latest_charge as string);

    const abandoned = await postForm(session.url!, { action: 'abandon' });
    expect(abandoned.status).toBe(303);
    expect(abandoned.headers.get('location')).toBe('https://app.lintel.test/cancelled');
    const expired = await delivered(receiver, 'checkout.session.expired', session.id);
    expect(expired.data.object).toMatchObject({ status: 'expired', url: null, payment_status: 'unpaid' });
    expect((await stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect(await (await fetch(session.url!)).text()).toContain('This Checkout Session is expired.');

    const other = await stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price_data: { currency: 'usd', unit_amount: 5_000, product_data: { name: 'Fee' } }, quantity: 1 }] });
    expect((await stripe.checkout.sessions.expire(other.id)).status).toBe('expired');
    await expect(stripe.checkout.sessions.expire(other.id)).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
  });

  it('saves a card with a SetupIntent and charges it off-session for autopay, with Stripe’s declines', async () => {
    const customer = await stripe.customers.create({ email: 'autopay@acme.test' });
    const si = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', confirm: true, usage: 'off_session' });
    expect(si).toMatchObject({ object: 'setup_intent', status: 'succeeded', customer: customer.id, usage: 'off_session' });
    const pmId = si.payment_method as string;
    expect(pmId).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    await delivered(receiver, 'setup_intent.succeeded', si.id);
    const attached = await delivered(receiver, 'payment_method.attached', pmId);
    expect(attached.data.object).toMatchObject({ customer: customer.id, type: 'card', card: { brand: 'visa', last4: '4242' } });
    expect((await stripe.customers.listPaymentMethods(customer.id)).data.map((p) => p.id)).toEqual([pmId]);
    expect((await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data.map((p) => p.id)).toEqual([pmId]);
    const updated = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pmId } });
    expect(updated.invoice_settings.default_payment_method).toBe(pmId);

    const pi = await stripe.paymentIntents.create({ amount: 150_000, currency: 'usd', customer: customer.id, payment_method: pmId, confirm: true, off_session: true, metadata: { lease: 'l-9' } });
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 150_000, payment_method: pmId });
    expect(pi.latest_charge).toMatch(/^ch_/);

    // 4000000000000341 attaches, then every charge fails: the autopay failure case.
    const failing = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_chargeCustomerFail', confirm: true });
    expect(failing.status).toBe('succeeded');
    const err = await stripe.paymentIntents
      .create({ amount: 150_000, currency: 'usd', customer: customer.id, payment_method: failing.payment_method as string, confirm: true, off_session: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    const cardErr = err as Stripe.errors.StripeCardError;
    expect(cardErr).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline', doc_url: 'https://stripe.com/docs/error-codes/card-declined' });
    const failedPi = cardErr.payment_intent!;
    expect(failedPi.status).toBe('requires_payment_method');
    await delivered(receiver, 'payment_intent.payment_failed', failedPi.id);

    const poor = await stripe.paymentIntents.create({ amount: 2_000, currency: 'usd', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true }).catch((e: unknown) => e);
    expect(poor).toMatchObject({ type: 'StripeCardError', decline_code: 'insufficient_funds', message: expect.stringContaining('Your card has insufficient funds.') });

    const detached = await stripe.paymentMethods.detach(pmId);
    expect(detached.customer).toBeNull();
    await delivered(receiver, 'payment_method.detached', pmId);
    await expect(stripe.paymentIntents.create({ amount: 1_000, currency: 'usd', payment_method: pmId, confirm: true })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      message: expect.stringContaining('may not be used again'),
    });
    await expect(stripe.paymentIntents.create({ amount: 20, currency: 'usd' })).rejects.toMatchObject({ code: 'amount_too_small', param: 'amount' });
    await expect(stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams)).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'amount',
      message: expect.stringContaining('Missing required param: amount.'),
    });
  });

  it('saves a card through Checkout in setup mode, and cancels an unpaid PaymentIntent', async () => {
    const customer = await stripe.customers.create({ email: 'setup@acme.test' });
    const session = await stripe.checkout.sessions.create({ mode: 'setup', customer: customer.id, currency: 'usd', success_url: 'https://app.lintel.test/autopay/done' });
    expect(session).toMatchObject({ mode: 'setup', status: 'open', payment_status: 'no_payment_required', amount_total: null, setup_intent: null });
    expect(await (await fetch(session.url!)).text()).toContain('>Save card</button>');
    expect((await postForm(session.url!, { action: 'pay', card: 'pm_card_mastercard' })).status).toBe(303);
    const completed = await delivered(receiver, 'checkout.session.completed', session.id);
    const siId = completed.data.object.setup_intent as string;
    const si = await delivered(receiver, 'setup_intent.succeeded', siId);
    expect(si.data.object).toMatchObject({ customer: customer.id, status: 'succeeded' });
    const [pm] = (await stripe.customers.listPaymentMethods(customer.id)).data;
    expect(pm).toMatchObject({ id: si.data.object.payment_method, customer: customer.id, card: { brand: 'mastercard', last4: '4444' } });

    const unpaid = await stripe.paymentIntents.create({ amount: 3_000, currency: 'usd', customer: customer.id });
    expect(unpaid).toMatchObject({ status: 'requires_payment_method', payment_method: null, latest_charge: null, client_secret: expect.stringMatching(new RegExp(`^${unpaid.id}_secret_`)) });
    const canceled = await stripe.paymentIntents.cancel(unpaid.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    await delivered(receiver, 'payment_intent.canceled', unpaid.id);
    await expect(stripe.paymentIntents.confirm(unpaid.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
  });

  it('refunds in part and in full, each time delivering charge.refunded', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 100_000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const chargeId = pi.latest_charge as string;
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 30_000, reason: 'requested_by_customer' });
    expect(partial).toMatchObject({ object: 'refund', status: 'succeeded', amount: 30_000, charge: chargeId, payment_intent: pi.id });
    await waitFor(() => expect(receiver.events({ type: 'charge.refunded', object: chargeId })).toHaveLength(1));
    const first = receiver.events({ type: 'charge.refunded', object: chargeId })[0]!.event as Stripe.ChargeRefundedEvent;
    expect(first.data.object).toMatchObject({ amount_refunded: 30_000, refunded: false });
    expect(first.data.previous_attributes).toMatchObject({ amount_refunded: 0 });

    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 80_000 })).rejects.toMatchObject({ code: 'amount_too_large', statusCode: 400 });
    const rest = await stripe.refunds.create({ payment_intent: pi.id });
    expect(rest.amount).toBe(70_000);
    await waitFor(() => expect(receiver.events({ type: 'charge.refunded', object: chargeId })).toHaveLength(2));
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 100_000, refunded: true });
    await expect(stripe.refunds.create({ payment_intent: pi.id })).rejects.toMatchObject({ code: 'charge_already_refunded' });
  });

  it('opens disputes for pm_card_createDispute and closes them lost (close), won (test control) or by test evidence', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 80_000, currency: 'usd', payment_method: 'pm_card_createDispute', confirm: true });
    expect(pi.status).toBe('succeeded');
    const chargeId = pi.latest_charge as string;
    const created = await waitFor(() => {
      const hit = receiver.events({ type: 'charge.dispute.created' }).find((r) => (r.event.data.object as Stripe.Dispute).charge === chargeId);
      expect(hit).toBeDefined();
      return hit!.event as Stripe.ChargeDisputeCreatedEvent;
    });
    const dispute = created.data.object;
    expect(dispute).toMatchObject({ object: 'dispute', status: 'needs_response', reason: 'fraudulent', amount: 80_000, payment_intent: pi.id });
    expect((await stripe.charges.retrieve(chargeId)).disputed).toBe(true);
    await expect(stripe.refunds.create({ payment_intent: pi.id })).rejects.toMatchObject({ code: 'charge_disputed' });

    const lost = await stripe.disputes.close(dispute.id);
    expect(lost.status).toBe('lost');
    const closed = await delivered(receiver, 'charge.dispute.closed', dispute.id);
    expect(closed.data.object.status).toBe('lost');
    expect(closed.data.previous_attributes).toEqual({ status: 'needs_response' });

    const second = await stripe.paymentIntents.create({ amount: 40_000, currency: 'usd', payment_method: 'pm_card_createDispute', confirm: true });
    const dp2 = await waitFor(async () => {
      const list = await stripe.disputes.list({ payment_intent: second.id });
      expect(list.data).toHaveLength(1);
      return list.data[0]!;
    });
    const won = await control(double, `/disputes/${dp2.id}/resolve`, { outcome: 'won' });
    expect(won).toMatchObject({ status: 200, body: { id: dp2.id, status: 'won' } });
    expect((await delivered(receiver, 'charge.dispute.closed', dp2.id)).data.object.status).toBe('won');
    await delivered(receiver, 'charge.dispute.funds_reinstated', dp2.id);

    const third = await stripe.paymentIntents.create({ amount: 40_000, currency: 'usd', payment_method: 'pm_card_createDispute', confirm: true });
    const dp3 = await waitFor(async () => {
      const [found] = (await stripe.disputes.list({ payment_intent: third.id })).data;
      expect(found).toBeDefined();
      return found!;
    });
    const evidence = await stripe.disputes.update(dp3.id, { evidence: { uncategorized_text: 'winning_evidence' } });
    expect(evidence).toMatchObject({ status: 'won', evidence: { uncategorized_text: 'winning_evidence' }, evidence_details: { has_evidence: true, submission_count: 1 } });
    await delivered(receiver, 'charge.dispute.updated', dp3.id);
    expect((await delivered(receiver, 'charge.dispute.closed', dp3.id)).data.object.status).toBe('won');
  });

  it('takes ACH-like bank debits through processing to succeeded', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 120_000, currency: 'usd', payment_method: 'pm_usBankAccount_success', allowed_payment_method_types: ['us_bank_account'], confirm: true });
    expect(pi.status).toBe('processing');
    await delivered(receiver, 'payment_intent.processing', pi.id);
    await expect(stripe.paymentIntents.cancel(pi.id)).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
    const settled = await control(double, `/payment_intents/${pi.id}/settle`, {});
    expect(settled.body.status).toBe('succeeded');
    await delivered(receiver, 'payment_intent.succeeded', pi.id);
    expect((await stripe.charges.retrieve(pi.latest_charge as string)).payment_method_details).toMatchObject({ type: 'us_bank_account', us_bank_account: { last4: '6789' } });
  });

  it('onboards a connected account through an Account Link and delivers account.updated to the Connect endpoint', async () => {
    const account = await stripe.accounts.create({ type: 'express', email: 'owner@acme.test', business_profile: { name: 'Acme Property Co' }, capabilities: { card_payments: { requested: true }, transfers: { requested: true } } });
    expect(account).toMatchObject({ object: 'account', type: 'express', charges_enabled: false, payouts_enabled: false, details_submitted: false, capabilities: { card_payments: 'inactive', transfers: 'inactive' } });
    expect(account.id).toMatch(/^acct_[A-Za-z0-9]{16}$/);
    expect(account.requirements?.currently_due?.length).toBeGreaterThan(0);

    const links = { refresh_url: 'https://app.lintel.test/settings/payouts/refresh', return_url: 'https://app.lintel.test/settings/payouts/done' };
    const left = await stripe.accountLinks.create({ account: account.id, type: 'account_onboarding', ...links });
    expect(left).toMatchObject({ object: 'account_link' });
    expect(left.expires_at - left.created).toBe(300);
    const page = await (await fetch(left.url)).text();
    expect(page).toContain('value="complete">Complete onboarding</button>');
    expect(page).toContain('value="leave" class="secondary">Leave unfinished</button>');
    const leave = await postForm(left.url, { action: 'leave' });
    expect(leave.headers.get('location')).toBe(links.return_url);
    expect((await stripe.accounts.retrieve(account.id)).details_submitted).toBe(false);
    // Account Links are single-use: a second visit goes to refresh_url.
    const reused = await fetch(left.url, { redirect: 'manual' });
    expect(reused.status).toBe(303);
    expect(reused.headers.get('location')).toBe(links.refresh_url);

    const link = await stripe.accountLinks.create({ account: account.id, type: 'account_onboarding', ...links });
    const done = await postForm(link.url, { action: 'complete' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(links.return_url);
    const updated = await delivered(receiver, 'account.updated', account.id, '/connect');
    expect(updated.account).toBe(account.id);
    expect(updated.data.object).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true, capabilities: { card_payments: 'active', transfers: 'active' } });
    expect(updated.data.previous_attributes).toMatchObject({ charges_enabled: false, details_submitted: false });
    expect(receiver.events({ type: 'account.updated', object: account.id, path: '/platform' })).toEqual([]);
    // Signed with the Connect endpoint's own secret, not the platform one.
    const hit = receiver.events({ type: 'account.updated', object: account.id })[0]!;
    await expect(stripe.webhooks.constructEventAsync(hit.raw, hit.signature, PLATFORM_SECRET)).rejects.toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect((await stripe.events.retrieve(updated.id, {}, { stripeAccount: account.id })).type).toBe('account.updated');
  });

  it('keeps direct charges on the connected account: wrong or missing account → 404, fee accepted only there', async () => {
    const acme = await stripe.accounts.create({ type: 'standard', email: 'acme@acme.test' });
    const birch = await stripe.accounts.create({ type: 'standard', email: 'birch@birch.test' });
    const customer = await stripe.customers.create({ email: 'r@acme.test' }, { stripeAccount: acme.id });
    const pi = await stripe.paymentIntents.create(
      { amount: 110_000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true, application_fee_amount: 1_100, metadata: { lease: 'l-1' } },
      { stripeAccount: acme.id },
    );
    expect(pi).toMatchObject({ status: 'succeeded', application_fee_amount: 1_100 });
    expect(pi.application).toMatch(/^ca_/);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, {}, { stripeAccount: acme.id });
    expect(charge).toMatchObject({ application_fee_amount: 1_100, paid: true });
    expect(charge.application_fee).toMatch(/^fee_/);

    for (const options of [undefined, { stripeAccount: birch.id }]) {
      const err = await stripe.paymentIntents.retrieve(pi.id, {}, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'intent', message: expect.stringContaining(`No such payment_intent: '${pi.id}'`) });
    }
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.paymentIntents.create({ amount: 1_000, currency: 'usd', customer: customer.id }, { stripeAccount: birch.id })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'customer',
    });

    const succeeded = await delivered(receiver, 'payment_intent.succeeded', pi.id, '/connect');
    expect(succeeded.account).toBe(acme.id);
    expect(receiver.events({ object: pi.id, path: '/platform' })).toEqual([]);
    expect((await stripe.events.retrieve(succeeded.id, {}, { stripeAccount: acme.id })).id).toBe(succeeded.id);
    await expect(stripe.events.retrieve(succeeded.id)).rejects.toMatchObject({ statusCode: 404 });

    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 10_000 }, { stripeAccount: acme.id });
    expect(refund.amount).toBe(10_000);
    await delivered(receiver, 'charge.refunded', charge.id, '/connect');

    await expect(stripe.paymentIntents.create({ amount: 1_000, currency: 'usd', application_fee_amount: 10 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'application_fee_amount',
    });
    const stranger = await stripe.customers.create({}, { stripeAccount: 'acct_1NotConnectedAtAll' }).catch((e: unknown) => e);
    expect(stranger).toBeInstanceOf(Stripe.errors.StripePermissionError);
  });

  it('runs subscriptions: create, cycle, failed payment, recovery, price change, cancel', async () => {
    const product = await stripe.products.create({ name: 'Lintel Growth' });
    const monthly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 4_900, recurring: { interval: 'month' }, lookup_key: 'growth_monthly' });
    expect(monthly).toMatchObject({ object: 'price', type: 'recurring', unit_amount: 4_900, recurring: { interval: 'month', interval_count: 1 } });
    expect(String(monthly.unit_amount_decimal)).toBe('4900');
    expect((await stripe.prices.list({ lookup_keys: ['growth_monthly'] })).data.map((p) => p.id)).toEqual([monthly.id]);
    const bigger = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 9_900, recurring: { interval: 'month' } });

    const customer = await stripe.customers.create({ email: 'owner@birch.test', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    expect(customer.invoice_settings.default_payment_method).toMatch(/^pm_/);
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], metadata: { org: 'birch' } });
    expect(sub).toMatchObject({ object: 'subscription', status: 'active', customer: customer.id, metadata: { org: 'birch' } });
    const item = sub.items.data[0]!;
    expect(item.price.id).toBe(monthly.id);
    const firstInvoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(firstInvoice).toMatchObject({ status: 'paid', amount_paid: 4_900, billing_reason: 'subscription_create', parent: { subscription_details: { subscription: sub.id } } });
    await delivered(receiver, 'customer.subscription.created', sub.id);
    await delivered(receiver, 'invoice.paid', firstInvoice.id);

    const cycle = await control(double, `/subscriptions/${sub.id}/advance`, {});
    expect(cycle.status).toBe(200);
    expect(cycle.body.invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_cycle', amount_paid: 4_900 });
    expect(cycle.body.subscription.items.data[0].current_period_start).toBe(item.current_period_end);
    await delivered(receiver, 'invoice.paid', cycle.body.invoice.id);

    expect((await control(double, `/subscriptions/${sub.id}/fail_next_payment`, {})).status).toBe(200);
    const failing = await control(double, `/subscriptions/${sub.id}/advance`, {});
    expect(failing.body.invoice).toMatchObject({ status: 'open', attempt_count: 1, amount_paid: 0 });
    expect(failing.body.subscription.status).toBe('past_due');
    const failed = await delivered(receiver, 'invoice.payment_failed', failing.body.invoice.id);
    expect(failed.data.object.next_payment_attempt).toBeGreaterThan(failed.created);
    const pastDue = await waitFor(() => {
      const hit = receiver.events({ type: 'customer.subscription.updated', object: sub.id }).find((r) => (r.event.data.object as Stripe.Subscription).status === 'past_due');
      expect(hit).toBeDefined();
      return hit!.event as Stripe.CustomerSubscriptionUpdatedEvent;
    });
    expect(pastDue.data.previous_attributes).toMatchObject({ status: 'active' });

    const recovered = await stripe.invoices.pay(failing.body.invoice.id);
    expect(recovered.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');

    const upgraded = await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price: bigger.id }], proration_behavior: 'none' });
    expect(upgraded.items.data.map((i) => [i.id, i.price.id])).toEqual([[item.id, bigger.id]]);
    const canceled = await stripe.subscriptions.cancel(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled' });
    expect(canceled.canceled_at).toBeGreaterThan(0);
    await delivered(receiver, 'customer.subscription.deleted', sub.id);
  });

  it('subscribes through Checkout in subscription mode', async () => {
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 2_900, recurring: { interval: 'month' }, product_data: { name: 'Lintel Starter' } });
    await expect(stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: price.id, quantity: 1 }] })).rejects.toMatchObject({ statusCode: 400 });
    const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], customer_email: 'new-owner@acme.test', success_url: 'https://app.lintel.test/billing/done' });
    const res = await postForm(session.url!, { action: 'pay', card: 'pm_card_visa', email: 'new-owner@acme.test' });
    expect(res.status).toBe(303);
    const completed = await delivered(receiver, 'checkout.session.completed', session.id);
    const subId = completed.data.object.subscription as string;
    expect(subId).toMatch(/^sub_/);
    expect(completed.data.object.customer).toMatch(/^cus_/);
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub).toMatchObject({ status: 'active', customer: completed.data.object.customer });
    expect((await stripe.customers.retrieve(sub.customer as string)) as Stripe.Customer).toMatchObject({ email: 'new-owner@acme.test' });
  });

  it('replays an Idempotency-Key’s response and refuses the key with other parameters', async () => {
    const first = await stripe.customers.create({ email: 'idem@acme.test' }, { idempotencyKey: 'idem-customer-1' });
    const second = await stripe.customers.create({ email: 'idem@acme.test' }, { idempotencyKey: 'idem-customer-1' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.customers.list({ email: 'idem@acme.test' })).data).toHaveLength(1);
    const mismatch = await stripe.customers.create({ email: 'other@acme.test' }, { idempotencyKey: 'idem-customer-1' }).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(mismatch).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });

    // A decline ran the endpoint, so it is saved too: the retry gets the same 402, not a second charge.
    const params = { amount: 5_000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
    const a = (await stripe.paymentIntents.create(params, { idempotencyKey: 'idem-pi-1' }).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    const b = (await stripe.paymentIntents.create(params, { idempotencyKey: 'idem-pi-1' }).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(a).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(b.payment_intent!.id).toBe(a.payment_intent!.id);
    expect(b.charge).toBe(a.charge);
    expect((await stripe.charges.list({ payment_intent: a.payment_intent!.id })).data).toHaveLength(1);
  });

  it('answers bad keys and unknown paths as Stripe does', async () => {
    for (const key of ['sk_live_notallowed123456', 'nope']) {
      const err = await client(double, key).customers.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(err).toMatchObject({ statusCode: 401, message: expect.stringContaining('Invalid API Key provided') });
    }
    const missing = await fetch(`${double.url}/v1/customers`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('You did not provide an API key'),
    });
    const unknown = await fetch(`${double.url}/v1/no_such_things`, { headers: { authorization: 'Bearer sk_test_x' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      'Unrecognized request URL (GET: /v1/no_such_things). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
    );
  });

  it('lists and re-fetches events, and manages webhook endpoints through the API', async () => {
    const customer = await stripe.customers.create({ email: 'events@acme.test' });
    const events = await stripe.events.list({ type: 'customer.created', limit: 100 });
    const event = events.data.find((e) => (e.data.object as Stripe.Customer).id === customer.id)!;
    expect(event).toMatchObject({ object: 'event', type: 'customer.created', api_version: Stripe.API_VERSION, livemode: false });
    expect(event.request?.id).toMatch(/^req_/);
    const refetched = await stripe.events.retrieve(event.id);
    expect(refetched.data.object).toEqual(event.data.object);

    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url('/extra'), enabled_events: ['customer.updated'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', enabled_events: ['customer.updated'] });
    receiver.secrets.set('/extra', endpoint.secret!);
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined();
    await stripe.customers.update(customer.id, { name: 'Evie Events' });
    const hit = await delivered(receiver, 'customer.updated', customer.id, '/extra');
    expect(hit.data.previous_attributes).toEqual({ name: null });
    expect(receiver.events({ type: 'customer.created', object: customer.id, path: '/extra' })).toEqual([]);
    expect((await stripe.webhookEndpoints.del(endpoint.id)).deleted).toBe(true);
  });
});

describe('Stripe double webhook delivery', () => {
  let double: StripeHandle;
  let stripe: Stripe;
  let receiver: Receiver;
  const SECRET = 'whsec_delivery_tests_secret';

  beforeAll(async () => {
    receiver = await startReceiver(new Stripe('sk_test_verifier'));
    for (const path of ['/flaky', '/dead', '/slow']) receiver.secrets.set(path, SECRET);
    double = await startStripe({ port: 0, endpoints: [{ url: receiver.url('/flaky'), secret: SECRET, enabledEvents: ['customer.created', 'customer.updated'] }], retry: { baseMs: 10, maxAttempts: 4 } });
    stripe = client(double);
  });
  afterAll(async () => {
    await double?.stop();
    await receiver?.stop();
  });

  it('retries with backoff when the endpoint answers 500 twice, then stops at 200', async () => {
    receiver.script('/flaky', [500, 500]);
    const customer = await stripe.customers.create({ email: 'retry@acme.test' });
    await waitFor(() => expect(receiver.events({ object: customer.id })).toHaveLength(3));
    const ids = new Set(receiver.events({ object: customer.id }).map((r) => r.event.id));
    expect(ids.size).toBe(1);
    const [event] = ids;
    const { body } = await control(double, `/deliveries?event=${event}`);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ status: 'succeeded', type: 'customer.created', copy: 1 });
    expect(body.data[0].attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect((await stripe.events.retrieve(event!)).pending_webhooks).toBe(0);
  });

  it('gives up after maxAttempts, and one dead endpoint does not hold up another', async () => {
    const dead = await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/unreachable', enabled_events: ['customer.created'] });
    const customer = await stripe.customers.create({ email: 'dead@acme.test' });
    await waitFor(() => expect(receiver.events({ object: customer.id })).toHaveLength(1));
    const event = receiver.events({ object: customer.id })[0]!.event;
    await waitFor(async () => {
      const { body } = await control(double, `/deliveries?event=${event.id}&endpoint=${dead.id}`);
      expect(body.data[0]).toMatchObject({ status: 'failed' });
      expect(body.data[0].attempts).toHaveLength(4);
      expect(body.data[0].attempts.every((a: { status_code: number | null; error: string | null }) => a.status_code === null && a.error)).toBe(true);
    });
    expect((await stripe.events.retrieve(event.id)).pending_webhooks).toBe(1);
    await stripe.webhookEndpoints.del(dead.id);
  });

  it('duplicates deliveries, re-sends under a new event id, and redelivers the same id on request', async () => {
    expect((await control(double, '/settings', { copies: 3 })).body).toMatchObject({ copies: 3 });
    const customer = await stripe.customers.create({ email: 'dupes@acme.test' });
    await waitFor(() => expect(receiver.events({ object: customer.id })).toHaveLength(3));
    const copies = receiver.events({ object: customer.id });
    expect(new Set(copies.map((r) => r.event.id)).size).toBe(1);
    expect(new Set(copies.map((r) => r.raw)).size).toBe(1);
    await control(double, '/settings', { copies: 1 });

    const original = copies[0]!.event;
    const clone = await control(double, `/events/${original.id}/clone`, {});
    expect(clone.body.id).not.toBe(original.id);
    expect(clone.body.id).toMatch(/^evt_/);
    expect(clone.body.data).toEqual(original.data);
    await waitFor(() => expect(receiver.events({ object: customer.id })).toHaveLength(4));
    expect((await stripe.events.retrieve(clone.body.id)).type).toBe('customer.created');

    await control(double, `/events/${original.id}/redeliver`, {});
    await waitFor(() => expect(receiver.events({ object: customer.id }).filter((r) => r.event.id === original.id)).toHaveLength(4));
  });

  it('holds deliveries while paused and releases them in the order asked for', async () => {
    await control(double, '/deliveries/pause', {});
    const created: string[] = [];
    for (const n of [1, 2, 3]) created.push((await stripe.customers.create({ email: `order-${n}@acme.test` })).id);
    await waitFor(async () => {
      const { body } = await control(double, '/deliveries?type=customer.created');
      expect(body.data.filter((d: { status: string }) => d.status === 'held')).toHaveLength(3);
    });
    expect(created.flatMap((id) => receiver.events({ object: id }))).toEqual([]);
    expect((await control(double, '/deliveries/resume', { order: 'reverse' })).body).toEqual({ released: 3 });
    await waitFor(() => expect(created.flatMap((id) => receiver.events({ object: id }))).toHaveLength(3));
    const order = receiver.received.filter((r) => created.includes((r.event.data.object as Stripe.Customer).id)).map((r) => (r.event.data.object as Stripe.Customer).id);
    expect(order).toEqual([...created].reverse());
  });

  it('scatters first attempts over a shuffle window and still delivers every event', async () => {
    expect((await control(double, '/settings', { shuffle_window_ms: 200 })).body).toMatchObject({ shuffleWindowMs: 200, copies: 1, paused: false });
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await stripe.customers.create({ email: `shuffle-${n}@acme.test` })).id);
    await waitFor(() => expect(ids.flatMap((id) => receiver.events({ object: id }))).toHaveLength(5));
    await control(double, '/settings', { shuffle_window_ms: 0 });
    expect((await control(double, '/settings', { copies: 0 })).status).toBe(400);
  });

  it('keeps each double’s state to itself and forgets it on reset', async () => {
    const other = await startStripe({ port: 0 });
    try {
      const mine = await stripe.customers.create({ email: 'mine@acme.test' });
      await expect(client(other).customers.retrieve(mine.id)).rejects.toMatchObject({ statusCode: 404 });
      expect((await control(double, '/reset', {})).body).toEqual({ reset: true });
      await expect(stripe.customers.retrieve(mine.id)).rejects.toMatchObject({ statusCode: 404 });
      expect((await control(double, '/endpoints')).body.data.map((e: { url: string }) => e.url)).toEqual([receiver.url('/flaky')]);
    } finally {
      await other.stop();
    }
  });
});

describe('the stack’s Stripe double', () => {
  it('runs beside the stack with the keys stack:status prints, and functions get STRIPE_* in their environment', async () => {
    const s = stack();
    if (s.REAL_SUPABASE) return;
    expect(s.STRIPE_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.STRIPE_SECRET_KEY).toMatch(/^sk_test_/);
    expect(s.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(s.STRIPE_CONNECT_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(s.STRIPE_CONNECT_WEBHOOK_SECRET).not.toBe(s.STRIPE_WEBHOOK_SECRET);
    const url = new URL(s.STRIPE_API_URL!);
    const stackStripe = new Stripe(s.STRIPE_SECRET_KEY!, { host: url.hostname, port: Number(url.port), protocol: 'http' });
    const customer = await stackStripe.customers.create({ email: 'stack@acme.test' });
    expect((await stackStripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    const endpoints = (await (await fetch(`${s.STRIPE_API_URL}/_double/endpoints`)).json()) as { data: { url: string; secret: string; connect: boolean }[] };
    expect(endpoints.data).toEqual([
      expect.objectContaining({ url: `${s.API_URL}/functions/v1/stripe-webhook`, secret: s.STRIPE_WEBHOOK_SECRET, connect: false }),
      expect.objectContaining({ url: `${s.API_URL}/functions/v1/stripe-webhook`, secret: s.STRIPE_CONNECT_WEBHOOK_SECRET, connect: true }),
    ]);

    const { data, error } = await serviceClient().functions.invoke('probe/env', { method: 'GET' });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      STRIPE_API_URL: s.STRIPE_API_URL,
      STRIPE_SECRET_KEY: s.STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: s.STRIPE_WEBHOOK_SECRET,
      STRIPE_CONNECT_WEBHOOK_SECRET: s.STRIPE_CONNECT_WEBHOOK_SECRET,
    });
  });
});

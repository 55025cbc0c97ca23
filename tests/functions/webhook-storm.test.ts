import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceMismatches } from '../db/db.ts';
import { stack } from '../setup/clients.ts';
import { control, enablePayments, moneyOrg, pool, postForm, q, stripeClient, waitFor } from './money.ts';

// The webhook under a Stripe-sized storm: 1,000 deliveries for 300 payments (30% duplicates, half
// of them under the same event id, half cloned by the double under a new one), shuffled, from 8
// concurrent senders. Then the same with the function's Deno worker killed (SIGKILL) twice midway
// and Stripe's retries. Either way: exactly one payment entry each, balances equal to the ledger.

const PAYMENTS = 300;
const DELIVERIES = 1000;
const SENDERS = 8;
const DECLINED_FIRST = 60;

interface Storm {
  orgId: string;
  paymentIds: string[];
  events: Stripe.Event[];
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

async function pooled<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/**
 * 300 pending payments on 30 leases of a fresh org, each paid on the double's Checkout page (60 of
 * them after a declined card) while deliveries are held, and the events that made: per payment
 * checkout.session.completed and payment_intent.succeeded, the 60 payment_failed, and 40 events the
 * webhook does not handle, 700 in all.
 */
async function prepare(): Promise<Storm> {
  const org = await moneyOrg({ rent: 10_000 });
  const account = await enablePayments(org);
  const leases = (
    await q<{ id: string }>(
      `with u as (
         insert into public.units (org_id, property_id, label)
         select $1, (select id from public.properties where org_id = $1 limit 1), 'S' || g from generate_series(1, 28) g
         returning id)
       insert into public.leases (org_id, unit_id, status, start_date, rent_minor) select $1, id, 'active', '2026-01-01', 100000 from u returning id`,
      [org.id],
    )
  ).map((r) => r.id);
  leases.push(org.residents[0]!.leaseId, org.residents[1]!.leaseId);
  for (const lease of leases) {
    await q(`select private.insert_ledger_entry($1, $2, 'charge', 100000, $3)`, [org.id, lease, `storm-charge:${lease}`]);
  }
  const paymentIds = (
    await q<{ id: string }>(
      `insert into public.payments (org_id, lease_id, status, amount_minor, currency, stripe_account_id)
       select $1, ($2::uuid[])[1 + g % array_length($2::uuid[], 1)], 'pending', 1000 + g, 'USD', $3 from generate_series(0, $4 - 1) g
       returning id`,
      [org.id, leases, account, PAYMENTS],
    )
  ).map((r) => r.id);

  const stripe = stripeClient();
  await control('/deliveries/pause', {});
  const sessions = new Set<string>();
  await pooled(paymentIds, 8, async (id, i) => {
    const [row] = await q('select amount_minor, lease_id from public.payments where id = $1', [id]);
    const metadata = { org_id: org.id, lease_id: row!.lease_id, payment_id: id };
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: Number(row!.amount_minor), product_data: { name: 'Rent' } } }],
        payment_intent_data: { metadata },
        metadata,
        success_url: 'http://127.0.0.1:5173/portal/pay/done',
      },
      { stripeAccount: account },
    );
    sessions.add(session.id);
    await q('update public.payments set stripe_checkout_session_id = $2 where id = $1', [id, session.id]);
    if (i < DECLINED_FIRST) expect((await postForm(session.url!, { action: 'decline', decline_card: 'pm_card_chargeDeclined' })).status).toBe(402);
    expect((await postForm(session.url!, { action: 'pay', card: 'pm_card_visa' })).status).toBe(303);
  });

  const all: Stripe.Event[] = [];
  for await (const e of stripe.events.list({ limit: 100 }, { stripeAccount: account })) all.push(e);
  const pick = (type: string) => all.filter((e) => e.type === type);
  const events = [
    ...pick('checkout.session.completed').filter((e) => sessions.has((e.data.object as Stripe.Checkout.Session).id)),
    ...pick('payment_intent.succeeded'),
    ...pick('payment_intent.payment_failed'),
    ...pick('charge.succeeded').slice(0, 40),
  ];
  expect(events).toHaveLength(2 * PAYMENTS + DECLINED_FIRST + 40);
  return { orgId: org.id, paymentIds, events };
}

/** 1,000 deliveries: the 700 events, 150 of them again under the same id, 150 cloned by the double. */
async function deliveries(storm: Storm): Promise<Stripe.Event[]> {
  const extra = DELIVERIES - storm.events.length;
  const same = shuffle([...storm.events]).slice(0, extra / 2);
  const clones: Stripe.Event[] = [];
  for (const e of shuffle([...storm.events]).slice(0, extra - same.length)) {
    clones.push((await control(`/events/${e.id}/clone`, {})).body as Stripe.Event);
  }
  expect(new Set(clones.map((c) => c.id)).size).toBe(clones.length);
  return shuffle([...storm.events, ...same, ...clones]);
}

/** Stripe's signature: HMAC-SHA256 of "<t>.<body>" with the Connect endpoint's secret. */
function sign(body: string): string {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', stack().STRIPE_CONNECT_WEBHOOK_SECRET!).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

interface Sent {
  statuses: Map<number, number>;
  connectionErrors: number;
  attempts: number;
  failed: number;
}

/**
 * 8 senders post the deliveries as Stripe does (pretty-printed JSON, signed at each attempt). With
 * `retry`, a non-2xx answer or a dropped connection is tried again after 100 ms · 2^n, up to 8 times.
 */
async function send(list: Stripe.Event[], opts: { retry: boolean; onProgress?: (done: number) => void }): Promise<Sent> {
  const url = `${stack().API_URL}/functions/v1/stripe-webhook`;
  const out: Sent = { statuses: new Map(), connectionErrors: 0, attempts: 0, failed: 0 };
  let done = 0;
  await pooled(list, SENDERS, async (event) => {
    const body = JSON.stringify(event, null, 2);
    for (let attempt = 0; ; attempt++) {
      out.attempts += 1;
      let status = 0;
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) }, body });
        await res.arrayBuffer();
        status = res.status;
        out.statuses.set(status, (out.statuses.get(status) ?? 0) + 1);
      } catch {
        out.connectionErrors += 1;
      }
      if (status >= 200 && status < 300) break;
      if (!opts.retry || attempt >= 7) {
        out.failed += 1;
        break;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
    opts.onProgress?.(++done);
  });
  return out;
}

async function endState(storm: Storm) {
  const [row] = await q(
    `select count(*) filter (where p.status = 'succeeded') as succeeded,
            (select count(*) from public.ledger_entries e where e.org_id = $1 and e.kind = 'payment') as entries,
            (select count(distinct e.payment_id) from public.ledger_entries e where e.org_id = $1 and e.kind = 'payment') as paid,
            count(*) filter (where p.receipt_path is not null) as receipts
     from public.payments p where p.id = any ($2::uuid[])`,
    [storm.orgId, storm.paymentIds],
  );
  const [sums] = await q(
    `select (select sum(balance_minor) from public.leases where org_id = $1) as balances,
            (select sum(amount_minor) from public.ledger_entries where org_id = $1) as ledger`,
    [storm.orgId],
  );
  return {
    succeeded: Number(row!.succeeded),
    entries: Number(row!.entries),
    paid: Number(row!.paid),
    receipts: Number(row!.receipts),
    balancesMatchLedger: sums!.balances === sums!.ledger,
    mismatches: await balanceMismatches(pool()),
  };
}

const EXPECTED = { succeeded: PAYMENTS, entries: PAYMENTS, paid: PAYMENTS, receipts: PAYMENTS, balancesMatchLedger: true, mismatches: 0 };

/**
 * Lets the double deliver what it held (more duplicates, about 1,500), one after another as an
 * endpoint's backlog drains, and waits until it has nothing left.
 */
async function drainDouble() {
  await control('/deliveries/resume', { order: 'fifo' });
  await waitFor(async () => {
    const { body } = await control('/deliveries');
    const open = (body.data as { status: string }[]).filter((d) => ['pending', 'held', 'retrying'].includes(d.status));
    expect(open).toEqual([]);
  }, 240_000);
}

/** The Deno process serving stripe-webhook for this stack (found by the SUPABASE_URL it was given). */
function webhookWorkers(): number[] {
  const apiUrl = `SUPABASE_URL=${stack().API_URL}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.includes('deno-worker.js') || !cmd.includes('/stripe-webhook/index.ts')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(apiUrl)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('stripe-webhook storm', () => {
  afterEach(async () => {
    await control('/deliveries/resume', { order: 'fifo' });
  });

  it('books exactly 300 payments from 1,000 shuffled, duplicated deliveries from 8 senders, with no 5xx', { timeout: 480_000 }, async () => {
    const storm = await prepare();
    const list = await deliveries(storm);
    expect(list).toHaveLength(DELIVERIES);
    const t0 = performance.now();
    const sent = await send(list, { retry: false });
    const seconds = (performance.now() - t0) / 1000;
    console.log(`storm: ${DELIVERIES} deliveries in ${seconds.toFixed(1)} s (${(DELIVERIES / seconds).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(sent.statuses))}`);
    expect(Object.fromEntries(sent.statuses)).toEqual({ 200: DELIVERIES });
    expect(sent.connectionErrors).toBe(0);
    expect(await endState(storm)).toEqual(EXPECTED);
    const recorded = await q('select count(*) as n from private.stripe_events e where e.account = (select stripe_account_id from public.organizations where id = $1)', [storm.orgId]);
    // Every handled event once: 660 of the 700 plus the 150 clones; the 40 unhandled are not kept.
    expect(Number(recorded[0]!.n)).toBeGreaterThanOrEqual(2 * PAYMENTS + DECLINED_FIRST);
    await drainDouble();
    expect(await endState(storm)).toEqual(EXPECTED);
  });

  it('reaches the same end state when the webhook’s worker is killed twice midway and Stripe retries', { timeout: 480_000 }, async () => {
    const storm = await prepare();
    const list = await deliveries(storm);
    const kills: number[] = [];
    const killAt = new Set([Math.floor(DELIVERIES / 3), Math.floor((2 * DELIVERIES) / 3)]);
    const sent = await send(list, {
      retry: true,
      onProgress: (done) => {
        if (!killAt.delete(done)) return;
        for (const pid of webhookWorkers()) {
          process.kill(pid, 'SIGKILL');
          kills.push(pid);
        }
      },
    });
    console.log(
      `storm with kills: ${kills.length} workers killed, ${sent.attempts} attempts, statuses ${JSON.stringify(Object.fromEntries(sent.statuses))}, connection errors ${sent.connectionErrors}`,
    );
    expect(kills).toHaveLength(2);
    expect(new Set(kills).size).toBe(2);
    expect(sent.failed).toBe(0);
    await drainDouble();
    expect(await endState(storm)).toEqual(EXPECTED);

    // The stack is healthy afterwards: a new worker serves, and the function answers at once.
    expect(webhookWorkers()).toHaveLength(1);
    const again = list[0]!;
    const body = JSON.stringify(again, null, 2);
    const res = await fetch(`${stack().API_URL}/functions/v1/stripe-webhook`, { method: 'POST', headers: { 'stripe-signature': sign(body) }, body });
    expect(res.status).toBe(200);
    expect((await fetch(`${stack().API_URL}/functions/v1/health`)).status).toBe(200);
  });
});

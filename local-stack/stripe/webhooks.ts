import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import type { Logger } from '../log.ts';
import * as build from './objects.ts';
import { newId, randomToken, WEBHOOK_USER_AGENT } from './protocol.ts';

/** A webhook endpoint as configured (options or `/v1/webhook_endpoints`). */
export interface EndpointConfig {
  url: string;
  /** `whsec_…`; generated when absent. */
  secret?: string;
  /** Listen to connected accounts' events instead of the platform's own (Stripe's "Connect" endpoints). */
  connect?: boolean;
  /** Event types, or `['*']` (the default) for all. */
  enabledEvents?: string[];
  description?: string;
}

/**
 * Retries with exponential backoff: attempt n+1 waits `baseMs · 2^(n-1)` (at most `maxDelayMs`)
 * after attempt n fails. Stripe retries live-mode deliveries for up to three days with a
 * backoff of this kind (docs.stripe.com/webhooks#retries); locally the clock is shortened.
 */
export interface RetryPolicy {
  baseMs: number;
  maxAttempts: number;
  maxDelayMs: number;
  /** An endpoint that has not answered by then counts as a failed attempt. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 200, maxAttempts: 8, maxDelayMs: 60_000, timeoutMs: 10_000 };

interface Endpoint {
  object: Stripe.WebhookEndpoint;
  secret: string;
  connect: boolean;
}

export interface Attempt {
  started_at: string;
  status_code: number | null;
  error: string | null;
}

/** One event on its way to one endpoint (one of `copies` when duplicates are switched on). */
export interface Delivery {
  id: string;
  event: string;
  type: string;
  account: string | null;
  endpoint: string;
  url: string;
  copy: number;
  status: 'pending' | 'held' | 'retrying' | 'succeeded' | 'failed';
  attempts: Attempt[];
}

/** Delivery behaviour the test controls switch (all off by default). */
export interface DeliverySettings {
  /** How many times each event reaches each endpoint, all with the same event id. */
  copies: number;
  /** Each first attempt waits a random 0..window ms, so deliveries arrive out of order. */
  shuffleWindowMs: number;
  /** Attempts due while paused wait until `resume`. */
  paused: boolean;
}

export type ReleaseOrder = 'fifo' | 'reverse' | 'shuffle';

/** The secret and header Stripe sends: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, payload: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export const newWebhookSecret = () => `whsec_${randomToken(32)}`;

const KEPT_DELIVERIES = 5000;

/**
 * Delivers events to endpoints at least once: each (event, endpoint, copy) is its own task with
 * its own retry timer, so a slow or failing endpoint holds up nothing else, and nothing orders
 * deliveries. Every attempt is signed afresh with that endpoint's secret and the current time,
 * as Stripe re-signs retries.
 */
export function createWebhooks(opts: { retry: RetryPolicy; logger: Logger; application: string }) {
  const endpoints = new Map<string, Endpoint>();
  let deliveries: Delivery[] = [];
  let held: { delivery: Delivery; event: () => Stripe.Event }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<AbortController>();
  const settings: DeliverySettings = { copies: 1, shuffleWindowMs: 0, paused: false };
  let stopped = false;
  // Bumped by clear(): an attempt in flight across a reset must not schedule its retry.
  let generation = 0;

  function addEndpoint(config: EndpointConfig & { id?: string; metadata?: Stripe.Metadata }): Stripe.WebhookEndpoint {
    const secret = config.secret ?? newWebhookSecret();
    const object = build.webhookEndpoint({
      id: config.id,
      url: config.url,
      enabledEvents: config.enabledEvents ?? ['*'],
      description: config.description ?? null,
      metadata: config.metadata ?? {},
      application: config.connect ? opts.application : null,
    });
    endpoints.set(object.id, { object, secret, connect: !!config.connect });
    return { ...object, secret };
  }

  const listens = (e: Endpoint, event: Stripe.Event) =>
    e.object.status === 'enabled' &&
    e.connect === Boolean(event.account) &&
    (e.object.enabled_events.includes('*') || e.object.enabled_events.includes(event.type));

  /** How many endpoints an event goes to (its `pending_webhooks`). */
  const audience = (event: Stripe.Event) => [...endpoints.values()].filter((e) => listens(e, event)).length;

  function later(ms: number, fn: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  /**
   * Queues an event for every endpoint that listens to it. `current` gives the event as stored,
   * so a retry carries its `pending_webhooks` at that moment.
   */
  function dispatch(event: Stripe.Event, current: () => Stripe.Event = () => event) {
    for (const endpoint of endpoints.values()) {
      if (!listens(endpoint, event)) continue;
      for (let copy = 1; copy <= Math.max(1, settings.copies); copy++) {
        const delivery: Delivery = {
          id: newId('dlv'),
          event: event.id,
          type: event.type,
          account: event.account ?? null,
          endpoint: endpoint.object.id,
          url: endpoint.object.url,
          copy,
          status: 'pending',
          attempts: [],
        };
        deliveries.push(delivery);
        if (deliveries.length > KEPT_DELIVERIES) deliveries = deliveries.slice(-KEPT_DELIVERIES);
        const delay = settings.shuffleWindowMs > 0 ? Math.floor(Math.random() * settings.shuffleWindowMs) : 0;
        later(delay, () => void attempt(delivery, current));
      }
    }
  }

  /** One attempt; schedules the next on failure. Resolves when this attempt is over. */
  async function attempt(delivery: Delivery, current: () => Stripe.Event): Promise<void> {
    if (stopped) return;
    const started = generation;
    if (settings.paused) {
      delivery.status = 'held';
      held.push({ delivery, event: current });
      return;
    }
    const endpoint = endpoints.get(delivery.endpoint);
    if (!endpoint) {
      delivery.status = 'failed';
      return;
    }
    const event = current();
    const payload = JSON.stringify(event, null, 2);
    const record: Attempt = { started_at: new Date().toISOString(), status_code: null, error: null };
    delivery.attempts.push(record);
    const abort = new AbortController();
    inflight.add(abort);
    const timer = setTimeout(() => abort.abort(), opts.retry.timeoutMs);
    try {
      const res = await fetch(endpoint.object.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': WEBHOOK_USER_AGENT,
          'cache-control': 'no-cache',
          accept: '*/*; q=0.5, application/xml',
          'stripe-signature': signatureHeader(endpoint.secret, payload),
        },
        body: payload,
        signal: abort.signal,
      });
      record.status_code = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      record.error = abort.signal.aborted ? `timed out after ${opts.retry.timeoutMs} ms` : (err as Error).message;
    } finally {
      clearTimeout(timer);
      inflight.delete(abort);
    }
    if (stopped || started !== generation) return;
    if (record.status_code !== null && record.status_code >= 200 && record.status_code < 300) {
      delivery.status = 'succeeded';
      // `pending_webhooks` counts endpoints, not copies: the first success for an endpoint settles it.
      const stored = current();
      const firstForEndpoint = !deliveries.some(
        (d) => d !== delivery && d.event === delivery.event && d.endpoint === delivery.endpoint && d.status === 'succeeded',
      );
      if (firstForEndpoint && stored.pending_webhooks > 0) stored.pending_webhooks -= 1;
      return;
    }
    const n = delivery.attempts.length;
    if (n >= opts.retry.maxAttempts) {
      delivery.status = 'failed';
      opts.logger.warn({ event: delivery.event, endpoint: delivery.url, attempts: n }, 'webhook delivery gave up');
      return;
    }
    delivery.status = 'retrying';
    later(Math.min(opts.retry.maxDelayMs, opts.retry.baseMs * 2 ** (n - 1)), () => void attempt(delivery, current));
  }

  function order<T>(items: T[], how: ReleaseOrder): T[] {
    if (how === 'reverse') return [...items].reverse();
    if (how === 'shuffle') {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
    return items;
  }

  return {
    settings,
    addEndpoint,
    audience,
    dispatch,
    endpoint: (id: string) => endpoints.get(id),
    endpoints: () => [...endpoints.values()],
    removeEndpoint: (id: string) => endpoints.delete(id),

    /** Deliveries, oldest first, optionally of one event or endpoint. */
    deliveries(filter: { event?: string; endpoint?: string; type?: string } = {}): Delivery[] {
      return deliveries.filter(
        (d) => (!filter.event || d.event === filter.event) && (!filter.endpoint || d.endpoint === filter.endpoint) && (!filter.type || d.type === filter.type),
      );
    },

    pause() {
      settings.paused = true;
    },

    /**
     * Ends a pause. With an order, the held first attempts go out one after another in that
     * order (each waits for the previous answer), so a receiver sees exactly that order;
     * without one they all go at once. Returns how many were released.
     */
    resume(how?: ReleaseOrder): number {
      settings.paused = false;
      const released = held;
      held = [];
      if (!how) {
        for (const h of released) void attempt(h.delivery, h.event);
      } else {
        const queue = order(released, how);
        void (async () => {
          for (const h of queue) await attempt(h.delivery, h.event);
        })();
      }
      return released.length;
    },

    /** Forgets deliveries and pending attempts; endpoints stay. */
    clear() {
      generation += 1;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const a of inflight) a.abort();
      deliveries = [];
      held = [];
      Object.assign(settings, { copies: 1, shuffleWindowMs: 0, paused: false });
    },

    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const a of inflight) a.abort();
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;

import type Stripe from 'stripe';
import type { Logger } from '../log.ts';
import { API_VERSION, newId, nowSeconds, type Outcome } from './protocol.ts';
import { put, snapshot, type AccountStore, type Kind, type Kinds } from './store.ts';
import type { Webhooks } from './webhooks.ts';

/** An Account Link's onboarding page, single-use like Stripe's. */
export interface OnboardingLink {
  account: string;
  type: 'account_onboarding' | 'account_update';
  refreshUrl: string;
  returnUrl: string;
  expiresAt: number;
  used: boolean;
}

/** What Checkout keeps from the create call to use when the customer pays. */
export interface CheckoutExtras {
  paymentIntentData: Record<string, unknown>;
  subscriptionData: Record<string, unknown>;
  setupIntentData: Record<string, unknown>;
}

/** One running double: every account's objects, the webhook deliverer and the timers. No globals. */
export interface Double {
  baseUrl: string;
  /** The Connect platform's `ca_…`, set as `application` on objects it creates on connected accounts. */
  application: string;
  platform: AccountStore;
  connected: Map<string, AccountStore>;
  /** Object id → the store holding it, for hosted pages and test controls (ids are unique). */
  owners: Map<string, AccountStore>;
  /** What each test PaymentMethod does when charged, by its `pm_` id. */
  outcomes: Map<string, Outcome>;
  links: Map<string, OnboardingLink>;
  checkout: Map<string, CheckoutExtras>;
  webhooks: Webhooks;
  logger: Logger;
  achSettleMs: number;
  disputeDelayMs: number;
  /** A timer the double clears on reset and stop. */
  later(ms: number, fn: () => void): void;
}

type EventType = Stripe.Event['type'];
/** The object an event of this type carries, e.g. `Stripe.PaymentIntent` for `payment_intent.succeeded`. */
export type EventObject<T extends EventType> = Extract<Stripe.Event, { type: T }>['data']['object'];

/** The API request an event came from (`request.id` null for automatic events). */
export interface RequestInfo {
  id: string | null;
  idempotency_key: string | null;
}

/** One operation's view: which account it acts on and which request caused it. */
export interface Ctx {
  double: Double;
  store: AccountStore;
  request: RequestInfo;
}

export const AUTOMATIC: RequestInfo = { id: null, idempotency_key: null };

/** Keeps an object in the context's account and remembers where it lives. */
export function save<T extends Kinds[Kind] & { id: string }>(ctx: Ctx, o: T): T {
  ctx.double.owners.set(o.id, ctx.store);
  return put(ctx.store, o);
}

/** The same operation on another account (a connected account's `account.updated`). */
export const within = (ctx: Ctx, store: AccountStore, request: RequestInfo = ctx.request): Ctx => ({ double: ctx.double, store, request });

/**
 * Records an event in the account it happened in and hands it to the deliverer. The payload is
 * a snapshot of the object at this moment, as Stripe's events are; a connected account's events
 * carry `account`. `previous` becomes `data.previous_attributes` (the changed fields' old values).
 */
export function emit<T extends EventType>(ctx: Ctx, type: T, object: EventObject<T>, previous?: Partial<EventObject<T>>): Stripe.Event {
  const event = {
    id: newId('evt'),
    object: 'event',
    ...(ctx.store.connected ? { account: ctx.store.id } : {}),
    api_version: API_VERSION,
    created: nowSeconds(),
    data: { object: snapshot(object), ...(previous ? { previous_attributes: snapshot(previous) } : {}) },
    livemode: false,
    pending_webhooks: 0,
    request: { ...ctx.request },
    type,
  } as unknown as Extract<Stripe.Event, { type: T }>;
  return record(ctx, event);
}

/** Stores an event and starts its deliveries. */
export function record(ctx: Ctx, event: Stripe.Event): Stripe.Event {
  event.pending_webhooks = ctx.double.webhooks.audience(event);
  save(ctx, event);
  ctx.double.webhooks.dispatch(event, () => event);
  return event;
}

/**
 * A second event for the same change, with its own `evt_` id and the same object: Stripe may
 * create more than one event for one change, and handlers must key on the object, not the event.
 */
export function cloneEvent(ctx: Ctx, original: Stripe.Event): Stripe.Event {
  const event = { ...snapshot(original), id: newId('evt'), created: nowSeconds() };
  return record(ctx, event);
}

import type Stripe from 'stripe';
import { fail } from './errors.ts';
import { arr, int, str, type Params } from './params.ts';

/** Every object kind the double keeps, by its `object` field. */
export interface Kinds {
  account: Stripe.Account;
  charge: Stripe.Charge;
  'checkout.session': Stripe.Checkout.Session;
  customer: Stripe.Customer;
  dispute: Stripe.Dispute;
  event: Stripe.Event;
  invoice: Stripe.Invoice;
  invoice_payment: Stripe.InvoicePayment;
  payment_intent: Stripe.PaymentIntent;
  payment_method: Stripe.PaymentMethod;
  price: Stripe.Price;
  product: Stripe.Product;
  refund: Stripe.Refund;
  setup_intent: Stripe.SetupIntent;
  subscription: Stripe.Subscription;
  webhook_endpoint: Stripe.WebhookEndpoint;
}
export type Kind = keyof Kinds;
type AnyObject = Kinds[Kind];

/** A response Stripe saved under an Idempotency-Key (status and body, replayed as they were). */
export interface SavedResponse {
  fingerprint: string;
  status: number;
  body: string;
  /** The first request's id, answered as `Original-Request` on a replay. */
  requestId: string;
}

/**
 * One Stripe account's objects: the platform's, or a connected account's. Objects of a direct
 * charge live only in the connected account's store, so asking for them without (or with another)
 * `Stripe-Account` header finds nothing, as on Stripe.
 */
export interface AccountStore {
  /** `acct_…` of this account (the platform has one too). */
  id: string;
  /** True for a connected account: its events carry `account` and go to Connect endpoints. */
  connected: boolean;
  objects: Map<string, AnyObject>;
  /** A Checkout Session's line items (`GET /v1/checkout/sessions/:id/line_items`). */
  lineItems: Map<string, Stripe.LineItem[]>;
  idempotency: Map<string, SavedResponse>;
  /**
   * PaymentMethods used once without being attached to a customer: Stripe refuses to use them
   * again ("was previously used without being attached to a Customer").
   */
  consumed: Set<string>;
  /** Subscriptions whose next charge the double fails (`/_double/subscriptions/:id/fail_next_payment`). */
  failNextPayment: Set<string>;
}

export function createAccountStore(id: string, connected: boolean): AccountStore {
  return { id, connected, objects: new Map(), lineItems: new Map(), idempotency: new Map(), consumed: new Set(), failNextPayment: new Set() };
}

/** The object with this id if it is of this kind. */
export function find<K extends Kind>(store: AccountStore, kind: K, id: string): Kinds[K] | undefined {
  const o = store.objects.get(id);
  return o && o.object === kind ? (o as Kinds[K]) : undefined;
}

/** Like `find`, or the `resource_missing` error Stripe answers (404 for the URL's object, 400 for a parameter). */
export function get<K extends Kind>(store: AccountStore, kind: K, id: string, param = 'id', status: 400 | 404 = 404): Kinds[K] {
  const o = find(store, kind, id);
  if (!o) throw fail.noSuch(kind, id, param, status);
  return o;
}

export function put<T extends AnyObject & { id: string }>(store: AccountStore, o: T): T {
  store.objects.set(o.id, o);
  return o;
}

/** All objects of a kind, newest first (the order Stripe lists in). */
export function all<K extends Kind>(store: AccountStore, kind: K): Kinds[K][] {
  const out: Kinds[K][] = [];
  for (const o of store.objects.values()) if (o.object === kind) out.push(o as Kinds[K]);
  return out.reverse();
}

/**
 * A page of a list as Stripe answers it: `limit` 1–100 (default 10), `starting_after` /
 * `ending_before` cursors, `has_more`, and the list's `url`.
 */
export function listPage<T extends { id?: string }>(items: T[], p: Params, url: string): Stripe.ApiList<T> {
  const limit = int(p, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw fail.invalid('limit', 'This value must be greater than or equal to 1 and less than or equal to 100.');
  const after = str(p, 'starting_after');
  const before = str(p, 'ending_before');
  let slice = items;
  if (after) {
    const i = items.findIndex((o) => o.id === after);
    slice = i < 0 ? [] : items.slice(i + 1);
  } else if (before) {
    const i = items.findIndex((o) => o.id === before);
    slice = i < 0 ? [] : items.slice(Math.max(0, i - limit), i);
    return { object: 'list', data: slice, has_more: i - limit > 0, url };
  }
  return { object: 'list', data: slice.slice(0, limit), has_more: slice.length > limit, url };
}

/** A deep copy as the wire carries it (Decimal fields become their JSON strings). */
export function snapshot<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

/**
 * `expand[]`: replaces an id at each dotted path with the object it names (from this account's
 * store), `data.` walking into a list's items. Unknown paths are left as they are.
 */
export function expand(store: AccountStore, body: unknown, p: Params): unknown {
  const paths = arr(p, 'expand').map(String);
  if (!paths.length) return body;
  const copy = snapshot(body) as Record<string, unknown>;
  for (const path of paths) expandPath(store, copy, path.split('.'));
  return copy;
}

function expandPath(store: AccountStore, target: unknown, parts: string[]): void {
  if (!target || typeof target !== 'object' || !parts.length) return;
  const [head, ...rest] = parts as [string, ...string[]];
  const holder = target as Record<string, unknown>;
  if (head === 'data' && Array.isArray(holder.data)) {
    for (const item of holder.data) expandPath(store, item, rest);
    return;
  }
  const value = holder[head];
  if (typeof value === 'string') {
    const found = store.objects.get(value);
    if (found) holder[head] = snapshot(found);
  }
  expandPath(store, holder[head], rest);
}

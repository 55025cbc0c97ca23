import type Stripe from 'stripe';
import * as billing from './billing.ts';
import { createCheckoutSession, expireCheckoutSession } from './checkout.ts';
import * as connect from './connect.ts';
import type { Ctx } from './context.ts';
import { fail } from './errors.ts';
import { arr, bool, int, mergeMetadata, obj, oneOf, requireStr, str, type Params } from './params.ts';
import * as pay from './payments.ts';
import { all, get, listPage } from './store.ts';

// The `/v1` endpoints the double answers, each a function of the request's account context, its
// parameters and the URL's ids. What is not listed answers 404 "Unrecognized request URL", as
// Stripe answers an unknown path.

type Handler = (ctx: Ctx, p: Params, ids: string[]) => unknown;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
}

const ID = '([^/]+)';
const route = (method: Route['method'], path: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/:id/g, ID)}$`),
  handler,
});

const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);

/** `created[gte]=…` style filters on a list. */
function createdFilter(p: Params): (o: { created?: number }) => boolean {
  const c = p.created;
  if (typeof c === 'string' && c) return (o) => o.created === Number(c);
  const range = obj(p, 'created');
  const bound = (k: string) => int(range, k, `created[${k}]`);
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (o) => {
    const t = o.created ?? 0;
    return (gt === undefined || t > gt) && (gte === undefined || t >= gte) && (lt === undefined || t < lt) && (lte === undefined || t <= lte);
  };
}

function deleted(id: string, object: string) {
  return { id, object, deleted: true as const };
}

export function apiRoutes(): Route[] {
  return [
    // ---- customers
    route('POST', '/v1/customers', (ctx, p) => pay.createCustomer(ctx, p)),
    route('GET', '/v1/customers', (ctx, p) => {
      const email = str(p, 'email');
      return listPage(all(ctx.store, 'customer').filter((c) => !email || c.email === email).filter(createdFilter(p)), p, '/v1/customers');
    }),
    route('GET', '/v1/customers/:id', (ctx, _p, [id]) => get(ctx.store, 'customer', id!)),
    route('POST', '/v1/customers/:id', (ctx, p, [id]) => pay.updateCustomer(ctx, get(ctx.store, 'customer', id!), p)),
    route('DELETE', '/v1/customers/:id', (ctx, _p, [id]) => {
      pay.deleteCustomer(ctx, get(ctx.store, 'customer', id!));
      return deleted(id!, 'customer');
    }),
    route('GET', '/v1/customers/:id/payment_methods', (ctx, p, [id]) => {
      get(ctx.store, 'customer', id!);
      const type = str(p, 'type');
      const list = all(ctx.store, 'payment_method').filter((pm) => idOf(pm.customer) === id && (!type || pm.type === type));
      return listPage(list, p, `/v1/customers/${id}/payment_methods`);
    }),

    // ---- payment methods
    route('GET', '/v1/payment_methods', (ctx, p) => {
      const customer = str(p, 'customer');
      const type = str(p, 'type');
      const list = all(ctx.store, 'payment_method').filter((pm) => (!customer || idOf(pm.customer) === customer) && (!type || pm.type === type));
      return listPage(customer ? list : list.filter((pm) => pm.customer), p, '/v1/payment_methods');
    }),
    route('GET', '/v1/payment_methods/:id', (ctx, _p, [id]) => get(ctx.store, 'payment_method', id!)),
    route('POST', '/v1/payment_methods/:id', (ctx, p, [id]) => {
      const pm = get(ctx.store, 'payment_method', id!);
      pm.metadata = mergeMetadata(pm.metadata, p);
      return pm;
    }),
    route('POST', '/v1/payment_methods/:id/attach', (ctx, p, [id]) =>
      pay.attachPaymentMethod(ctx, pay.resolvePaymentMethod(ctx, id!, 'payment_method'), requireStr(p, 'customer')),
    ),
    route('POST', '/v1/payment_methods/:id/detach', (ctx, _p, [id]) => pay.detachPaymentMethod(ctx, get(ctx.store, 'payment_method', id!))),

    // ---- setup intents
    route('POST', '/v1/setup_intents', (ctx, p) => pay.createSetupIntent(ctx, p)),
    route('GET', '/v1/setup_intents', (ctx, p) => {
      const customer = str(p, 'customer');
      return listPage(all(ctx.store, 'setup_intent').filter((s) => !customer || s.customer === customer), p, '/v1/setup_intents');
    }),
    route('GET', '/v1/setup_intents/:id', (ctx, _p, [id]) => get(ctx.store, 'setup_intent', id!, 'intent')),
    route('POST', '/v1/setup_intents/:id', (ctx, p, [id]) => {
      const si = get(ctx.store, 'setup_intent', id!, 'intent');
      si.metadata = mergeMetadata(si.metadata, p);
      return si;
    }),
    route('POST', '/v1/setup_intents/:id/confirm', (ctx, p, [id]) => pay.confirmSetupIntent(ctx, get(ctx.store, 'setup_intent', id!, 'intent'), p)),
    route('POST', '/v1/setup_intents/:id/cancel', (ctx, p, [id]) => pay.cancelSetupIntent(ctx, get(ctx.store, 'setup_intent', id!, 'intent'), p)),

    // ---- payment intents, charges, refunds, disputes
    route('POST', '/v1/payment_intents', (ctx, p) => pay.createPaymentIntent(ctx, p)),
    route('GET', '/v1/payment_intents', (ctx, p) => {
      const customer = str(p, 'customer');
      return listPage(all(ctx.store, 'payment_intent').filter((x) => !customer || x.customer === customer).filter(createdFilter(p)), p, '/v1/payment_intents');
    }),
    route('GET', '/v1/payment_intents/:id', (ctx, _p, [id]) => get(ctx.store, 'payment_intent', id!, 'intent')),
    route('POST', '/v1/payment_intents/:id', (ctx, p, [id]) => pay.updatePaymentIntent(ctx, get(ctx.store, 'payment_intent', id!, 'intent'), p)),
    route('POST', '/v1/payment_intents/:id/confirm', (ctx, p, [id]) => pay.confirmPaymentIntent(ctx, get(ctx.store, 'payment_intent', id!, 'intent'), p)),
    route('POST', '/v1/payment_intents/:id/cancel', (ctx, p, [id]) =>
      pay.cancelPaymentIntent(
        ctx,
        get(ctx.store, 'payment_intent', id!, 'intent'),
        oneOf(p, 'cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']) ?? null,
      ),
    ),
    route('GET', '/v1/charges', (ctx, p) => {
      const pi = str(p, 'payment_intent');
      const customer = str(p, 'customer');
      const list = all(ctx.store, 'charge').filter((c) => (!pi || c.payment_intent === pi) && (!customer || c.customer === customer));
      return listPage(list, p, '/v1/charges');
    }),
    route('GET', '/v1/charges/:id', (ctx, _p, [id]) => get(ctx.store, 'charge', id!, 'charge')),
    route('POST', '/v1/refunds', (ctx, p) => pay.createRefund(ctx, p)),
    route('GET', '/v1/refunds', (ctx, p) => {
      const pi = str(p, 'payment_intent');
      const charge = str(p, 'charge');
      return listPage(all(ctx.store, 'refund').filter((r) => (!pi || r.payment_intent === pi) && (!charge || r.charge === charge)), p, '/v1/refunds');
    }),
    route('GET', '/v1/refunds/:id', (ctx, _p, [id]) => get(ctx.store, 'refund', id!, 'refund')),
    route('GET', '/v1/disputes', (ctx, p) => {
      const pi = str(p, 'payment_intent');
      const charge = str(p, 'charge');
      return listPage(all(ctx.store, 'dispute').filter((d) => (!pi || d.payment_intent === pi) && (!charge || d.charge === charge)), p, '/v1/disputes');
    }),
    route('GET', '/v1/disputes/:id', (ctx, _p, [id]) => get(ctx.store, 'dispute', id!, 'dispute')),
    route('POST', '/v1/disputes/:id', (ctx, p, [id]) => pay.updateDispute(ctx, get(ctx.store, 'dispute', id!, 'dispute'), p)),
    // Closing a dispute is accepting it: Stripe marks it lost (API reference, "Close a dispute").
    route('POST', '/v1/disputes/:id/close', (ctx, _p, [id]) => pay.closeDispute(ctx, get(ctx.store, 'dispute', id!, 'dispute'), 'lost')),

    // ---- checkout
    route('POST', '/v1/checkout/sessions', (ctx, p) => createCheckoutSession(ctx, p)),
    route('GET', '/v1/checkout/sessions', (ctx, p) => {
      const pi = str(p, 'payment_intent');
      const customer = str(p, 'customer');
      const status = str(p, 'status');
      const list = all(ctx.store, 'checkout.session').filter(
        (s) => (!pi || s.payment_intent === pi) && (!customer || s.customer === customer) && (!status || s.status === status),
      );
      return listPage(list, p, '/v1/checkout/sessions');
    }),
    route('GET', '/v1/checkout/sessions/:id', (ctx, _p, [id]) => get(ctx.store, 'checkout.session', id!, 'session')),
    route('POST', '/v1/checkout/sessions/:id/expire', (ctx, _p, [id]) => expireCheckoutSession(ctx, get(ctx.store, 'checkout.session', id!, 'session'))),
    route('GET', '/v1/checkout/sessions/:id/line_items', (ctx, p, [id]) => {
      get(ctx.store, 'checkout.session', id!, 'session');
      return listPage(ctx.store.lineItems.get(id!) ?? [], p, `/v1/checkout/sessions/${id}/line_items`);
    }),

    // ---- products and prices
    route('POST', '/v1/products', (ctx, p) => billing.createProduct(ctx, p)),
    route('GET', '/v1/products', (ctx, p) => {
      const active = bool(p, 'active');
      return listPage(all(ctx.store, 'product').filter((x) => active === undefined || x.active === active), p, '/v1/products');
    }),
    route('GET', '/v1/products/:id', (ctx, _p, [id]) => get(ctx.store, 'product', id!)),
    route('POST', '/v1/prices', (ctx, p) => billing.createPrice(ctx, p)),
    route('GET', '/v1/prices', (ctx, p) => listPage(billing.listPrices(ctx, p), p, '/v1/prices')),
    route('GET', '/v1/prices/:id', (ctx, _p, [id]) => get(ctx.store, 'price', id!, 'price')),

    // ---- subscriptions and invoices
    route('POST', '/v1/subscriptions', (ctx, p) => billing.createSubscription(ctx, p)),
    route('GET', '/v1/subscriptions', (ctx, p) => listPage(billing.listSubscriptions(ctx, p), p, '/v1/subscriptions')),
    route('GET', '/v1/subscriptions/:id', (ctx, _p, [id]) => get(ctx.store, 'subscription', id!, 'subscription_exposed_id')),
    route('POST', '/v1/subscriptions/:id', (ctx, p, [id]) => billing.updateSubscription(ctx, get(ctx.store, 'subscription', id!, 'subscription_exposed_id'), p)),
    route('DELETE', '/v1/subscriptions/:id', (ctx, _p, [id]) => billing.cancelSubscription(ctx, get(ctx.store, 'subscription', id!, 'subscription_exposed_id'))),
    route('GET', '/v1/invoices', (ctx, p) => {
      const customer = str(p, 'customer');
      const sub = str(p, 'subscription');
      const status = str(p, 'status');
      const list = all(ctx.store, 'invoice').filter(
        (i) => (!customer || i.customer === customer) && (!sub || i.parent?.subscription_details?.subscription === sub) && (!status || i.status === status),
      );
      return listPage(list, p, '/v1/invoices');
    }),
    route('GET', '/v1/invoices/:id', (ctx, _p, [id]) => get(ctx.store, 'invoice', id!, 'invoice')),
    route('POST', '/v1/invoices/:id/pay', (ctx, p, [id]) => billing.payInvoiceNow(ctx, get(ctx.store, 'invoice', id!, 'invoice'), p)),
    route('GET', '/v1/invoice_payments', (ctx, p) => {
      const invoice = str(p, 'invoice');
      return listPage(all(ctx.store, 'invoice_payment').filter((x) => !invoice || x.invoice === invoice), p, '/v1/invoice_payments');
    }),

    // ---- connect
    route('POST', '/v1/accounts', (ctx, p) => connect.createAccount(ctx, p)),
    route('GET', '/v1/accounts', (ctx, p) => {
      if (ctx.store.connected) throw fail.request('Only the platform can list its connected accounts.');
      return listPage(connect.connectedIds(ctx).map((id) => get(ctx.store, 'account', id)).reverse(), p, '/v1/accounts');
    }),
    route('GET', '/v1/accounts/:id', (ctx, _p, [id]) => accountFor(ctx, id!)),
    route('POST', '/v1/accounts/:id', (ctx, p, [id]) => connect.updateAccount(ctx, accountFor(ctx, id!), p)),
    route('GET', '/v1/account', (ctx) => get(ctx.double.platform, 'account', ctx.store.id)),
    route('POST', '/v1/account_links', (ctx, p) => connect.createAccountLink(ctx, p)),

    // ---- events and webhook endpoints
    route('GET', '/v1/events', (ctx, p) => {
      const type = str(p, 'type');
      const types = arr(p, 'types').map(String);
      const match = (t: string) => (!type || (type.endsWith('.*') ? t.startsWith(type.slice(0, -1)) : t === type)) && (!types.length || types.includes(t));
      return listPage(all(ctx.store, 'event').filter((e) => match(e.type)).filter(createdFilter(p)), p, '/v1/events');
    }),
    route('GET', '/v1/events/:id', (ctx, _p, [id]) => get(ctx.store, 'event', id!)),
    route('POST', '/v1/webhook_endpoints', (ctx, p) => {
      platformOnly(ctx);
      const url = requireStr(p, 'url');
      const events = arr(p, 'enabled_events').map(String);
      if (!events.length) throw fail.missing('enabled_events');
      return ctx.double.webhooks.addEndpoint({
        url,
        enabledEvents: events,
        connect: bool(p, 'connect') ?? false,
        description: str(p, 'description') || undefined,
        metadata: Object.fromEntries(Object.entries(obj(p, 'metadata')).map(([k, v]) => [k, String(v)])),
      });
    }),
    route('GET', '/v1/webhook_endpoints', (ctx, p) => {
      platformOnly(ctx);
      return listPage(ctx.double.webhooks.endpoints().map((e) => e.object).reverse(), p, '/v1/webhook_endpoints');
    }),
    route('GET', '/v1/webhook_endpoints/:id', (ctx, _p, [id]) => endpointFor(ctx, id!).object),
    route('POST', '/v1/webhook_endpoints/:id', (ctx, p, [id]) => {
      const e = endpointFor(ctx, id!);
      const url = str(p, 'url');
      if (url) e.object.url = url;
      const events = arr(p, 'enabled_events').map(String);
      if (events.length) e.object.enabled_events = events;
      const disabled = bool(p, 'disabled');
      if (disabled !== undefined) e.object.status = disabled ? 'disabled' : 'enabled';
      const description = str(p, 'description');
      if (description !== undefined) e.object.description = description || null;
      e.object.metadata = mergeMetadata(e.object.metadata, p);
      return e.object;
    }),
    route('DELETE', '/v1/webhook_endpoints/:id', (ctx, _p, [id]) => {
      const e = endpointFor(ctx, id!);
      ctx.double.webhooks.removeEndpoint(e.object.id);
      return deleted(e.object.id, 'webhook_endpoint');
    }),
  ];
}

function platformOnly(ctx: Ctx) {
  if (ctx.store.connected) throw fail.request('Webhook endpoints belong to the platform; send this request without a Stripe-Account header.');
}

function endpointFor(ctx: Ctx, id: string) {
  platformOnly(ctx);
  const e = ctx.double.webhooks.endpoint(id);
  if (!e) throw fail.noSuch('webhook_endpoint', id, 'id');
  return e;
}

/** The platform may read any account it connected; a connected account only itself. */
function accountFor(ctx: Ctx, id: string): Stripe.Account {
  if (ctx.store.connected && id !== ctx.store.id) throw fail.noSuch('account', id, 'account');
  if (id === ctx.double.platform.id) return get(ctx.double.platform, 'account', id, 'account');
  return connect.connectedAccount(ctx, id);
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type Stripe from 'stripe';
import { portTaken } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { apiRoutes } from './api.ts';
import { actOnCheckout, expireDue, type CheckoutAction } from './checkout.ts';
import { completeOnboarding } from './connect.ts';
import { AUTOMATIC, within, type Ctx, type Double } from './context.ts';
import { ControlError, controlRoutes } from './control.ts';
import { accountInaccessible, fail, idempotencyMismatch, StripeFailure, unauthenticated } from './errors.ts';
import * as build from './objects.ts';
import { checkoutPage, notePage, onboardingPage } from './pages.ts';
import { fingerprint, parseForm, type Params } from './params.ts';
import { API_VERSION, newId, nowSeconds, randomToken } from './protocol.ts';
import { createAccountStore, expand, find, put } from './store.ts';
import { STRIPE_CONNECT_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET } from './keys.ts';
import { createWebhooks, DEFAULT_RETRY, type EndpointConfig, type RetryPolicy } from './webhooks.ts';

export type { EndpointConfig, RetryPolicy } from './webhooks.ts';
export { signatureHeader } from './webhooks.ts';

export interface StripeOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  logger?: Logger;
  /** Webhook endpoints from configuration; more can be added through `/v1/webhook_endpoints`. */
  endpoints?: EndpointConfig[];
  retry?: Partial<RetryPolicy>;
  /** How long a bank debit stays `processing` before it succeeds (default 2 s). */
  achSettleMs?: number;
  /** How long after a `pm_card_createDispute` charge succeeds its dispute opens (default 50 ms). */
  disputeDelayMs?: number;
  /** The platform account's business name (shown on the hosted pages). */
  platformName?: string;
}

export interface StripeHandle {
  /** Where the API, the hosted pages and `/_double` controls answer: `http://127.0.0.1:<port>`. */
  url: string;
  host: string;
  port: number;
  /** The configured endpoints, with their ids and `whsec_` secrets. */
  endpoints: Stripe.WebhookEndpoint[];
  /** The platform's own `acct_…`. */
  platformAccount: string;
  /** Forgets every object, event and delivery (configured endpoints stay). */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * The local stack's endpoints: the `stripe-webhook` edge function receives both the platform's
 * events and connected accounts' events, each signed with its own endpoint's secret, as two
 * Stripe endpoints (one of them a Connect endpoint) would send them.
 */
export function stackEndpoints(apiUrl: string): EndpointConfig[] {
  const url = `${apiUrl}/functions/v1/stripe-webhook`;
  return [
    { url, secret: STRIPE_WEBHOOK_SECRET, description: 'Lintel platform events' },
    { url, secret: STRIPE_CONNECT_WEBHOOK_SECRET, connect: true, description: 'Lintel connected accounts' },
  ];
}

/** Secret keys of test mode: `sk_test_…` or a restricted `rk_test_…`. The double never takes live keys. */
const TEST_KEY = /^(sk|rk)_test_[A-Za-z0-9_]+$/;

function apiKey(header: string | null): string | undefined {
  if (!header) return undefined;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme!)) return value;
  // `curl -u sk_test_…:` sends the key as the Basic user name, which Stripe accepts too.
  if (/^basic$/i.test(scheme!)) return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function errorBody(err: StripeFailure): string {
  return JSON.stringify({ error: err.body }, null, 2);
}

/**
 * A stand-in for the Stripe API on its own port, for the local stack and tests: the official
 * `stripe` client pointed at it (`host`, `port`, `protocol: 'http'`) gets Stripe's shapes, errors
 * and idempotency, simulated hosted Checkout and Connect onboarding pages, and webhooks signed and
 * retried as Stripe sends them. State is in memory and belongs to this handle only.
 */
export async function startStripe(opts: StripeOptions = {}): Promise<StripeHandle> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? createLogger('stripe', { level: 'silent' });
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const application = newId('ca');
  const timers = new Set<NodeJS.Timeout>();
  const platformAccount = build.account({
    type: 'standard',
    country: 'US',
    email: 'platform@lintel.test',
    businessType: 'company',
    businessName: opts.platformName ?? 'Lintel',
    capabilities: ['card_payments', 'transfers'],
    metadata: {},
    platform: true,
  });
  const webhooks = createWebhooks({ retry, logger, application });
  const double: Double = {
    baseUrl: '',
    application,
    platform: createAccountStore(platformAccount.id, false),
    connected: new Map(),
    owners: new Map(),
    outcomes: new Map(),
    links: new Map(),
    checkout: new Map(),
    webhooks,
    logger,
    achSettleMs: opts.achSettleMs ?? 2000,
    disputeDelayMs: opts.disputeDelayMs ?? 50,
    later(ms, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          fn();
        } catch (err) {
          logger.error({ err }, 'stripe double: scheduled work failed');
        }
      }, ms);
      timers.add(timer);
    },
  };
  put(double.platform, platformAccount);
  const configured = (opts.endpoints ?? []).map((e) => webhooks.addEndpoint(e));
  const configuredIds = new Set(configured.map((e) => e.id));

  function reset() {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    double.platform = createAccountStore(platformAccount.id, false);
    put(double.platform, platformAccount);
    for (const m of [double.connected, double.owners, double.outcomes, double.links, double.checkout]) m.clear();
    webhooks.clear();
    for (const e of webhooks.endpoints()) if (!configuredIds.has(e.object.id)) webhooks.removeEndpoint(e.object.id);
  }

  const routes = apiRoutes();
  const controls = controlRoutes(reset);

  async function api(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const requestId = `req_${randomToken(14)}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': req.headers.get('stripe-version') ?? API_VERSION,
    };
    const respond = (status: number, body: string, extra: Record<string, string> = {}) => new Response(body, { status, headers: { ...headers, ...extra } });
    try {
      const key = apiKey(req.headers.get('authorization'));
      if (!key || !TEST_KEY.test(key)) throw unauthenticated(key);
      const accountId = req.headers.get('stripe-account');
      let store = double.platform;
      if (accountId && accountId !== double.platform.id) {
        const connected = double.connected.get(accountId);
        if (!connected) throw accountInaccessible(key, accountId);
        store = connected;
      }
      const method = req.method.toUpperCase();
      let match: { handler: (typeof routes)[number]['handler']; ids: string[] } | undefined;
      for (const r of routes) {
        if (r.method !== method) continue;
        const m = r.pattern.exec(url.pathname);
        if (m) {
          match = { handler: r.handler, ids: m.slice(1).map(decodeURIComponent) };
          break;
        }
      }
      if (!match) throw fail.unrecognizedUrl(method, url.pathname);
      const params: Params = method === 'POST' ? parseForm(await req.text()) : parseForm(url.search.slice(1));
      // Idempotency keys belong to POSTs and are scoped to the account (docs.stripe.com/api/idempotent_requests).
      const idempotencyKey = method === 'POST' ? req.headers.get('idempotency-key') : null;
      const print = fingerprint(method, url.pathname, params);
      if (idempotencyKey) {
        headers['idempotency-key'] = idempotencyKey;
        const saved = store.idempotency.get(idempotencyKey);
        if (saved) {
          if (saved.fingerprint !== print) throw idempotencyMismatch(idempotencyKey);
          return respond(saved.status, saved.body, { 'idempotent-replayed': 'true', 'original-request': saved.requestId });
        }
      }
      const ctx: Ctx = { double, store, request: { id: requestId, idempotency_key: idempotencyKey } };
      let status = 200;
      let body: string;
      try {
        body = JSON.stringify(expand(store, match.handler(ctx, params, match.ids), params), null, 2);
      } catch (err) {
        if (!(err instanceof StripeFailure) || !err.saved) throw err;
        status = err.status;
        body = errorBody(err);
      }
      if (idempotencyKey) store.idempotency.set(idempotencyKey, { fingerprint: print, status, body, requestId });
      logger.debug({ method, path: url.pathname, status, account: store.connected ? store.id : undefined }, 'stripe api');
      return respond(status, body);
    } catch (err) {
      if (err instanceof StripeFailure) return respond(err.status, errorBody(err));
      logger.error({ err, path: url.pathname }, 'stripe double: request failed');
      return respond(500, JSON.stringify({ error: { type: 'api_error', message: `The Stripe double failed: ${(err as Error).message}` } }, null, 2));
    }
  }

  const autoCtx = (store: typeof double.platform): Ctx => within({ double, store, request: AUTOMATIC }, store);
  const merchantName = (storeId: string) => {
    const acct = find(double.platform, 'account', storeId);
    return acct?.business_profile?.name ?? acct?.email ?? 'Lintel';
  };
  const formOf = async (c: Context) => parseForm(await c.req.text());

  const app = new Hono();
  app.all('/v1/*', (c) => api(c.req.raw));
  app.all('/v1', (c) => api(c.req.raw));

  // Hosted Checkout (Stripe serves it at checkout.stripe.com/c/pay/<session id>).
  app.get('/c/pay/:id', (c) => {
    const id = c.req.param('id');
    const store = double.owners.get(id);
    const session = store && find(store, 'checkout.session', id);
    if (!store || !session) return c.html(notePage('Checkout', 'This Checkout Session does not exist.'), 404);
    return c.html(checkoutPage({ session, lines: store.lineItems.get(id) ?? [], merchant: merchantName(store.id) }));
  });
  app.post('/c/pay/:id', async (c) => {
    const id = c.req.param('id');
    const store = double.owners.get(id);
    const session = store && find(store, 'checkout.session', id);
    if (!store || !session) return c.html(notePage('Checkout', 'This Checkout Session does not exist.'), 404);
    const form = await formOf(c);
    const action = String(form.action ?? '') as CheckoutAction;
    if (!['pay', 'decline', 'abandon'].includes(action)) {
      return c.html(checkoutPage({ session, lines: store.lineItems.get(id) ?? [], merchant: merchantName(store.id), error: 'Choose Pay, Decline or Abandon.' }), 400);
    }
    const result = actOnCheckout(autoCtx(store), session, action, form);
    if ('redirect' in result) return c.redirect(result.redirect, 303);
    const status = session.status === 'open' ? 402 : 409;
    return c.html(checkoutPage({ session, lines: store.lineItems.get(id) ?? [], merchant: merchantName(store.id), error: result.error }), status);
  });

  // Connect onboarding (Stripe serves it at connect.stripe.com/setup/s/<account>/<token>).
  app.get('/setup/s/:account/:token', (c) => {
    const link = double.links.get(c.req.param('token'));
    if (!link || link.account !== c.req.param('account')) return c.html(notePage('Onboarding', 'This onboarding link does not exist.'), 404);
    // A used or expired link sends the person to refresh_url, where the platform makes a new one.
    if (link.used || link.expiresAt < nowSeconds()) return c.redirect(link.refreshUrl, 303);
    const account = find(double.platform, 'account', link.account)!;
    return c.html(onboardingPage({ account, type: link.type }));
  });
  app.post('/setup/s/:account/:token', async (c) => {
    const link = double.links.get(c.req.param('token'));
    if (!link || link.account !== c.req.param('account')) return c.html(notePage('Onboarding', 'This onboarding link does not exist.'), 404);
    if (link.used || link.expiresAt < nowSeconds()) return c.redirect(link.refreshUrl, 303);
    const form = await formOf(c);
    const account = find(double.platform, 'account', link.account)!;
    if (form.action !== 'complete' && form.action !== 'leave') {
      return c.html(onboardingPage({ account, type: link.type, error: 'Choose Complete onboarding or Leave unfinished.' }), 400);
    }
    link.used = true;
    if (form.action === 'complete') completeOnboarding(autoCtx(double.platform), account);
    return c.redirect(link.returnUrl, 303);
  });

  app.get('/receipts/payment/:id', (c) => c.html(notePage('Receipt', `Receipt for ${c.req.param('id')} (test mode).`)));
  app.get('/i/:id', (c) => c.html(notePage('Invoice', `Invoice ${c.req.param('id')} (test mode).`)));

  app.all('/_double/*', async (c) => {
    const url = new URL(c.req.url);
    const method = c.req.method.toUpperCase();
    const text = method === 'POST' ? await c.req.text() : '';
    let body: Record<string, unknown> = {};
    try {
      body = text ? (text.trimStart().startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : parseForm(text)) : {};
    } catch {
      return c.json({ error: 'The body is not valid JSON.' }, 400);
    }
    for (const r of controls) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(url.pathname);
      if (!m) continue;
      try {
        return c.json(r.handler(double, body, m.slice(1).map(decodeURIComponent), url.searchParams) as object);
      } catch (err) {
        if (err instanceof ControlError) return c.json({ error: err.message }, err.status as 400);
        if (err instanceof StripeFailure) return c.json({ error: err.body.message }, 400);
        throw err;
      }
    }
    return c.json({ error: `No test control ${method} ${url.pathname} (see local-stack/stripe/README.md).` }, 404);
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/', (c) =>
    c.html(notePage('Lintel Stripe double', 'Point the stripe client here with { host, port, protocol: "http" }. Test controls live under /_double (see local-stack/stripe/README.md).')),
  );

  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portTaken(opts.port ?? 0, 'the Stripe double') : err));
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  double.baseUrl = `http://${host}:${port}`;

  // Checkout Sessions expire at `expires_at` without anyone asking.
  const sweep = setInterval(() => {
    for (const store of [double.platform, ...double.connected.values()]) {
      try {
        expireDue(autoCtx(store));
      } catch (err) {
        logger.error({ err }, 'stripe double: expiring sessions failed');
      }
    }
  }, 1000);
  sweep.unref();

  return {
    url: double.baseUrl,
    host,
    port,
    endpoints: configured,
    platformAccount: platformAccount.id,
    reset,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        for (const t of timers) clearTimeout(t);
        timers.clear();
        webhooks.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

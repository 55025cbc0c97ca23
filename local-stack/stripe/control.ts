import type Stripe from 'stripe';
import { advanceSubscription } from './billing.ts';
import { AUTOMATIC, cloneEvent, type Ctx, type Double } from './context.ts';
import { closeDispute, openDispute, settlePaymentIntent } from './payments.ts';
import { find, type AccountStore, type Kind, type Kinds } from './store.ts';
import type { ReleaseOrder } from './webhooks.ts';

// The double's own test controls under `/_double/…` (local-stack/stripe/README.md): what Stripe
// does on its own schedule or through its Dashboard, made something a test can ask for.

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

interface ControlRoute {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: (double: Double, body: Body, ids: string[], query: URLSearchParams) => unknown;
}

const route = (method: ControlRoute['method'], path: string, handler: ControlRoute['handler']): ControlRoute => ({
  method,
  pattern: new RegExp(`^/_double${path.replace(/:id/g, '([^/]+)')}$`),
  handler,
});

/** The object with this id wherever it lives, with a context acting on its account. */
function locate<K extends Kind>(double: Double, kind: K, id: string): { ctx: Ctx; object: Kinds[K] } {
  const store: AccountStore | undefined = double.owners.get(id);
  const object = store ? find(store, kind, id) : undefined;
  if (!store || !object) throw new ControlError(404, `No ${kind} ${id} in this double.`);
  return { ctx: { double, store, request: AUTOMATIC }, object };
}

const ORDERS: ReleaseOrder[] = ['fifo', 'reverse', 'shuffle'];

export function controlRoutes(reset: () => void): ControlRoute[] {
  return [
    route('GET', '/endpoints', (double) => ({
      data: double.webhooks.endpoints().map((e) => ({ ...e.object, secret: e.secret, connect: e.connect })),
    })),
    route('GET', '/deliveries', (double, _b, _ids, q) => ({
      data: double.webhooks.deliveries({ event: q.get('event') ?? undefined, endpoint: q.get('endpoint') ?? undefined, type: q.get('type') ?? undefined }),
    })),
    route('GET', '/settings', (double) => double.webhooks.settings),
    route('POST', '/settings', (double, body) => {
      const s = double.webhooks.settings;
      if (body.copies !== undefined) {
        const n = Number(body.copies);
        if (!Number.isInteger(n) || n < 1 || n > 20) throw new ControlError(400, 'copies must be an integer from 1 to 20.');
        s.copies = n;
      }
      if (body.shuffle_window_ms !== undefined) {
        const ms = Number(body.shuffle_window_ms);
        if (!Number.isFinite(ms) || ms < 0 || ms > 60_000) throw new ControlError(400, 'shuffle_window_ms must be from 0 to 60000.');
        s.shuffleWindowMs = ms;
      }
      return s;
    }),
    route('POST', '/deliveries/pause', (double) => {
      double.webhooks.pause();
      return double.webhooks.settings;
    }),
    route('POST', '/deliveries/resume', (double, body) => {
      const order = body.order === undefined ? undefined : (String(body.order) as ReleaseOrder);
      if (order && !ORDERS.includes(order)) throw new ControlError(400, `order must be one of ${ORDERS.join(', ')}.`);
      return { released: double.webhooks.resume(order) };
    }),
    route('POST', '/events/:id/redeliver', (double, _b, [id]) => {
      const { object } = locate(double, 'event', id!);
      double.webhooks.dispatch(object, () => object);
      return object;
    }),
    route('POST', '/events/:id/clone', (double, _b, [id]) => {
      const { ctx, object } = locate(double, 'event', id!);
      return cloneEvent(ctx, object);
    }),
    route('POST', '/subscriptions/:id/advance', (double, body, [id]) => {
      const { ctx, object } = locate(double, 'subscription', id!);
      const invoice = advanceSubscription(ctx, object, { fail: body.fail === true || body.fail === 'true' });
      return { subscription: object, invoice };
    }),
    route('POST', '/subscriptions/:id/fail_next_payment', (double, _b, [id]) => {
      const { ctx, object } = locate(double, 'subscription', id!);
      ctx.store.failNextPayment.add(object.id);
      return { subscription: object.id, fail_next_payment: true };
    }),
    route('POST', '/disputes/:id/resolve', (double, body, [id]) => {
      const { ctx, object } = locate(double, 'dispute', id!);
      if (body.outcome !== 'won' && body.outcome !== 'lost') throw new ControlError(400, 'outcome must be "won" or "lost".');
      return closeDispute(ctx, object, body.outcome);
    }),
    route('POST', '/charges/:id/dispute', (double, _b, [id]) => {
      const { ctx, object } = locate(double, 'charge', id!);
      if (object.status !== 'succeeded') throw new ControlError(400, `Charge ${object.id} is ${object.status}; only succeeded charges can be disputed.`);
      const dp = openDispute(ctx, object.id);
      if (!dp) throw new ControlError(400, `Charge ${object.id} is already disputed.`);
      return dp;
    }),
    route('POST', '/payment_intents/:id/settle', (double, _b, [id]) => {
      const { ctx, object } = locate(double, 'payment_intent', id!);
      if (object.status !== 'processing') throw new ControlError(400, `PaymentIntent ${object.id} is ${object.status}, not processing.`);
      return settlePaymentIntent(ctx, object.id) as Stripe.PaymentIntent;
    }),
    route('POST', '/reset', () => {
      reset();
      return { reset: true };
    }),
  ];
}

import Stripe from 'stripe';
import { requireEnv } from './env.ts';
import { HttpError } from './errors.ts';

export { Stripe };

let client: Stripe | undefined;

/**
 * The platform's Stripe client. STRIPE_API_URL (set by the local stack: its Stripe double) moves
 * every call to that host; unset, the client talks to Stripe itself. Network retries reuse the
 * call's Idempotency-Key, so a retried create never charges twice.
 */
export function stripe(): Stripe {
  if (client) return client;
  const key = requireEnv('STRIPE_SECRET_KEY');
  const api = Deno.env.get('STRIPE_API_URL');
  const base = { httpClient: Stripe.createFetchHttpClient(), maxNetworkRetries: 2 };
  if (api) {
    const url = new URL(api);
    client = new Stripe(key, { ...base, host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), protocol: url.protocol === 'https:' ? 'https' : 'http' });
  } else {
    client = new Stripe(key, base);
  }
  return client;
}

/** Where Stripe sends the resident or owner back to: the web app (SITE_URL). */
export function siteUrl(req: Request): string {
  const configured = Deno.env.get('SITE_URL');
  const origin = req.headers.get('Origin');
  const base = configured || origin;
  if (!base) throw new HttpError(500, 'missing_configuration', 'The function is missing the SITE_URL setting.');
  return base.replace(/\/+$/, '');
}

/** A Stripe API failure as the caller should see it: its own mistakes 400, Stripe's trouble 502. */
export function stripeFailure(err: unknown): HttpError {
  if (err instanceof Stripe.errors.StripeCardError) return new HttpError(402, 'card_declined', err.message);
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    return new HttpError(400, 'invalid_request', err.message, { formErrors: [], fieldErrors: err.param ? { [err.param]: [err.message] } : {} });
  }
  console.error(err);
  return new HttpError(502, 'stripe_unavailable', 'The payment provider did not answer; try again.');
}

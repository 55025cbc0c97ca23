import Stripe from 'stripe';

// Values several builders share.

/** Stripe's dispute fee in the US (stripe.com/pricing: $15 per dispute). */
export const DISPUTE_FEE = 1500;

export const EMPTY_ADDRESS: Stripe.Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

/** Stripe's `*_decimal` fields are decimal strings on the wire; the client types them as Decimal. */
export const decimal = (n: number) => Stripe.Decimal.from(String(n));

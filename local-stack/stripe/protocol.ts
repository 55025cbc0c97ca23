import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * The API version the double renders objects and events in: the one the pinned `stripe` client
 * sends as `Stripe-Version`, so `Stripe.PaymentIntent` & co. describe exactly these shapes.
 */
export const API_VERSION: string = Stripe.API_VERSION;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function token(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i]! % 62];
  return out;
}

/**
 * Stripe ids are a type prefix and base62 characters; the lengths follow fixtures3.json (stripe/
 * openapi): `cus_QXg1o8vcGmoR32` and `prod_…` 14, `acct_1PgafTB7WZ01zgkW` 16, checkout sessions
 * `cs_test_a1…` 58, everything else 24 (`pi_1PgafyB7WZ01zgkWSjxsAJo3`).
 */
export function newId(prefix: string): string {
  if (prefix === 'cs') return `cs_test_a1${token(56)}`;
  const length = prefix === 'cus' || prefix === 'prod' ? 14 : prefix === 'acct' ? 16 : 24;
  return `${prefix}_${token(length)}`;
}

/** `pi_…_secret_…` / `seti_…_secret_…`, as intents expose to the browser. */
export const clientSecret = (id: string) => `${id}_secret_${token(25)}`;

/** Random characters for webhook secrets, onboarding links and request ids. */
export const randomToken = token;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** What a test payment method does when charged (docs.stripe.com/testing). */
export type Outcome =
  | { kind: 'succeed' }
  /** Charge succeeds, then the cardholder disputes it as fraudulent (card 4000000000000259). */
  | { kind: 'dispute' }
  | { kind: 'decline'; code: string; decline_code: string; message: string; seller_message: string; on_attach: boolean }
  /** Bank debits: `processing` first, then `succeeded` (after `achSettleMs`) or never (`stay`). */
  | { kind: 'processing'; then: 'succeed' | 'stay' };

export interface TestPaymentMethod {
  type: 'card' | 'us_bank_account';
  brand?: string;
  last4: string;
  funding?: string;
  outcome: Outcome;
}

const GENERIC_DECLINE = {
  code: 'card_declined',
  decline_code: 'generic_decline',
  message: 'Your card was declined.',
  seller_message: 'The bank did not return any further details with this decline.',
};

/**
 * The `pm_…` test tokens the double accepts (docs.stripe.com/testing#cards, #declined-payments,
 * #disputes, and the ACH guide's test account tokens). Using one creates a fresh PaymentMethod
 * with its own `pm_` id, as Stripe does. Declines other than `chargeCustomerFail` also fail when
 * the card is attached or set up; 0341 is the card that attaches and then fails every charge.
 */
export const TEST_PAYMENT_METHODS: Record<string, TestPaymentMethod> = {
  pm_card_visa: { type: 'card', brand: 'visa', last4: '4242', funding: 'credit', outcome: { kind: 'succeed' } },
  pm_card_visa_debit: { type: 'card', brand: 'visa', last4: '5556', funding: 'debit', outcome: { kind: 'succeed' } },
  pm_card_mastercard: { type: 'card', brand: 'mastercard', last4: '4444', funding: 'credit', outcome: { kind: 'succeed' } },
  pm_card_amex: { type: 'card', brand: 'amex', last4: '8431', funding: 'credit', outcome: { kind: 'succeed' } },
  pm_card_createDispute: { type: 'card', brand: 'visa', last4: '0259', funding: 'credit', outcome: { kind: 'dispute' } },
  pm_card_chargeDeclined: { type: 'card', brand: 'visa', last4: '0002', funding: 'credit', outcome: { kind: 'decline', ...GENERIC_DECLINE, on_attach: true } },
  pm_card_visa_chargeDeclined: { type: 'card', brand: 'visa', last4: '0002', funding: 'credit', outcome: { kind: 'decline', ...GENERIC_DECLINE, on_attach: true } },
  pm_card_chargeDeclinedInsufficientFunds: {
    type: 'card',
    brand: 'visa',
    last4: '9995',
    funding: 'credit',
    outcome: {
      kind: 'decline',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
      seller_message: 'The bank returned the decline code `insufficient_funds`.',
      on_attach: true,
    },
  },
  pm_card_chargeDeclinedExpiredCard: {
    type: 'card',
    brand: 'visa',
    last4: '0069',
    funding: 'credit',
    outcome: {
      kind: 'decline',
      code: 'expired_card',
      decline_code: 'expired_card',
      message: 'Your card has expired.',
      seller_message: 'The bank returned the decline code `expired_card`.',
      on_attach: true,
    },
  },
  pm_card_chargeCustomerFail: { type: 'card', brand: 'visa', last4: '0341', funding: 'credit', outcome: { kind: 'decline', ...GENERIC_DECLINE, on_attach: false } },
  pm_usBankAccount_success: { type: 'us_bank_account', last4: '6789', outcome: { kind: 'processing', then: 'succeed' } },
  pm_usBankAccount_processing: { type: 'us_bank_account', last4: '0009', outcome: { kind: 'processing', then: 'stay' } },
};

/**
 * Dispute evidence that decides a test dispute (docs.stripe.com/testing#evidence): submitted as
 * `evidence[uncategorized_text]`, it closes the dispute as won or lost.
 */
export const WINNING_EVIDENCE = 'winning_evidence';
export const LOSING_EVIDENCE = 'losing_evidence';

/** Stripe answers 400 `amount_too_small` below the charge minimum; USD's is $0.50 (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
export const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, gbp: 30, cad: 50, aud: 50 };

/** Checkout Sessions stay open 24 hours unless `expires_at` says otherwise (API reference, checkout.session.expires_at). */
export const CHECKOUT_TTL_SECONDS = 24 * 60 * 60;

/** Account Links are short-lived and single-use; Stripe's expire after a few minutes (`expires_at` = created + 300 in the API reference example). */
export const ACCOUNT_LINK_TTL_SECONDS = 300;

/** What Stripe's webhook deliveries carry (docs.stripe.com/webhooks). */
export const WEBHOOK_USER_AGENT = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';

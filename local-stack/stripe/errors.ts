import type Stripe from 'stripe';

/** The body Stripe answers an error with: `{ error: { type, code, message, param, doc_url, … } }`. */
export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
  decline_code?: string;
  charge?: string;
  payment_intent?: Stripe.PaymentIntent;
  payment_method?: Stripe.PaymentMethod;
  setup_intent?: Stripe.SetupIntent;
}

/**
 * A request Stripe refuses. `saved` marks failures that happen after the endpoint began executing
 * (a declined card): Stripe stores those under the Idempotency-Key like a success, while a request
 * that fails validation saves nothing and may be retried (docs.stripe.com/api/idempotent_requests).
 */
export class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly saved = false,
  ) {
    super(body.message);
  }
}

/** Stripe links every error code to `https://stripe.com/docs/error-codes/<code with dashes>`. */
export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

function invalid(status: number, message: string, code?: string, param?: string): StripeFailure {
  return new StripeFailure(status, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code, doc_url: docUrl(code) } : {}),
    ...(param ? { param } : {}),
  });
}

export const fail = {
  /** 400 `parameter_missing`, as Stripe words it: "Missing required param: amount." */
  missing: (param: string) => invalid(400, `Missing required param: ${param}.`, 'parameter_missing', param),
  /** 400 `parameter_invalid_integer`: "Invalid integer: abc". */
  notInteger: (param: string, value: unknown) => invalid(400, `Invalid integer: ${String(value)}`, 'parameter_invalid_integer', param),
  /** 400 `parameter_invalid_empty`, for an empty string where a value is needed. */
  empty: (param: string) =>
    invalid(400, `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`, 'parameter_invalid_empty', param),
  /** 400 for a value outside what the parameter accepts. */
  invalid: (param: string, message: string, code?: string) => invalid(400, message, code, param),
  /** A 400 without a parameter (a state the object is not in, an operation not allowed). */
  request: (message: string, code?: string, param?: string) => invalid(400, message, code, param),
  /**
   * `resource_missing`: 404 when the object is the one in the URL, 400 when a parameter names it
   * ("No such customer: 'cus_…'" in both cases).
   */
  noSuch: (kind: string, id: string, param: string, status: 400 | 404 = 404) =>
    invalid(status, `No such ${kind}: '${id}'`, 'resource_missing', param),
  /** 404 for a path the API does not have. */
  unrecognizedUrl: (method: string, path: string) =>
    invalid(
      404,
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    ),
};

/** Idempotency-Key reused with other parameters (docs.stripe.com/api/idempotent_requests). */
export function idempotencyMismatch(key: string): StripeFailure {
  return new StripeFailure(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

/** A key as Stripe quotes it in errors: prefix, asterisks, last four. */
const masked = (key: string) => (key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}` : key);

/** 401 with no key, a malformed one or a live one (the double serves test mode only). */
export function unauthenticated(key: string | undefined): StripeFailure {
  const message = !key
    ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
    : `Invalid API Key provided: ${masked(key)}`;
  return new StripeFailure(401, { type: 'invalid_request_error', message });
}

/**
 * A `Stripe-Account` header naming an account the platform has not connected: Stripe answers
 * 403, which the client raises as StripePermissionError.
 */
export function accountInaccessible(key: string, account: string): StripeFailure {
  return new StripeFailure(403, {
    type: 'invalid_request_error',
    code: 'account_invalid',
    doc_url: docUrl('account_invalid'),
    message: `The provided key '${masked(key)}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
  });
}

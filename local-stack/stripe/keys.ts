/**
 * The Stripe double's fixed test credentials, printed by `npm run -s stack:status` and handed to
 * the edge functions. Like the Supabase CLI's demo keys they sign nothing real: every developer
 * machine has the same values, and the double accepts any `sk_test_` key anyway.
 */
export const STRIPE_SECRET_KEY = 'sk_test_lintel_local_stripe_double_000000000000000000';

/** Signing secret of the endpoint that receives the platform's own events. */
export const STRIPE_WEBHOOK_SECRET = 'whsec_lintel_local_platform_0000000000000000000000';

/** Signing secret of the endpoint that receives connected accounts' events (`connect: true`). */
export const STRIPE_CONNECT_WEBHOOK_SECRET = 'whsec_lintel_local_connect_00000000000000000000000';

/**
 * `npm start`'s port for the double. Supabase has no Stripe; in the CLI's range this is the mail
 * catcher's optional POP3 port (`[inbucket] pop3_port`), which the local stack does not serve.
 */
export const STRIPE_DEFAULT_PORT = 54326;

import path from 'node:path';
import { mergeTables, type StackConfig } from '../config.ts';

type Toml = Record<string, unknown>;

/** The `[auth]` settings of `config.toml` the auth service honours, with the CLI's defaults. */
export interface AuthSettings {
  /** `iss` of issued tokens: GoTrue's API_EXTERNAL_URL, `<api>/auth/v1` under the CLI. */
  issuer: string;
  siteUrl: string;
  redirectUrls: string[];
  jwtExpiry: number;
  enableSignup: boolean;
  enableAnonymous: boolean;
  /** `[auth.email] enable_confirmations = false` is GoTrue's MAILER_AUTOCONFIRM. */
  autoconfirm: boolean;
  doubleConfirmChanges: boolean;
  securePasswordChange: boolean;
  maxFrequencySeconds: number;
  otpLength: number;
  otpExpiry: number;
  minPasswordLength: number;
  /** GoTrue's PASSWORD_REQUIRED_CHARACTERS: each set must contribute one character. */
  requiredCharacters: string[];
  rotation: boolean;
  reuseInterval: number;
  rateLimits: {
    emailSent: number;
    anonymousUsers: number;
    tokenRefresh: number;
    signInSignUps: number;
    tokenVerifications: number;
    mfa: number;
  };
  mfa: { maxEnrolledFactors: number; totpEnroll: boolean; totpVerify: boolean };
  /** `schema.function` of the custom access token hook when enabled. */
  customAccessTokenHook?: { schema: string; fn: string };
  /** Path of the CLI's `signing_keys_path` file (private JWKs), when asymmetric keys are configured. */
  signingKeysPath?: string;
}

function table(t: Toml | undefined, key: string): Toml {
  const v = t?.[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Toml) : {};
}
const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** Go-style durations as the CLI writes them ("1s", "1m0s", "5m"). */
export function seconds(v: unknown, d: number): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return d;
  let total = 0;
  let matched = false;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 'ms' ? n / 1000 : n;
  }
  return matched ? total : d;
}

// supabase/cli pkg/config: password_requirements → GOTRUE_PASSWORD_REQUIRED_CHARACTERS.
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const SYMBOLS = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";
const REQUIREMENTS: Record<string, string[]> = {
  '': [],
  letters_digits: [LOWER + UPPER, DIGITS],
  lower_upper_letters_digits: [LOWER, UPPER, DIGITS],
  lower_upper_letters_digits_symbols: [LOWER, UPPER, DIGITS, SYMBOLS],
};

/**
 * Resolves the auth settings from the stack config's `[auth]` table, optionally overlaid by
 * `overrides` (an `[auth]`-shaped table): how tests run a second auth service with other
 * settings (hook on, signup off, anonymous on, asymmetric keys).
 */
export function authSettings(config: StackConfig, overrides: Toml = {}): AuthSettings {
  const raw = mergeTables(config.auth.raw, overrides);
  const email = table(raw, 'email');
  const rate = table(raw, 'rate_limit');
  const mfa = table(raw, 'mfa');
  const totp = table(mfa, 'totp');
  const hook = table(table(raw, 'hook'), 'custom_access_token');
  let customAccessTokenHook: AuthSettings['customAccessTokenHook'];
  if (hook.enabled === true) {
    const m = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(String(hook.uri ?? ''));
    if (!m) throw new Error(`[auth.hook.custom_access_token] uri must look like pg-functions://postgres/<schema>/<function>; got ${String(hook.uri)}.`);
    customAccessTokenHook = { schema: m[1]!, fn: m[2]! };
  }
  const req = String(raw.password_requirements ?? '');
  if (!(req in REQUIREMENTS)) throw new Error(`[auth] password_requirements "${req}" is not one the Supabase CLI accepts.`);
  const api = `http://${config.host}:${config.ports.api}`;
  return {
    issuer: `${api}/auth/v1`,
    siteUrl: typeof raw.site_url === 'string' ? raw.site_url : 'http://127.0.0.1:3000',
    redirectUrls: Array.isArray(raw.additional_redirect_urls) ? raw.additional_redirect_urls.map(String) : [],
    jwtExpiry: num(raw.jwt_expiry, 3600),
    enableSignup: bool(raw.enable_signup, true),
    enableAnonymous: bool(raw.enable_anonymous_sign_ins, false),
    autoconfirm: !bool(email.enable_confirmations, false),
    doubleConfirmChanges: bool(email.double_confirm_changes, true),
    securePasswordChange: bool(email.secure_password_change, false),
    maxFrequencySeconds: seconds(email.max_frequency, 1),
    otpLength: num(email.otp_length, 6),
    otpExpiry: num(email.otp_expiry, 3600),
    minPasswordLength: num(raw.minimum_password_length, 6),
    requiredCharacters: REQUIREMENTS[req]!,
    rotation: bool(raw.enable_refresh_token_rotation, true),
    reuseInterval: num(raw.refresh_token_reuse_interval, 10),
    rateLimits: {
      emailSent: num(rate.email_sent, 2),
      anonymousUsers: num(rate.anonymous_users, 30),
      tokenRefresh: num(rate.token_refresh, 150),
      signInSignUps: num(rate.sign_in_sign_ups, 30),
      tokenVerifications: num(rate.token_verifications, 30),
      mfa: num(table(mfa, 'rate_limit').challenge_and_verify, 15),
    },
    mfa: {
      maxEnrolledFactors: num(mfa.max_enrolled_factors, 10),
      totpEnroll: bool(totp.enroll_enabled, false),
      totpVerify: bool(totp.verify_enabled, false),
    },
    customAccessTokenHook,
    signingKeysPath:
      typeof raw.signing_keys_path === 'string' && raw.signing_keys_path
        ? path.resolve(config.projectRoot, 'supabase', raw.signing_keys_path)
        : undefined,
  };
}

import { E } from './errors.ts';
import type { AuthSettings } from './settings.ts';

/**
 * Token buckets keyed per client, as GoTrue's tollbooth limiters: `rate` tokens per second,
 * up to `burst` at once. A hand-written bucket because the semantics (rate from config per
 * interval, fixed burst) are GoTrue's own and tiny; no library models them more closely.
 */
export class Bucket {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `key`; false when the client is over its limit. */
  take(key: string, now = Date.now()): boolean {
    if (this.ratePerSecond <= 0 && this.burst <= 0) return false;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
    b.at = now;
    if (this.buckets.size > 10_000) this.buckets.clear();
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    return true;
  }
}

/** A fixed count per hour for the whole instance, as GoTrue's email-sent limiter. */
export class HourlyCounter {
  private stamps: number[] = [];
  constructor(private readonly perHour: number) {}
  take(now = Date.now()): boolean {
    this.stamps = this.stamps.filter((t) => now - t < 3_600_000);
    if (this.stamps.length >= this.perHour) return false;
    this.stamps.push(now);
    return true;
  }
}

/** The per-client limiters routes name. */
export type LimitName = 'token' | 'verify' | 'otp' | 'anonymous' | 'mfa';

/** GoTrue's limiters, sized from config.toml's `[auth.rate_limit]`. */
export function authLimits(rateLimits: AuthSettings['rateLimits']) {
  return {
    perClient: {
      // apilimiter.go: the token endpoint (every grant) and verify: config/5 min, burst 30.
      token: new Bucket(rateLimits.tokenRefresh / 300, 30),
      verify: new Bucket(rateLimits.tokenVerifications / 300, 30),
      // signup, otp, magiclink, recover, resend and PUT /user share RATE_LIMIT_OTP
      // (sign_in_sign_ups in config.toml): config/5 min, burst 30.
      otp: new Bucket(rateLimits.signInSignUps / 300, 30),
      anonymous: new Bucket(rateLimits.anonymousUsers / 3600, rateLimits.anonymousUsers),
      mfa: new Bucket(rateLimits.mfa / 60, 30),
    } satisfies Record<LimitName, Bucket>,
    email: new HourlyCounter(rateLimits.emailSent),
  };
}

/**
 * Takes one token for the request's client. GoTrue limits requests per client only when a
 * rate-limit header names the client (GOTRUE_RATE_LIMIT_HEADER; Supabase's edge sets
 * X-Forwarded-For). Without one, no per-client limit applies (middleware.go
 * performRateLimitingWithHeader).
 */
export function limitClient(bucket: Bucket, req: Request): void {
  const key = req.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  if (key && !bucket.take(key)) throw E.rateLimited();
}

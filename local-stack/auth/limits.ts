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

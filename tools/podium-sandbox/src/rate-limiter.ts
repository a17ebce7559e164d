import type { RateLimitConfig } from "./faults.js";

/** The outcome of taking one request from a bucket. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole requests left after this one. */
  remaining: number;
  /** Seconds until the bucket can serve one more request (when refused) or is full (when allowed). */
  resetSeconds: number;
}

/** Token buckets per key, refilled continuously at perMinute/60 per second, burst = perMinute. */
export interface RateLimiter {
  /** Take one request from every key's bucket, or from none when any is empty. */
  take(keys: readonly string[], config: RateLimitConfig, now: number): RateDecision;
  /** Forget every bucket (a config change starts fresh). */
  reset(): void;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Create the limiter; buckets live in a Map keyed by `token:<id>`, `app:<clientId>` or `location:<uid>`. */
export function createRateLimiter(): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const refill = (key: string, config: RateLimitConfig, now: number): Bucket => {
    let b = buckets.get(key);
    if (b === undefined) {
      b = { tokens: config.perMinute, last: now };
      buckets.set(key, b);
    } else if (now > b.last) {
      b.tokens = Math.min(config.perMinute, b.tokens + ((now - b.last) * config.perMinute) / 60_000);
      b.last = now;
    }
    return b;
  };
  return {
    take(keys, config, now) {
      const perMs = config.perMinute / 60_000;
      const list = keys.map((k) => refill(k, config, now));
      const low = list.reduce((min, b) => (b.tokens < min.tokens ? b : min));
      if (low.tokens < 1) {
        return { allowed: false, limit: config.perMinute, remaining: 0, resetSeconds: Math.ceil((1 - low.tokens) / perMs / 1000) };
      }
      for (const b of list) b.tokens -= 1;
      return {
        allowed: true,
        limit: config.perMinute,
        remaining: Math.floor(low.tokens),
        resetSeconds: Math.ceil((config.perMinute - low.tokens) / perMs / 1000),
      };
    },
    reset() {
      buckets.clear();
    },
  };
}

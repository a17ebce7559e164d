/**
 * Slack for float comparisons: tokens accrue as `elapsedMs * perMs`, so a bucket that holds exactly one
 * token by arithmetic may read 0.9999999999. Without it a timer set for the exact moment would find
 * "not yet" and re-arm for a few nanoseconds later.
 * @internal
 */
export const TOKEN_EPSILON = 1e-9;

/**
 * A token bucket refilled lazily from a clock reading: no timer, O(1) per operation. Tokens are
 * fractional; one call costs one token. Consumers call `refill(now)` before reading `tokens`.
 * @internal
 */
export class TokenBucket {
  #tokens: number;
  #capacity: number;
  #perMs: number;
  #last: number;

  /**
   * @param capacity the burst: most tokens the bucket holds.
   * @param perMs tokens added per millisecond.
   * @param tokens the starting level; full by default.
   */
  constructor(capacity: number, perMs: number, now: number, tokens = capacity) {
    this.#capacity = capacity;
    this.#perMs = perMs;
    this.#last = now;
    this.#tokens = Math.min(capacity, tokens);
  }

  get capacity(): number {
    return this.#capacity;
  }

  get perMs(): number {
    return this.#perMs;
  }

  /** The level as of the last `refill`. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Brings the level up to `now` and returns it. A clock that steps back adds nothing. */
  refill(now: number): number {
    if (now > this.#last) {
      const t = this.#tokens + (now - this.#last) * this.#perMs;
      this.#tokens = t < this.#capacity ? t : this.#capacity;
      this.#last = now;
    }
    return this.#tokens;
  }

  /** True when (after `refill`) at least one token is there. */
  hasToken(): boolean {
    return this.#tokens >= 1 - TOKEN_EPSILON;
  }

  /** True when (after `refill`) the bucket is full, i.e. forgetting it loses nothing. */
  isFull(): boolean {
    return this.#tokens >= this.#capacity - TOKEN_EPSILON;
  }

  /** Removes `n` tokens (one call's worth by default); callers check the level first. */
  take(n = 1): void {
    this.#tokens -= n;
  }

  /**
   * Milliseconds from the last `refill` until `n` tokens will have accrued, counting tokens that are
   * handed out as they arrive (so the capacity does not cap the sum). 0 when they are already there.
   */
  msUntil(n: number): number {
    const deficit = n - this.#tokens;
    return deficit <= TOKEN_EPSILON ? 0 : deficit / this.#perMs;
  }

  /** Changes rate and capacity from `now` on, keeping what accrued at the old rate until then. */
  reconfigure(capacity: number, perMs: number, now: number): void {
    this.refill(now);
    this.#capacity = capacity;
    this.#perMs = perMs;
    if (this.#tokens > capacity) this.#tokens = capacity;
  }
}

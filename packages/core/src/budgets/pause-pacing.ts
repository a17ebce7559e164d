import { TOKEN_EPSILON as EPS } from "./token-bucket.js";

/**
 * The pacing of a quota group after Podium's 429: from the pause's end until the bucket could have refilled
 * from empty (burst / rate), at most one call leaves per 1 / rate, however many queued during the pause and
 * however late the timer fires. Podium's quota was spent, so the calls it held back leave at the sustained
 * rate, never as a burst that a second 429 (and other credentials' calls, waiting for the same process) would
 * pay for.
 * @internal
 */
export class PausePacing {
  /** Milliseconds between two calls at the group's sustained rate. */
  readonly #intervalMs: number;
  /** How long the bucket takes to fill from empty: the length of the paced period after a pause. */
  readonly #refillMs: number;
  /** Epoch ms until which admissions are paced; 0 when never paused. */
  #pacedUntil = 0;
  /** While paced, the earliest epoch ms of the next admission. */
  #paceAt = 0;

  /**
   * @param capacity the group's burst.
   * @param perMs the group's rate, tokens per millisecond.
   */
  constructor(capacity: number, perMs: number) {
    this.#intervalMs = 1 / perMs;
    this.#refillMs = capacity / perMs;
  }

  /** Epoch ms the paced period ends (0 when never paused). */
  get until(): number {
    return this.#pacedUntil;
  }

  /** Podium paused the group until `untilMs`: paced for one refill time after it. A later pause never shortens an earlier one. */
  pause(untilMs: number): void {
    if (untilMs > this.#paceAt) this.#paceAt = untilMs;
    this.#pacedUntil = Math.max(this.#pacedUntil, untilMs + this.#refillMs);
  }

  /** True unless the group is paced and its next admission is not due yet. */
  allows(now: number): boolean {
    return now >= this.#pacedUntil || now >= this.#paceAt - EPS;
  }

  /** Records an admission: while paced, the next one is one interval later, never earlier (no catching up). */
  admitted(now: number): void {
    if (now < this.#pacedUntil) this.#paceAt = Math.max(this.#paceAt, now) + this.#intervalMs;
  }

  /** The earliest moment of the next admission while paced; 0 when not paced. */
  nextAt(now: number): number {
    return now < this.#pacedUntil ? this.#paceAt : 0;
  }

  /** Milliseconds pacing holds the call with `ahead` calls queued before it (0 when not paced). */
  waitMs(ahead: number, now: number): number {
    // Paced: the calls ahead of it leave one interval apart, at the earliest until the paced period ends.
    return now < this.#pacedUntil ? Math.min(this.#paceAt + ahead * this.#intervalMs, this.#pacedUntil) - now : 0;
  }
}

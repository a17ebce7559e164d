import { callerAbortError } from "../util/index.js";
import { LocationRateLimitedError } from "@podium-router/errors";
import { FairShares } from "./fair-shares.js";
import { TOKEN_EPSILON as EPS, type TokenBucket } from "./token-bucket.js";

/** One call waiting for a token. @internal */
export interface BudgetWaiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** Epoch ms after which the call is refused instead of kept waiting. */
  readonly bound: number;
  readonly requestId: string | undefined;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A location's state: its own bucket, its fair share of its group, its queue. @internal */
export class BudgetMember {
  readonly queue: BudgetWaiter[] = [];
  /** Epoch ms until which Podium's 429 pauses this location. */
  pausedUntil = 0;
  inRing = false;

  constructor(
    readonly uid: string,
    readonly group: QuotaGroup,
    /** The location's own budget (defaults or its override). */
    readonly bucket: TokenBucket,
    /** Its fair-share credit of the group bucket (see FairShares). */
    readonly share: TokenBucket,
    public lastUsed: number,
  ) {}
}

/**
 * One upstream quota group (Podium's 300/min per token): its fairly shared bucket (FairShares), the
 * locations' queues, and the one timer that wakes them. Waiting calls are served in order per
 * location and round-robin across locations, one token per location per turn.
 *
 * After Podium's 429 the group is paused, then paced: from the pause's end until the bucket could have
 * refilled from empty (burst / rate), at most one call leaves per 1 / rate, however many queued during
 * the pause and however late the timer fires. Podium's quota was spent, so the calls it held back leave
 * at the sustained rate, never as a burst that a second 429 (and other credentials' calls, waiting for
 * the same process) would pay for.
 * @internal
 */
export class QuotaGroup {
  /** Epoch ms until which Podium's 429 pauses the whole group. */
  pausedUntil = 0;
  readonly #shares: FairShares;
  readonly #now: () => number;
  /** Milliseconds between two calls at the group's sustained rate. */
  readonly #intervalMs: number;
  /** How long the bucket takes to fill from empty: the length of the paced period after a pause. */
  readonly #refillMs: number;
  /** Epoch ms until which admissions are paced (see the class comment); 0 when never paused. */
  #pacedUntil = 0;
  /** While paced, the earliest epoch ms of the next admission. */
  #paceAt = 0;
  /** Members with waiters, served round-robin from #cursor. */
  readonly #ring: BudgetMember[] = [];
  #cursor = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  /**
   * @param capacity the group's burst.
   * @param perMs the group's rate, tokens per millisecond.
   * @param now the clock the timer reads when it fires; `t` is its reading at creation.
   */
  constructor(
    readonly name: string,
    capacity: number,
    perMs: number,
    now: () => number,
    t: number,
  ) {
    this.#shares = new FairShares(capacity, perMs, t);
    this.#now = now;
    this.#intervalMs = 1 / perMs;
    this.#refillMs = capacity / perMs;
  }

  /**
   * Podium answered 429 for the group: nothing is admitted until `untilMs`, then calls are paced for one
   * refill time. A later pause never shortens an earlier one.
   */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.pausedUntil) this.pausedUntil = untilMs;
    if (untilMs > this.#paceAt) this.#paceAt = untilMs;
    this.#pacedUntil = Math.max(this.#pacedUntil, untilMs + this.#refillMs);
  }

  /** Adds a location; O(members). */
  join(uid: string, bucket: TokenBucket, now: number): BudgetMember {
    return new BudgetMember(uid, this, bucket, this.#shares.add(now), now);
  }

  /** Removes a location without waiters; its credit returns to the others. */
  leave(m: BudgetMember, now: number): void {
    this.#shares.remove(m.share, now);
  }

  /** The hot path: takes a token now if one is free for `m` (whose queue is empty). O(1) unless borrowing. */
  tryTake(m: BudgetMember, now: number): boolean {
    if (now < m.pausedUntil || now < this.pausedUntil || !this.#paceAllows(now)) return false;
    m.bucket.refill(now);
    if (!m.bucket.hasToken()) return false;
    // Borrow only when nobody queues: the surplus is then theirs, round-robin.
    if (!this.#shares.take(m.share, now, this.#ring.length === 0)) return false;
    m.bucket.take();
    this.#paced(now);
    return true;
  }

  /**
   * Milliseconds until the call with `ahead` calls queued before it is admitted, counting only what
   * `m` is owed (its own bucket and its share credit), never borrowing. That is a promise the group can
   * keep, so a call is refused at once instead of after waiting; it can only break when another
   * location joins the group meanwhile (shares get smaller), and then the call is refused at its bound.
   */
  waitMs(m: BudgetMember, ahead: number, now: number): number {
    m.bucket.refill(now);
    m.share.refill(now);
    const w = Math.max(
      Math.max(m.pausedUntil, this.pausedUntil) - now,
      m.bucket.msUntil(ahead + 1),
      m.share.msUntil(ahead + 1),
      // Paced: the calls ahead of it leave one interval apart, at the earliest until the paced period ends.
      now < this.#pacedUntil ? Math.min(this.#paceAt + ahead * this.#intervalMs, this.#pacedUntil) - now : 0,
    );
    return w > 0 ? w : 0;
  }

  /** Queues a call that `waitMs` said fits its bound. */
  enqueue(m: BudgetMember, w: BudgetWaiter, now: number): void {
    m.queue.push(w);
    if (w.signal !== undefined) {
      w.onAbort = () => this.#abort(m, w);
      w.signal.addEventListener("abort", w.onAbort, { once: true });
    }
    if (!m.inRing) {
      m.inRing = true;
      this.#ring.push(m);
    }
    if (m.queue.length === 1) this.#arm(this.#headAt(m, now), now);
    this.#arm(w.bound, now);
  }

  /** Admits what can be admitted now, round-robin; refuses calls that cannot make their bound; re-arms. */
  drain(): void {
    this.#clearTimer();
    const now = this.#now();
    const ring = this.#ring;
    let idle = 0;
    while (ring.length > 0 && idle < ring.length) {
      if (this.#cursor >= ring.length) this.#cursor = 0;
      const m = ring[this.#cursor]!;
      // Paced: one admission per interval, so the loop stops after it (the timer comes back for the next).
      if (!this.#paceAllows(now)) break;
      const admit =
        now >= m.pausedUntil &&
        now >= this.pausedUntil &&
        m.bucket.refill(now) >= 1 - EPS &&
        this.#shares.take(m.share, now, true);
      if (!admit) {
        idle++;
        this.#cursor++;
        continue;
      }
      m.bucket.take();
      this.#paced(now);
      idle = 0;
      const w = m.queue.shift()!;
      if (m.queue.length === 0) this.#removeAt(this.#cursor);
      else this.#cursor++;
      this.#settle(w);
      w.resolve();
    }
    this.#expire(now);
    this.#reschedule(now);
  }

  /** Rejects every call `m` has queued (location removed, or shutdown). */
  rejectAll(m: BudgetMember, err: Error): void {
    const i = this.#ring.indexOf(m);
    if (i >= 0) this.#removeAt(i);
    for (const w of m.queue.splice(0)) {
      this.#settle(w);
      w.reject(err);
    }
    if (this.#ring.length === 0) this.#clearTimer();
  }

  /** Tokens `m` could take now without waiting, for status output. O(members). */
  available(m: BudgetMember, now: number): number {
    if (now < m.pausedUntil || now < this.pausedUntil || m.queue.length > 0 || !this.#paceAllows(now)) return 0;
    const n = Math.min(m.bucket.refill(now), this.#shares.available(m.share, now, this.#ring.length === 0));
    return Math.max(0, Math.floor(n + EPS));
  }

  /** The credit a location that joins now would start with, for status output. */
  newcomerCredit(now: number): number {
    return this.#shares.newcomerCredit(now);
  }

  /** Nothing left to remember: no member, no pause, bucket full (forgetting it grants nothing). */
  isIdle(now: number): boolean {
    return this.#shares.size === 0 && this.#ring.length === 0 && now >= Math.max(this.pausedUntil, this.#pacedUntil) && this.#shares.isFull(now);
  }

  /** Clears the timer; the owner rejects the waiters first. */
  close(): void {
    this.#clearTimer();
  }

  /** The earliest moment the head of `m`'s queue may be admitted. */
  #headAt(m: BudgetMember, now: number): number {
    m.bucket.refill(now);
    return Math.max(
      m.pausedUntil,
      this.pausedUntil,
      now < this.#pacedUntil ? this.#paceAt : 0,
      now + m.bucket.msUntil(1),
      now + this.#shares.groupMs(now),
      now + this.#shares.takeMs(m.share, now),
    );
  }

  /** True unless the group is paced and its next admission is not due yet. */
  #paceAllows(now: number): boolean {
    return now >= this.#pacedUntil || now >= this.#paceAt - EPS;
  }

  /** Records an admission: while paced, the next one is one interval later, never earlier (no catching up). */
  #paced(now: number): void {
    if (now < this.#pacedUntil) this.#paceAt = Math.max(this.#paceAt, now) + this.#intervalMs;
  }

  /** Refuses the calls that passed their bound, or whose bound ends before the pause does. */
  #expire(now: number): void {
    const ring = this.#ring;
    for (let i = ring.length - 1; i >= 0; i--) {
      const m = ring[i]!;
      const pauseEnd = Math.max(m.pausedUntil, this.pausedUntil);
      let kept = 0;
      for (const w of m.queue) {
        if (w.bound > now && w.bound >= pauseEnd) {
          m.queue[kept++] = w;
          continue;
        }
        const retryAfterMs = Math.max(1, Math.ceil(this.waitMs(m, kept, now)));
        this.#settle(w);
        w.reject(
          new LocationRateLimitedError(
            { locationUid: m.uid, requestId: w.requestId, retryAfterMs },
            now < pauseEnd ? `Podium answered 429; paused for another ${Math.ceil(pauseEnd - now)} ms` : undefined,
          ),
        );
      }
      m.queue.length = kept;
      if (kept === 0) this.#removeAt(i);
    }
  }

  /** Arms the one timer for the earliest moment a head of queue can be admitted or a call must be refused. */
  #reschedule(now: number): void {
    this.#clearTimer();
    let at = Infinity;
    for (const m of this.#ring) {
      for (const w of m.queue) if (w.bound < at) at = w.bound;
      const t = this.#headAt(m, now);
      if (t < at) at = t;
    }
    this.#arm(at, now);
  }

  #arm(at: number, now: number): void {
    if (at >= this.#timerAt || at === Infinity) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // At least 1 ms: a float that reads "not quite yet" must not spin the event loop.
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(at - now)));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.drain();
  };

  #removeAt(i: number): void {
    const [m] = this.#ring.splice(i, 1);
    if (m !== undefined) m.inRing = false;
    if (i < this.#cursor) this.#cursor--;
  }

  #settle(w: BudgetWaiter): void {
    if (w.onAbort !== undefined) w.signal?.removeEventListener("abort", w.onAbort);
  }

  #abort(m: BudgetMember, w: BudgetWaiter): void {
    const i = m.queue.indexOf(w);
    if (i < 0) return;
    m.queue.splice(i, 1);
    if (m.queue.length === 0) {
      const r = this.#ring.indexOf(m);
      if (r >= 0) this.#removeAt(r);
    }
    if (this.#ring.length === 0) this.#clearTimer();
    w.reject(callerAbortError(w.signal?.reason, { locationUid: m.uid, requestId: w.requestId }));
  }
}

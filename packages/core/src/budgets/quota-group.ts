import { callerAbortError } from "../util/index.js";
import { LocationRateLimitedError } from "@podium-router/errors";
import { BudgetMember, type BudgetWaiter } from "./budget-member.js";
import { FairShares } from "./fair-shares.js";
import { PausePacing } from "./pause-pacing.js";
import { TOKEN_EPSILON as EPS, type TokenBucket } from "./token-bucket.js";

/**
 * One upstream quota group (Podium's 300/min per token): its fairly shared bucket (FairShares), the
 * locations' queues, and the one timer that wakes them. Waiting calls are served in order per
 * location and round-robin across locations, one token per location per turn.
 *
 * After Podium's 429 the group is paused, then paced (see PausePacing).
 * @internal
 */
export class QuotaGroup {
  /** Epoch ms until which Podium's 429 pauses the whole group. */
  pausedUntil = 0;
  readonly #shares: FairShares;
  readonly #now: () => number;
  readonly #pacing: PausePacing;
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
    this.#pacing = new PausePacing(capacity, perMs);
  }

  /**
   * Podium answered 429 for the group: nothing is admitted until `untilMs`, then calls are paced for one
   * refill time. A later pause never shortens an earlier one.
   */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.pausedUntil) this.pausedUntil = untilMs;
    this.#pacing.pause(untilMs);
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
    if (now < m.pausedUntil || now < this.pausedUntil || !this.#pacing.allows(now)) return false;
    m.bucket.refill(now);
    if (!m.bucket.hasToken()) return false;
    // Borrow only when nobody queues: the surplus is then theirs, round-robin.
    if (!this.#shares.take(m.share, now, this.#ring.length === 0)) return false;
    m.bucket.take();
    this.#pacing.admitted(now);
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
      this.#pacing.waitMs(ahead, now),
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
      if (!this.#pacing.allows(now)) break;
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
      this.#pacing.admitted(now);
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
    if (now < m.pausedUntil || now < this.pausedUntil || m.queue.length > 0 || !this.#pacing.allows(now)) return 0;
    const n = Math.min(m.bucket.refill(now), this.#shares.available(m.share, now, this.#ring.length === 0));
    return Math.max(0, Math.floor(n + EPS));
  }

  /** The credit a location that joins now would start with, for status output. */
  newcomerCredit(now: number): number {
    return this.#shares.newcomerCredit(now);
  }

  /** Nothing left to remember: no member, no pause, bucket full (forgetting it grants nothing). */
  isIdle(now: number): boolean {
    return this.#shares.size === 0 && this.#ring.length === 0 && now >= Math.max(this.pausedUntil, this.#pacing.until) && this.#shares.isFull(now);
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
      this.#pacing.nextAt(now),
      now + m.bucket.msUntil(1),
      now + this.#shares.groupMs(now),
      now + this.#shares.takeMs(m.share, now),
    );
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

import { TOKEN_EPSILON as EPS, TokenBucket } from "./token-bucket.js";

/**
 * Tokens of a group that no member's share may hold: a location that starts calling while another
 * floods the group finds at least this much in the group and is admitted at once (see `add`).
 * @internal
 */
export const NEWCOMER_RESERVE = 1;

/**
 * One quota group's bucket (the upstream limit, never exceeded) cut into fair shares.
 *
 * Each member accrues a share credit at rate/n, capped at (burst - reserve)/n. Invariant: the group
 * bucket holds at least the sum of all credits, because a token leaves the group either together with
 * one of the taker's credit, or "borrowed" only from the surplus above that sum (keeping the reserve).
 * So a member with credit always finds a group token: one location's flood can spend the surplus (idle
 * members' unused shares flow there once their credit is full) but never another member's credit.
 * When the burst is smaller than the number of members, shares floor at one token and that promise
 * weakens to "the group limit still holds".
 * @internal
 */
export class FairShares {
  readonly #group: TokenBucket;
  readonly #shares: TokenBucket[] = [];
  /** The sum of credits as of #sumAt: refills at the same instant change nothing, so it stays valid. */
  #sum = 0;
  #sumAt = Number.NaN;

  constructor(capacity: number, perMs: number, now: number) {
    this.#group = new TokenBucket(capacity, perMs, now);
  }

  get size(): number {
    return this.#shares.length;
  }

  /** A new member's share. O(members): every share is re-cut at the new rate, accrued up to now first. */
  add(now: number): TokenBucket {
    const n = this.#shares.length + 1;
    this.#recut(n, now);
    // The newcomer's credit comes out of the surplus, so the invariant holds.
    const share = new TokenBucket(this.#cap(n), this.#group.perMs / n, now, Math.max(0, this.#surplus(now)));
    this.#shares.push(share);
    this.#sumAt = Number.NaN;
    return share;
  }

  /** Drops a member's share; its credit returns to the surplus. */
  remove(share: TokenBucket, now: number): void {
    const i = this.#shares.indexOf(share);
    if (i < 0) return;
    this.#shares.splice(i, 1);
    this.#recut(this.#shares.length, now);
  }

  /**
   * Takes one group token for the holder of `share`: from its own credit, or, when `mayBorrow`, from
   * its fractional credit plus the surplus (so credits never strand tokens). O(1) unless borrowing.
   */
  take(share: TokenBucket, now: number, mayBorrow: boolean): boolean {
    const group = this.#group;
    group.refill(now);
    if (!group.hasToken()) return false;
    share.refill(now);
    let used = 1;
    if (!share.hasToken()) {
      if (!mayBorrow) return false;
      used = Math.max(0, share.tokens);
      if (this.#surplus(now) + used < 1 + NEWCOMER_RESERVE - EPS) return false;
    }
    share.take(used);
    if (this.#sumAt === now) this.#sum -= used;
    group.take();
    return true;
  }

  /** Milliseconds until the group bucket itself holds a token. */
  groupMs(now: number): number {
    this.#group.refill(now);
    return this.#group.msUntil(1);
  }

  /**
   * Milliseconds until `share` may take a token, by its credit or by borrowing at the rate the surplus
   * grows now (the group's refill minus what non-full credits absorb). If credits fill up meanwhile the
   * surplus grows faster and this is late for a borrow, never for what the member is owed.
   */
  takeMs(share: TokenBucket, now: number): number {
    share.refill(now);
    const ownMs = share.msUntil(1);
    if (ownMs === 0) return 0;
    let rising = 0;
    for (const x of this.#shares) if (x !== share && !x.isFull()) rising += x.perMs;
    const group = this.#group;
    const need = 1 + NEWCOMER_RESERVE - this.#surplus(now) - Math.max(0, share.tokens);
    if (need <= EPS) return 0;
    // Its own credit counts toward the borrow, so only the others' accrual slows the surplus.
    const perMs = (group.isFull() ? 0 : group.perMs) - rising;
    return Math.min(ownMs, perMs > 0 ? need / perMs : Infinity);
  }

  /** The credit a member that joins now would start with (see `add`), for status output. */
  newcomerCredit(now: number): number {
    const n = this.#shares.length + 1;
    let sum = 0;
    for (const x of this.#shares) sum += Math.min(this.#cap(n), x.refill(now));
    return Math.min(this.#cap(n), Math.max(0, this.#group.refill(now) - sum));
  }

  /** Tokens the holder of `share` could take now, for status output. */
  available(share: TokenBucket, now: number, mayBorrow: boolean): number {
    const group = this.#group.refill(now);
    const mine = share.refill(now) + (mayBorrow ? Math.max(0, this.#surplus(now) - NEWCOMER_RESERVE) : 0);
    return Math.min(group, mine);
  }

  /** True when the group bucket is full: forgetting it grants nothing. */
  isFull(now: number): boolean {
    this.#group.refill(now);
    return this.#group.isFull();
  }

  #cap(n: number): number {
    return Math.max(1, (this.#group.capacity - NEWCOMER_RESERVE) / Math.max(1, n));
  }

  #recut(n: number, now: number): void {
    for (const x of this.#shares) x.reconfigure(this.#cap(n), this.#group.perMs / n, now);
    this.#sumAt = Number.NaN;
  }

  /** Group tokens above the sum of credits. O(members), once per instant. */
  #surplus(now: number): number {
    if (this.#sumAt !== now) {
      let sum = 0;
      for (const x of this.#shares) sum += x.refill(now);
      this.#sum = sum;
      this.#sumAt = now;
    }
    return this.#group.refill(now) - this.#sum;
  }
}

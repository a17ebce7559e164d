import {
  DeadlineExceededError,
  InternalError,
  InvalidConfigError,
  LocationRateLimitedError,
  UnknownLocationError,
} from "@podium-router/errors";
import { callerAbortError } from "../util/index.js";
import { DEFAULT_BUDGET_IDLE_MS, type BucketOptions, type RateBudgetOptions } from "./budget-options.js";
import { NEWCOMER_RESERVE } from "./fair-shares.js";
import type { BudgetMember } from "./budget-member.js";
import { QuotaGroup } from "./quota-group.js";
import { TokenBucket } from "./token-bucket.js";

export interface BudgetSnapshot {
  available: number;
  capacity: number;
  refillPerSecond: number;
  /** Epoch ms until which Podium's 429 pauses this location, if paused. */
  pausedUntil?: number | undefined;
  quotaGroup: string;
}


/** Injected for tests. */
export interface RateBudgetDeps {
  /** Epoch-ms clock. @default () => Date.now() */
  now?: (() => number) | undefined;
}

/** What `acquire` may be told about the call. */
export interface AcquireOptions {
  /** The caller's absolute deadline (epoch ms); bounds the wait together with maxWaitMs. */
  deadline?: number | undefined;
  /** Aborts the wait (rejects with the signal's CoreError reason, else DeadlineExceededError). */
  signal?: AbortSignal | undefined;
  /** Goes into the error's context. */
  requestId?: string | undefined;
  /**
   * The call's HTTP method: with the Redis backend, GET/HEAD follow `state.redis_down.reads` and every
   * other method (or none given) `state.redis_down.writes` while Redis is unreachable. Ignored in memory.
   */
  method?: string | undefined;
}

/** Per-location rate budgets under shared, fairly divided quota-group budgets. */
export interface RateBudgets {
  /**
   * Waits for a token from the location's bucket and its fair share of the quota group's bucket, for
   * at most min(maxWaitMs, deadline - now). A call whose wait would exceed that is refused at once with
   * LocationRateLimitedError carrying `retryAfterMs` (when a token would be there). Waiting calls are
   * served in order per location and round-robin across the group's locations.
   */
  acquire(locationUid: string, quotaGroup: string, opts?: AcquireOptions): Promise<void>;
  /**
   * Podium answered 429: nothing is admitted for the location (scope "location") or its whole quota
   * group (scope "group", the default) until `untilMs`. Waiting calls whose bound ends first are refused
   * now with the remaining delay; the others wait. A later pause never shortens an earlier one.
   */
  pause(locationUid: string, quotaGroup: string, untilMs: number, scope?: "location" | "group"): void;
  /** The location's budget now, for status output. */
  snapshot(locationUid: string, quotaGroup: string): BudgetSnapshot;
  /** Forgets a removed location; its waiting calls are refused with UnknownLocationError. */
  remove(locationUid: string): void;
  /** Clears every timer and refuses waiting calls; later calls are refused too. */
  close(): void;
}

const RESOLVED: Promise<void> = Promise.resolve();

const perMs = (b: BucketOptions): number => b.ratePerMinute / 60_000;

function checkBucket(b: BucketOptions | undefined, key: string): void {
  if (b === undefined || !(Number.isFinite(b.ratePerMinute) && b.ratePerMinute > 0)) {
    throw new InvalidConfigError({}, `${key}.rate_per_minute must be a number > 0`);
  }
  if (!(Number.isInteger(b.burst) && b.burst >= 1)) throw new InvalidConfigError({}, `${key}.burst must be an integer >= 1`);
}

/**
 * Creates the rate budgets: a token bucket per location (defaults, or its override) under a shared
 * bucket per upstream quota group, whose tokens are divided fairly among its locations (see QuotaGroup).
 * A call that finds a token and no queue costs a few arithmetic operations: no timer, no allocation.
 */
export function createRateBudgets(options: RateBudgetOptions, deps: RateBudgetDeps = {}): RateBudgets {
  checkBucket(options.location, "budgets.location");
  checkBucket(options.upstream, "budgets.upstream");
  for (const [uid, b] of Object.entries(options.overrides ?? {})) checkBucket(b, `budgets.overrides.${uid}`);
  if (!(options.maxWaitMs >= 0)) throw new InvalidConfigError({}, "budgets.max_wait_ms must be a number >= 0");
  const now = deps.now ?? (() => Date.now());
  const idleMs = options.idleMs ?? DEFAULT_BUDGET_IDLE_MS;
  const overrides = options.overrides ?? {};
  const locations = new Map<string, BudgetMember>();
  const groups = new Map<string, QuotaGroup>();
  let nextSweep = now() + idleMs;
  let closed = false;
  // What the first location of a new group starts with: the whole burst but the newcomer reserve.
  const firstCredit = Math.max(1, options.upstream.burst - NEWCOMER_RESERVE);

  const bucketOptionsOf = (uid: string): BucketOptions => (Object.hasOwn(overrides, uid) ? overrides[uid]! : options.location);

  const groupOf = (name: string, t: number): QuotaGroup => {
    let g = groups.get(name);
    if (g === undefined) {
      g = new QuotaGroup(name, options.upstream.burst, perMs(options.upstream), now, t);
      groups.set(name, g);
    }
    return g;
  };

  const memberOf = (uid: string, groupName: string, t: number): BudgetMember => {
    const m = locations.get(uid);
    if (m !== undefined && (m.group.name === groupName || m.queue.length > 0)) return m;
    // New, or moved to another group (its grant changed): keep its own bucket and pause.
    let bucket: TokenBucket;
    if (m === undefined) {
      const b = bucketOptionsOf(uid);
      bucket = new TokenBucket(b.burst, perMs(b), t);
    } else {
      bucket = m.bucket;
      m.group.leave(m, t);
    }
    const joined = groupOf(groupName, t).join(uid, bucket, t);
    if (m !== undefined) joined.pausedUntil = m.pausedUntil;
    locations.set(uid, joined);
    return joined;
  };

  /** Amortised: at most once per idleMs, O(locations). Keeps memory bounded by the active set. */
  const sweep = (t: number): void => {
    nextSweep = t + idleMs;
    for (const [uid, m] of locations) {
      if (m.queue.length > 0 || t - m.lastUsed < idleMs || t < m.pausedUntil) continue;
      m.bucket.refill(t);
      if (!m.bucket.isFull()) continue;
      m.group.leave(m, t);
      locations.delete(uid);
    }
    for (const [name, g] of groups) if (g.isIdle(t)) groups.delete(name);
  };

  const closedError = (uid: string, requestId: string | undefined): Error =>
    new InternalError({ locationUid: uid, requestId }, "the rate budgets are closed: the router is shutting down");

  return {
    acquire(locationUid, quotaGroup, opts) {
      const requestId = opts?.requestId;
      if (closed) return Promise.reject(closedError(locationUid, requestId));
      const t = now();
      if (t >= nextSweep) sweep(t);
      const signal = opts?.signal;
      if (signal?.aborted) return Promise.reject(callerAbortError(signal.reason, { locationUid, requestId }));
      const deadline = opts?.deadline;
      if (deadline !== undefined && t >= deadline) {
        return Promise.reject(new DeadlineExceededError({ locationUid, requestId }, "the deadline passed before the call was sent"));
      }
      const m = memberOf(locationUid, quotaGroup, t);
      m.lastUsed = t;
      const g = m.group;
      if (m.queue.length === 0 && g.tryTake(m, t)) return RESOLVED;

      const waitMs = g.waitMs(m, m.queue.length, t);
      const boundMs = deadline === undefined ? options.maxWaitMs : Math.min(options.maxWaitMs, deadline - t);
      if (waitMs > boundMs) {
        const retryAfterMs = Math.max(1, Math.ceil(waitMs));
        const pausedFor = Math.max(m.pausedUntil, g.pausedUntil) - t;
        const detail = pausedFor >= waitMs ? `Podium answered 429; paused for another ${Math.ceil(pausedFor)} ms` : undefined;
        return Promise.reject(new LocationRateLimitedError({ locationUid, requestId, retryAfterMs }, detail));
      }
      return new Promise<void>((resolve, reject) => {
        g.enqueue(m, { resolve, reject, bound: t + boundMs, requestId, signal, onAbort: undefined }, t);
      });
    },

    pause(locationUid, quotaGroup, untilMs, scope = "group") {
      if (closed) return;
      const t = now();
      const m = memberOf(locationUid, quotaGroup, t);
      if (untilMs > m.pausedUntil) m.pausedUntil = untilMs;
      const g = m.group;
      if (scope === "group") g.pauseUntil(untilMs);
      // Refuse now the waiting calls that cannot outlast the pause; re-arm for its end.
      g.drain();
    },

    snapshot(locationUid, quotaGroup) {
      const t = now();
      const m = locations.get(locationUid);
      const b = bucketOptionsOf(locationUid);
      const g = m?.group ?? groups.get(quotaGroup);
      const pausedUntil = Math.max(m?.pausedUntil ?? 0, g?.pausedUntil ?? 0);
      const snap: BudgetSnapshot = {
        available: m !== undefined ? m.group.available(m, t) : Math.floor(Math.min(b.burst, g?.newcomerCredit(t) ?? firstCredit)),
        capacity: b.burst,
        refillPerSecond: b.ratePerMinute / 60,
        quotaGroup: g?.name ?? quotaGroup,
      };
      if (pausedUntil > t) snap.pausedUntil = pausedUntil;
      return snap;
    },

    remove(locationUid) {
      const m = locations.get(locationUid);
      if (m === undefined) return;
      locations.delete(locationUid);
      m.group.rejectAll(
        m,
        new UnknownLocationError({ locationUid }, `${locationUid} was removed while its call waited for the rate budget`),
      );
      m.group.leave(m, now());
    },

    close() {
      if (closed) return;
      closed = true;
      for (const m of locations.values()) m.group.rejectAll(m, closedError(m.uid, undefined));
      for (const g of groups.values()) g.close();
      locations.clear();
      groups.clear();
    },
  };
}

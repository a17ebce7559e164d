/**
 * How much each location may call: the `budgets` section of the settings, and the options of
 * `createRateBudgets` (and of the Redis budgets, which extend them). Each default is named here and
 * documented once, on its field.
 */

/** 120/min, burst 20 per location: less than half the token's 300/min, so no one location starves the others. */
export const DEFAULT_LOCATION_BUDGET = Object.freeze({ ratePerMinute: 120, burst: 20 });
/** 300/min, burst 30 per quota group: Podium's documented limit per token. */
export const DEFAULT_UPSTREAM_BUDGET = Object.freeze({ ratePerMinute: 300, burst: 30 });
/** Locations sharing a credential share Podium's per-token quota. */
export const DEFAULT_GROUP_BY: QuotaGroupBy = "credential";
/** 2 s: wait this long for a budget token before refusing with retryAfterMs, instead of queueing unboundedly. */
export const DEFAULT_MAX_WAIT_MS = 2_000;
/** Default for `idleMs`; see RateBudgetOptions. */
export const DEFAULT_BUDGET_IDLE_MS = 60_000;

/** Quota groups share one upstream bucket: by credential (token), organization, or each location alone. */
export type QuotaGroupBy = "credential" | "org" | "location";

/** A token bucket's size: sustained rate and burst. */
export interface BucketOptions {
  /** Sustained rate: tokens added per minute. */
  ratePerMinute: number;
  /** Most tokens held at once: how many calls may go back to back. */
  burst: number;
}

/** Per-location rate budgets under a shared bucket per quota group (`budgets`). */
export interface RateBudgetOptions {
  /** Each location's own bucket. @default { ratePerMinute: 120, burst: 20 } */
  location: BucketOptions;
  /** Each quota group's shared bucket, split fairly among its locations. @default { ratePerMinute: 300, burst: 30 } (Podium's documented 300/min per token) */
  upstream: BucketOptions;
  /** Longest a call waits for a token; a call that would wait longer is refused at once. @default 2000 */
  maxWaitMs: number;
  /** Per-location replacements of `location`, keyed by location_uid; missing fields come from `location`. @default {} */
  overrides?: Record<string, BucketOptions> | undefined;
  /**
   * Which locations share a quota group; the router names each call's group, the budgets only divide it.
   * @default "credential"
   */
  groupBy?: QuotaGroupBy | undefined;
  /**
   * A location that has not called for this long (and whose bucket is full) is forgotten: its share
   * of the group goes back to the others and its state is freed. It gets a share again on its next call.
   * @default 60000 (Podium's window is a minute; a location calling once a minute keeps its share)
   */
  idleMs?: number | undefined;
}

import { type AcquireOptions, type BucketOptions, type BudgetSnapshot, createRateBudgets, type RateBudgetOptions, type RateBudgets } from "../budgets/index.js";
import { callerAbortError } from "../util/index.js";
import {
  BudgetUnavailableError,
  DeadlineExceededError,
  InternalError,
  isCoreError,
  LocationRateLimitedError,
  UnknownLocationError,
} from "@podium-router/errors";
import { BudgetSleepers } from "./budget-sleepers.js";
import { BUDGET_DECIDE_SCRIPT, BUDGET_PAUSE_SCRIPT } from "./redis-budget-script.js";
import { evalScript, type RedisConnection } from "./redis-connection.js";
import type { RedisDownSettings } from "./state-settings.js";

/** Which budget decided a call: the shared one in Redis, a local per-replica one while Redis is unreachable, or none (refused). */
export type BudgetBackendOutcome = "redis" | "local_fallback" | "refused";

/** `settings.budgets` plus what the shared budgets need from `settings.state`. */
export interface RedisRateBudgetOptions extends RateBudgetOptions {
  /** What each kind of call does while Redis is unreachable (`state.redis_down`). */
  redisDown: RedisDownSettings;
  /** Replicas sharing the limits: the local fallback budget is each limit divided by this (`state.redis.replicas`). */
  replicas: number;
  /**
   * A location that asked for a token within this window counts as active in its quota group and gets
   * a share of it (see BUDGET_DECIDE_SCRIPT).
   * @default 60000 (Podium's window is a minute)
   */
  activeWindowMs?: number | undefined;
}

/** Injected parts. */
export interface RedisRateBudgetDeps {
  /** The shared connection (its breaker decides when Redis counts as unreachable). */
  connection: RedisConnection;
  /** Counts which budget decided each call. @default none */
  onOutcome?: ((outcome: BudgetBackendOutcome) => void) | undefined;
  /** Epoch-ms clock for wait bounds. @default Date.now */
  now?: (() => number) | undefined;
}

/** Default of `activeWindowMs`. */
export const DEFAULT_ACTIVE_WINDOW_MS = 60_000;

/** One decision of BUDGET_DECIDE_SCRIPT, with its time translated to this replica's clock. */
interface Decision {
  allowed: boolean;
  retryMs: number;
  remaining: number;
  /** Epoch ms on this replica's clock; 0 when not paused. */
  pausedUntil: number;
  at: number;
}

/** This replica's calls for one location that wait for a decision, in arrival order (see `acquire`). */
interface Lane {
  /** Settles when the last call to join has left the lane. */
  tail: Promise<void>;
  size: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

const perMs = (b: BucketOptions): number => b.ratePerMinute / 60_000;
const isRead = (method: string | undefined): boolean => method === "GET" || method === "HEAD";
/** A share of a limit for one replica; the burst never drops below one call. */
const divided = (b: BucketOptions, n: number): BucketOptions => ({ ratePerMinute: b.ratePerMinute / n, burst: Math.max(1, Math.floor(b.burst / n)) });

/**
 * Creates rate budgets shared by every replica through Redis: one Lua script decides each call against
 * the location's bucket, its quota group's bucket and its fair share of the group (BUDGET_DECIDE_SCRIPT),
 * in one round trip. A call told to retry in d ms within its bound sleeps d and asks again; otherwise it
 * is refused with LocationRateLimitedError. While Redis is unreachable, calls follow `redisDown`: a local
 * budget of limit / replicas, or BudgetUnavailableError. Podium's 429 (`pause`) is recorded in Redis too.
 *
 * Kept across replicas: the location limit, the group limit, and each active location's share of the
 * group. Not kept: the order in which waiting calls are served (each replica's waiters race for tokens).
 */
export function createRedisRateBudgets(options: RedisRateBudgetOptions, deps: RedisRateBudgetDeps): RateBudgets {
  const conn = deps.connection;
  const now = deps.now ?? Date.now;
  const replicas = Math.max(1, options.replicas);
  const overrides = options.overrides ?? {};
  const windowMs = options.activeWindowMs ?? DEFAULT_ACTIVE_WINDOW_MS;
  // Validates the options (same rules as memory) and serves as the per-replica fallback.
  const local = createRateBudgets({
    ...options,
    location: divided(options.location, replicas),
    upstream: divided(options.upstream, replicas),
    overrides: Object.fromEntries(Object.entries(overrides).map(([uid, b]) => [uid, divided(b, replicas)])),
  });
  const bucketOf = (uid: string): BucketOptions => (Object.hasOwn(overrides, uid) ? overrides[uid]! : options.location);
  const lastSeen = new Map<string, Decision>();
  const sleepers = new BudgetSleepers();
  const lanes = new Map<string, Lane>();
  let closed = false;

  const keysOf = (uid: string, group: string): string[] => {
    // One hash tag per quota group: all keys of a decision live in one slot, so it also runs on a Cluster.
    const base = `${conn.keyPrefix}budget:{${group}}`;
    return [`${base}:loc:${uid}`, `${base}:group`, `${base}:share:${uid}`, `${base}:pause:${uid}`, `${base}:pause`, `${base}:active`, `${base}:pace`];
  };

  const decide = async (uid: string, group: string, take: boolean): Promise<Decision> => {
    const b = bucketOf(uid);
    const args = [perMs(b), b.burst, perMs(options.upstream), options.upstream.burst, uid, windowMs, take ? "1" : "0"];
    const raw = await conn.run((c) => evalScript(c, BUDGET_DECIDE_SCRIPT, keysOf(uid, group), args));
    const [allowed, retryMs, remaining, pausedUntil, , redisNow] = raw as number[];
    const at = now();
    const d: Decision = {
      allowed: allowed === 1,
      retryMs: retryMs ?? 0,
      remaining: remaining ?? 0,
      // Redis' clock to ours: only the distance matters, so skew between replicas cancels out.
      pausedUntil: pausedUntil ? at + (pausedUntil - (redisNow ?? pausedUntil)) : 0,
      at,
    };
    lastSeen.set(uid, d);
    return d;
  };

  const closedError = (uid: string, requestId: string | undefined): Error =>
    new InternalError({ locationUid: uid, requestId }, "the rate budgets are closed: the router is shutting down");

  /** Redis is unreachable: the policy for this kind of call decides. */
  const fallback = (uid: string, group: string, opts: AcquireOptions, cause: BudgetUnavailableError): Promise<void> => {
    const { method, requestId } = opts;
    const kind = isRead(method) ? "reads" : "writes";
    if (options.redisDown[kind] === "local") {
      deps.onOutcome?.("local_fallback");
      // The local budget bounds its own wait (maxWaitMs from now): the time lost finding Redis down is
      // at most the connect timeout, and only until the breaker opens.
      return local.acquire(uid, group, opts);
    }
    deps.onOutcome?.("refused");
    return Promise.reject(
      new BudgetUnavailableError(
        { locationUid: uid, requestId, retryAfterMs: Math.max(1, conn.retryInMs() || 1_000), cause },
        `the shared rate budget (Redis) is unreachable and state.redis_down.${kind} is "refuse"; retry later`,
      ),
    );
  };

  /** The refusal of a call that cannot be admitted before `endAt` (ms on this replica's clock). */
  const rateLimited = (uid: string, d: Decision, requestId: string | undefined): LocationRateLimitedError => {
    const pausedFor = d.pausedUntil - d.at;
    const detail = pausedFor > 0 && pausedFor >= d.retryMs ? `Podium answered 429; paused for another ${Math.ceil(pausedFor)} ms` : undefined;
    return new LocationRateLimitedError({ locationUid: uid, requestId, retryAfterMs: Math.max(1, d.retryMs) }, detail);
  };

  /** One decision, or undefined when Redis is unreachable (BudgetUnavailableError goes to `onDown`). */
  const decideOrDown = async (uid: string, group: string, take: boolean, requestId: string | undefined, onDown: (err: BudgetUnavailableError) => void): Promise<Decision | undefined> => {
    try {
      return await decide(uid, group, take);
    } catch (err) {
      if (isCoreError(err) && err.code === "ERR_LOC_BUDGET_UNAVAILABLE") {
        onDown(err as BudgetUnavailableError);
        return undefined;
      }
      throw new InternalError({ locationUid: uid, requestId, cause: err }, "the shared rate budget script failed");
    }
  };

  /**
   * Waits until the calls ahead of this one in its location's lane are done, at most until `endAt`; refuses
   * at `endAt` (it never reached the head) or when the signal aborts.
   */
  const waitTurn = (uid: string, ahead: Promise<void>, endAt: number, signal: AbortSignal | undefined, requestId: string | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const onAbort = (): void => finish(callerAbortError(signal?.reason, { locationUid: uid, requestId }));
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const retryAfterMs = Math.ceil(60_000 / bucketOf(uid).ratePerMinute);
      const timer = setTimeout(
        () => finish(new LocationRateLimitedError({ locationUid: uid, requestId, retryAfterMs }, "earlier calls for the location still wait for the rate budget")),
        Math.max(0, endAt - now()),
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      void ahead.then(() => finish());
    });

  const acquire = async (uid: string, group: string, opts: AcquireOptions = {}): Promise<void> => {
    const { requestId, signal, deadline } = opts;
    if (closed) throw closedError(uid, requestId);
    if (signal?.aborted) throw callerAbortError(signal.reason, { locationUid: uid, requestId });
    const t0 = now();
    if (deadline !== undefined && t0 >= deadline) {
      throw new DeadlineExceededError({ locationUid: uid, requestId }, "the deadline passed before the call was sent");
    }
    const endAt = t0 + (deadline === undefined ? options.maxWaitMs : Math.min(options.maxWaitMs, deadline - t0));
    let down: BudgetUnavailableError | undefined;
    const onDown = (err: BudgetUnavailableError): void => {
      down = err;
    };
    // This replica's calls for one location ask Redis one at a time, in arrival order: the head of the lane
    // polls, the others wait for it. So a pause's end wakes one caller per location, not every waiting one.
    const lane = lanes.get(uid) ?? { tail: RESOLVED, size: 0 };
    lanes.set(uid, lane);
    const ahead = lane.tail;
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    lane.tail = ahead.then(() => mine);
    lane.size++;
    try {
      if (lane.size > 1) {
        // One look first (taking nothing), so a call that cannot make its bound is refused at once, not at its bound.
        const d = await decideOrDown(uid, group, false, requestId, onDown);
        if (down !== undefined) return await fallback(uid, group, opts, down);
        if (d !== undefined && d.retryMs > endAt - d.at) {
          deps.onOutcome?.("redis");
          throw rateLimited(uid, d, requestId);
        }
        await waitTurn(uid, ahead, endAt, signal, requestId);
      }
      for (;;) {
        if (closed) throw closedError(uid, requestId);
        const d = await decideOrDown(uid, group, true, requestId, onDown);
        if (down !== undefined || d === undefined) return await fallback(uid, group, opts, down!);
        if (closed) throw closedError(uid, requestId);
        if (d.allowed) {
          deps.onOutcome?.("redis");
          return;
        }
        if (d.retryMs > endAt - d.at) {
          deps.onOutcome?.("redis");
          throw rateLimited(uid, d, requestId);
        }
        await sleepers.sleep(uid, d.retryMs, signal, requestId);
      }
    } finally {
      leave();
      if (--lane.size === 0 && lanes.get(uid) === lane) lanes.delete(uid);
    }
  };

  return {
    acquire,

    pause(locationUid, quotaGroup, untilMs, scope = "group") {
      if (closed) return;
      // Here at once (this replica's fallback and its next status), and in Redis for every replica.
      local.pause(locationUid, quotaGroup, untilMs, scope);
      const ms = Math.ceil(untilMs - now());
      if (ms <= 0) return;
      const [, , , lpause, gpause, , pace] = keysOf(locationUid, quotaGroup);
      // Paced after the pause for as long as the group's bucket takes to fill from empty.
      const pacedMs = options.upstream.burst / perMs(options.upstream);
      void conn
        .run((c) => evalScript(c, BUDGET_PAUSE_SCRIPT, [lpause!, gpause!, pace!], [ms, scope === "group" ? "1" : "0", pacedMs]))
        .catch(() => undefined); // Redis down: the local pause holds for this replica, the others learn of Podium's 429 themselves
    },

    snapshot(locationUid, quotaGroup) {
      const d = lastSeen.get(locationUid);
      if (conn.breakerState() !== "closed" || d === undefined) return local.snapshot(locationUid, quotaGroup);
      const b = bucketOf(locationUid);
      const t = now();
      // As of this replica's last decision for the location, refilled at its own rate since.
      const available = d.pausedUntil > t ? 0 : Math.min(b.burst, Math.floor(d.remaining + ((t - d.at) * b.ratePerMinute) / 60_000));
      const snap: BudgetSnapshot = { available, capacity: b.burst, refillPerSecond: b.ratePerMinute / 60, quotaGroup };
      if (d.pausedUntil > t) snap.pausedUntil = d.pausedUntil;
      return snap;
    },

    remove(locationUid) {
      lastSeen.delete(locationUid);
      local.remove(locationUid);
      const err = new UnknownLocationError({ locationUid }, `${locationUid} was removed while its call waited for the rate budget`);
      sleepers.refuse(locationUid, err);
    },

    close() {
      if (closed) return;
      closed = true;
      local.close();
      sleepers.refuseAll((uid) => closedError(uid, undefined));
      lastSeen.clear();
    },
  };
}

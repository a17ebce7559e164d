import type { CoreError } from "@podium-router/errors";
import type { AuthState, LastRefresh } from "../oauth/index.js";

/** What this router process last saw happen to one location, for `GetLocationStatus`. */
export interface LocationHealthSnapshot {
  /** Epoch ms of the last call or verification Podium answered with this location's credential. */
  lastSuccessAt?: number | undefined;
  /** The last refusal or failure that says something about the location (not about a malformed request). */
  lastError?: { code: string; at: number; requestId?: string | undefined; message: string } | undefined;
  /** The last token refresh, whichever replica made it (this process's own auth state shows only its own). */
  lastRefresh?: LastRefresh | undefined;
}

/**
 * Per-location health: one small entry per registered location, kept in memory by this process, and (with a
 * {@link SharedLocationHealth}) published for the other replicas, so a status asked of any replica tells what
 * happened on all of them.
 */
export interface LocationHealth {
  success(locationUid: string): void;
  /** `requestId`: the id of the call or verification (its audit line's), not the error's own (a token request's). */
  failure(locationUid: string, err: CoreError, requestId: string | undefined): void;
  /** A token refresh finished (published at once: refreshes are rare, and which replica made it is arbitrary). */
  refreshed(locationUid: string, last: LastRefresh): void;
  /** What this process saw. */
  get(locationUid: string): LocationHealthSnapshot;
  /** What any replica saw: this process's entry merged with the shared one (the later of each field). */
  getShared(locationUid: string): Promise<LocationHealthSnapshot>;
  forget(locationUid: string): void;
}

/**
 * Where replicas publish what they saw of each location (state.backend: redis). Best effort: a publication or a
 * read that fails is skipped (the status then shows this process's view), never an error of the call.
 */
export interface SharedLocationHealth {
  /** Keeps the later of each field already published. Never throws. */
  publish(locationUid: string, snapshot: LocationHealthSnapshot): Promise<void>;
  /** The published entry, or undefined (none, or the backend failed). Never throws. */
  read(locationUid: string): Promise<LocationHealthSnapshot | undefined>;
  /** Drops the entry (the location was removed). Never throws. */
  forget(locationUid: string): Promise<void>;
}

/**
 * A location's successes are published at most once per this interval by each process: a status needs "when",
 * to the second, not a write to Redis per call. Failures are published at once when their code changes.
 */
export const HEALTH_PUBLISH_INTERVAL_MS = 1_000;

/**
 * Codes about the request itself, not the location: a caller's typo or deadline says nothing about whether the
 * location works, so it must not hide the last real failure from `locations status`.
 */
const REQUEST_CODES: ReadonlySet<string> = new Set(["ERR_LOC_BAD_REQUEST", "ERR_LOC_MISMATCH", "ERR_LOC_DEADLINE_EXCEEDED", "ERR_LOC_UNKNOWN"]);

/** A status line, not a log: the message is cut so one entry stays small whatever an error says. */
const MAX_MESSAGE_CHARS = 300;

export function createLocationHealth(now: () => number = Date.now, shared?: SharedLocationHealth): LocationHealth {
  const entries = new Map<string, LocationHealthSnapshot & { publishedSuccessAt?: number; publishedError?: { code: string; at: number } }>();
  const entry = (uid: string) => {
    let e = entries.get(uid);
    if (e === undefined) entries.set(uid, (e = {}));
    return e;
  };
  return {
    success(uid) {
      const e = entry(uid);
      const at = (e.lastSuccessAt = now());
      if (shared === undefined || at - (e.publishedSuccessAt ?? 0) < HEALTH_PUBLISH_INTERVAL_MS) return;
      e.publishedSuccessAt = at;
      void shared.publish(uid, { lastSuccessAt: at });
    },
    failure(uid, err, requestId) {
      if (REQUEST_CODES.has(err.code)) return;
      const e = entry(uid);
      const lastError = (e.lastError = { code: err.code, at: now(), requestId: requestId || err.requestId, message: err.message.slice(0, MAX_MESSAGE_CHARS) });
      const last = e.publishedError;
      if (shared === undefined || (last !== undefined && last.code === lastError.code && lastError.at - last.at < HEALTH_PUBLISH_INTERVAL_MS)) return;
      e.publishedError = { code: lastError.code, at: lastError.at };
      void shared.publish(uid, { lastError });
    },
    refreshed(uid, last) {
      entry(uid).lastRefresh = last;
      if (shared !== undefined) void shared.publish(uid, { lastRefresh: last });
    },
    get: (uid) => snapshotOf(entries.get(uid)),
    async getShared(uid) {
      const own = snapshotOf(entries.get(uid));
      const other = shared === undefined ? undefined : await shared.read(uid);
      return other === undefined ? own : laterOf(own, other);
    },
    forget(uid) {
      entries.delete(uid);
      if (shared !== undefined) void shared.forget(uid);
    },
  };
}

function snapshotOf(e: LocationHealthSnapshot | undefined): LocationHealthSnapshot {
  return e === undefined ? {} : { lastSuccessAt: e.lastSuccessAt, lastError: e.lastError, lastRefresh: e.lastRefresh };
}

/** The later of each field of two views of one location. */
function laterOf(a: LocationHealthSnapshot, b: LocationHealthSnapshot): LocationHealthSnapshot {
  const lastSuccessAt = Math.max(a.lastSuccessAt ?? 0, b.lastSuccessAt ?? 0) || undefined;
  return { lastSuccessAt, lastError: laterAt(a.lastError, b.lastError), lastRefresh: laterAt(a.lastRefresh, b.lastRefresh) };
}

/** The later of two timed facts (the first on a tie), or whichever exists. */
export function laterAt<T extends { at: number }>(a: T | undefined, b: T | undefined): T | undefined {
  return a === undefined ? b : b === undefined || a.at >= b.at ? a : b;
}

/**
 * The auth state a status reports: the auth instance's own, unless Podium refused the location's credential
 * (ERR_LOC_AUTH) after the last refresh and the last call it accepted — then "failed", whatever token is cached.
 * A token Podium no longer honours is not "valid" because it has not expired.
 */
export function reportedAuthState(own: AuthState, lastRefresh: LastRefresh | undefined, health: LocationHealthSnapshot): AuthState {
  const err = health.lastError;
  if (err === undefined || err.code !== "ERR_LOC_AUTH") return own;
  const lastGood = Math.max(health.lastSuccessAt ?? 0, lastRefresh?.outcome === "ok" ? lastRefresh.at : 0);
  return err.at >= lastGood ? "failed" : own;
}

import type { CoreError } from "@podium-router/errors";
import type { AuthState, LastRefresh } from "../oauth/index.js";

/** What this router process last saw happen to one location, for `GetLocationStatus`. */
export interface LocationHealthSnapshot {
  /** Epoch ms of the last call or verification Podium answered with this location's credential. */
  lastSuccessAt?: number | undefined;
  /** The last refusal or failure that says something about the location (not about a malformed request). */
  lastError?: { code: string; at: number; requestId?: string | undefined; message: string } | undefined;
}

/** Per-location health: one small entry per registered location, kept in memory by this process only. */
export interface LocationHealth {
  success(locationUid: string): void;
  /** `requestId`: the id of the call or verification (its audit line's), not the error's own (a token request's). */
  failure(locationUid: string, err: CoreError, requestId: string | undefined): void;
  get(locationUid: string): LocationHealthSnapshot;
  forget(locationUid: string): void;
}

/**
 * Codes about the request itself, not the location: a caller's typo or deadline says nothing about whether the
 * location works, so it must not hide the last real failure from `locations status`.
 */
const REQUEST_CODES: ReadonlySet<string> = new Set(["ERR_LOC_BAD_REQUEST", "ERR_LOC_MISMATCH", "ERR_LOC_DEADLINE_EXCEEDED", "ERR_LOC_UNKNOWN"]);

/** A status line, not a log: the message is cut so one entry stays small whatever an error says. */
const MAX_MESSAGE_CHARS = 300;

export function createLocationHealth(now: () => number = Date.now): LocationHealth {
  const entries = new Map<string, LocationHealthSnapshot>();
  const entry = (uid: string): LocationHealthSnapshot => {
    let e = entries.get(uid);
    if (e === undefined) entries.set(uid, (e = {}));
    return e;
  };
  return {
    success(uid) {
      entry(uid).lastSuccessAt = now();
    },
    failure(uid, err, requestId) {
      if (REQUEST_CODES.has(err.code)) return;
      entry(uid).lastError = { code: err.code, at: now(), requestId: requestId || err.requestId, message: err.message.slice(0, MAX_MESSAGE_CHARS) };
    },
    get: (uid) => ({ ...entries.get(uid) }),
    forget: (uid) => void entries.delete(uid),
  };
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

/**
 * Onboarding by consent: someone who can reach the location approves the Podium app in a browser, and
 * Podium's redirect back finishes the onboarding. `beginAuthorization` issues a single-use OAuth `state`
 * bound to the pending location; `completeAuthorization` accepts that state once, before it expires,
 * exchanges the authorization code for a refresh token and hands the location, with the token, to the normal
 * onboarding path (token → verified in scope → persisted → live). Pending states live in memory only: a
 * restart forgets them, and the callback must reach the process that issued the state.
 *
 * Pending consents are capped per caller and per organization slug (settings.onboarding), so one API key can
 * fill only its own share; a state leaves the count the moment it expires or is used.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  AGAIN,
  appReferences,
  type AuthorizationCallback,
  type AuthorizationRequest,
  exchangeAuthorizationCode,
  OAUTH_ERROR_RE,
  type PendingAuthorization,
  prepareAuthorization,
  type ResolvedAuthorizationRequest,
} from "../oauth/index.js";
import { resolveSecretRef } from "../credentials/index.js";
import { BadRequestError, ConsentLimitError, DeadlineExceededError, InternalError, isCoreError, LocationAuthError } from "@podium-router/errors";
import type { OnboardingInput, OnboardingResult } from "./onboarding.js";
import type { RecordAudit } from "../audit/index.js";
import { newRequestId } from "../ids.js";
import type { Settings } from "../settings/index.js";
import type { UpstreamClient } from "../upstream/index.js";

export { DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS } from "../oauth/index.js";
/** Spent and expired states are remembered this long, so a late callback hears "expired" or "used", not "unknown". */
const RETAIN_MS = 10 * 60_000;
/** At most this many spent or expired states are remembered (oldest forgotten first); they never block a new consent. */
const MAX_RETAINED = 1_000;

/** What consent onboarding needs from the router that hosts it. */
export interface ConsentOnboardingDeps {
  settings: Settings;
  upstream: Pick<UpstreamClient, "postToken">;
  /** Environment for `env:` references. */
  env: Record<string, string | undefined>;
  /** The normal onboarding path for one location: token → verified in scope → persisted → live. */
  onboard(input: OnboardingInput, caller: string | undefined): Promise<OnboardingResult>;
  /** One audit line per begun authorization and per completion that failed before onboarding ran. */
  recordAudit?: RecordAudit | undefined;
  /** The clock that decides expiry. @default Date.now */
  now?: () => number;
}

/** Pending consent onboardings of one router; see the module comment. */
export interface ConsentOnboarding {
  beginAuthorization(request: AuthorizationRequest, opts?: { caller?: string | undefined }): Promise<PendingAuthorization>;
  completeAuthorization(state: string, callback: AuthorizationCallback): Promise<OnboardingResult>;
  awaitAuthorization(state: string, signal?: AbortSignal): Promise<OnboardingResult>;
  peekAuthorization(state: string): { locationUid: string; expiresAt: number } | undefined;
  /** Rejects every waiter and forgets every state (router shutdown). */
  close(): void;
}

interface Pending {
  request: ResolvedAuthorizationRequest;
  caller: string | undefined;
  expiresAt: number;
  used: boolean;
  /** The result, or why there will be none (expired, shutting down); set once. */
  outcome?: OnboardingResult | Error;
  /** When the state left the open table; retained entries are forgotten RETAIN_MS later. */
  closedAt?: number;
  waiters: Set<(outcome: OnboardingResult | Error) => void>;
  timer: ReturnType<typeof setTimeout>;
}

/** Creates the pending-authorization table of one router. */
export function createConsentOnboarding(deps: ConsentOnboardingDeps): ConsentOnboarding {
  const now = deps.now ?? Date.now;
  const { maxPendingConsentsPerCaller, maxPendingConsentsPerOrg } = deps.settings.onboarding;
  // Keyed by the state's hash: the maps never hold a usable state, and lookups leak nothing by timing.
  // `open`: issued and not yet expired or finished, the only ones the caps count. `retained`: spent or
  // expired, kept a while (bounded) for late callbacks and waiters.
  const open = new Map<string, Pending>();
  const retained = new Map<string, Pending>();
  const keyOf = (state: string): string => createHash("sha256").update(state).digest("base64url");
  const iso = (ms: number): string => new Date(ms).toISOString();
  const find = (state: string): Pending | undefined => {
    if (typeof state !== "string" || state === "") return undefined;
    const key = keyOf(state);
    return open.get(key) ?? retained.get(key);
  };

  const settle = (entry: Pending, outcome: OnboardingResult | Error): void => {
    const final = (entry.outcome ??= outcome);
    for (const wake of entry.waiters) wake(final);
    entry.waiters.clear();
  };
  const expiredError = (entry: Pending): DeadlineExceededError =>
    new DeadlineExceededError({ locationUid: entry.request.locationUid }, `the authorization expired at ${iso(entry.expiresAt)} before Podium redirected back; ${AGAIN}`);

  /** Moves a state out of the open table: it no longer counts against any cap. */
  const retire = (key: string, entry: Pending): void => {
    clearTimeout(entry.timer);
    open.delete(key);
    entry.closedAt = now();
    retained.delete(key);
    retained.set(key, entry);
    // Oldest first: Map iteration follows insertion order.
    for (const old of retained.keys()) {
      if (retained.size <= MAX_RETAINED) break;
      retained.delete(old);
    }
  };
  /** Expired states leave the open table at once; forgotten retained ones go too. */
  const sweep = (): void => {
    const t = now();
    for (const [key, entry] of open) {
      if (!entry.used && t >= entry.expiresAt) {
        settle(entry, expiredError(entry));
        retire(key, entry);
      }
    }
    for (const [key, entry] of retained) if (t >= (entry.closedAt ?? 0) + RETAIN_MS) retained.delete(key);
  };

  /** Refuses a new consent when its caller or its organization already has as many open as allowed. */
  const checkCaps = (request: ResolvedAuthorizationRequest, caller: string | undefined, requestId: string): void => {
    const mine: Pending[] = [];
    const org: Pending[] = [];
    for (const entry of open.values()) {
      if (entry.caller === caller) mine.push(entry);
      if (entry.request.orgSlug === request.orgSlug) org.push(entry);
    }
    const full = mine.length >= maxPendingConsentsPerCaller ? { entries: mine, what: `this caller has ${mine.length}`, key: "max_pending_consents_per_caller" } : org.length >= maxPendingConsentsPerOrg ? { entries: org, what: `organization ${request.orgSlug} has ${org.length}`, key: "max_pending_consents_per_org" } : undefined;
    if (full === undefined) return;
    // The earliest an open slot can free up by itself: the first of those states to expire.
    const retryAfterMs = Math.max(0, Math.min(...full.entries.map((e) => e.expiresAt)) - now());
    throw new ConsentLimitError(
      { locationUid: request.locationUid, requestId, retryAfterMs },
      `${full.what} consents pending, the most allowed (onboarding.${full.key}); finish or abandon one, or retry in ${Math.ceil(retryAfterMs / 1000)} s when the first expires`,
    );
  };

  /** The operation's audit line: 200 when it went on, 0 with the code when it failed. */
  const audited = (rpc: "BeginAuthorization" | "CompleteAuthorization", locationUid: string, requestId: string, startedAt: number, caller: string | undefined, errorCode?: string): void =>
    deps.recordAudit?.({ subject: { kind: "rpc", rpc }, locationUid, requestId, startedAt, caller, errorCode, status: errorCode ? 0 : 200 });

  /** The request with the app's references, redirect URI and scopes in place of its name. */
  const resolveRequest = (request: AuthorizationRequest): ResolvedAuthorizationRequest => {
    const { app, clientIdRef, clientSecretRef } = appReferences(request, deps.settings.oauthApps, request.locationUid);
    const asked = request.scopes ?? [];
    const allowed = app?.scopes ?? [];
    if (allowed.length > 0) {
      const extra = asked.filter((s) => !allowed.includes(s));
      if (extra.length > 0) throw new BadRequestError({ locationUid: request.locationUid }, `scopes must be among the scopes configured for oauth_app "${request.oauthApp}" (${allowed.join(", ")})`);
    }
    return {
      locationUid: request.locationUid,
      orgSlug: request.orgSlug,
      clientIdRef,
      clientSecretRef,
      redirectUri: app?.redirectUri ?? request.redirectUri,
      scopes: asked.length > 0 ? asked : allowed,
      ttlMs: request.ttlMs,
    };
  };

  async function finish(entry: Pending, callback: AuthorizationCallback): Promise<OnboardingResult> {
    const t0 = performance.now();
    const { request, caller } = entry;
    const uid = request.locationUid;
    const requestId = newRequestId();
    try {
      if (callback.error !== undefined && callback.error !== "") {
        const why = OAUTH_ERROR_RE.test(callback.error) ? callback.error : "an error";
        throw new LocationAuthError({ locationUid: uid, requestId }, `Podium answered the consent with ${why} instead of a code; approve the app as a user who can reach the location and ${AGAIN}`);
      }
      if (callback.code === undefined || callback.code === "") throw new BadRequestError({ locationUid: uid, requestId }, "the callback carries neither code nor error");
      const [clientId, clientSecret] = await Promise.all([
        resolveSecretRef(request.clientIdRef, deps.env, { label: "client_id_ref", locationUid: uid }),
        resolveSecretRef(request.clientSecretRef, deps.env, { label: "client_secret_ref", locationUid: uid }),
      ]);
      const refreshToken = await exchangeAuthorizationCode(request, { clientId, clientSecret, code: callback.code, requestId }, deps.settings.upstream, deps.upstream);
      // Onboarding writes the token where the store keeps tokens, and leaves nothing behind when it fails.
      return await deps.onboard({ locationUid: uid, orgSlug: request.orgSlug, clientIdRef: request.clientIdRef, clientSecretRef: request.clientSecretRef, refreshToken }, caller);
    } catch (err) {
      const e = isCoreError(err) ? err : new InternalError({ locationUid: uid, requestId, cause: err });
      audited("CompleteAuthorization", uid, requestId, t0, caller, e.code);
      return { locationUid: uid, outcome: "failed", errorCode: e.code, message: e.message };
    }
  }

  return {
    async beginAuthorization(request, opts = {}) {
      const t0 = performance.now();
      const requestId = newRequestId();
      const resolved = resolveRequest(request);
      const { authorizeUrl, state, ttlMs } = await prepareAuthorization(resolved, deps.settings.upstream, deps.env);
      sweep();
      try {
        checkCaps(resolved, opts.caller, requestId);
      } catch (err) {
        audited("BeginAuthorization", resolved.locationUid, requestId, t0, opts.caller, (err as ConsentLimitError).code);
        throw err;
      }
      const key = keyOf(state);
      const expiresAt = now() + ttlMs;
      const entry: Pending = {
        request: resolved,
        caller: opts.caller,
        expiresAt,
        used: false,
        waiters: new Set(),
        // At expiry the state leaves the open table and its waiters hear why.
        timer: setTimeout(() => {
          if (entry.used || open.get(key) !== entry) return;
          settle(entry, expiredError(entry));
          retire(key, entry);
        }, ttlMs),
      };
      // A pending consent never holds the process open.
      entry.timer.unref?.();
      open.set(key, entry);
      audited("BeginAuthorization", resolved.locationUid, requestId, t0, opts.caller);
      return { locationUid: resolved.locationUid, authorizeUrl, state, expiresAt, redirectUri: resolved.redirectUri };
    },

    async completeAuthorization(state, callback) {
      sweep();
      const entry = find(state);
      if (entry === undefined) {
        throw new BadRequestError({}, `unknown authorization state: this router did not issue it, or it restarted since; ${AGAIN}`);
      }
      const locationUid = entry.request.locationUid;
      if (entry.used) throw new BadRequestError({ locationUid }, `this authorization state was already used; each consent link works once, so ${AGAIN}`);
      // Marked used before any await: two concurrent callbacks with one state cannot both pass.
      entry.used = true;
      const key = keyOf(state);
      if (now() >= entry.expiresAt) {
        settle(entry, expiredError(entry));
        if (open.get(key) === entry) retire(key, entry);
        throw new BadRequestError({ locationUid }, `this authorization state expired at ${iso(entry.expiresAt)}; ${AGAIN}`);
      }
      // Counted until onboarding ends: the code exchange and verification are still this caller's.
      const result = await finish(entry, callback);
      settle(entry, result);
      if (open.get(key) === entry) retire(key, entry);
      return result;
    },

    awaitAuthorization(state, signal) {
      sweep();
      const entry = find(state);
      if (entry === undefined) return Promise.reject(new BadRequestError({}, `unknown authorization state: this router did not issue it, or it restarted since; ${AGAIN}`));
      const done = entry.outcome;
      if (done !== undefined) return done instanceof Error ? Promise.reject(done) : Promise.resolve(done);
      return new Promise<OnboardingResult>((resolvePromise, reject) => {
        const onAbort = (): void => {
          entry.waiters.delete(wake);
          reject(
            new DeadlineExceededError(
              { locationUid: entry.request.locationUid },
              `stopped waiting for the consent; the authorization stays valid until ${iso(entry.expiresAt)}`,
            ),
          );
        };
        const wake = (outcome: OnboardingResult | Error): void => {
          signal?.removeEventListener("abort", onAbort);
          if (outcome instanceof Error) reject(outcome);
          else resolvePromise(outcome);
        };
        if (signal?.aborted) return onAbort();
        entry.waiters.add(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },

    peekAuthorization(state) {
      const entry = find(state);
      return entry === undefined ? undefined : { locationUid: entry.request.locationUid, expiresAt: entry.expiresAt };
    },

    close() {
      for (const entry of [...open.values(), ...retained.values()]) {
        clearTimeout(entry.timer);
        settle(entry, new InternalError({ locationUid: entry.request.locationUid }, `the router is shutting down; ${AGAIN}`));
      }
      open.clear();
      retained.clear();
    },
  };
}

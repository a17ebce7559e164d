/**
 * Onboarding by consent: someone who can reach the location approves the Podium app in a browser, and
 * Podium's redirect back finishes the onboarding. `beginAuthorization` issues a single-use OAuth `state`
 * bound to the pending location; `completeAuthorization` accepts that state once, before it expires,
 * exchanges the authorization code for a refresh token, writes it to a 0600 file, and hands the location
 * to the normal onboarding path (token → verified in scope → persisted → live). Pending states live in
 * memory only: a restart forgets them, and the callback must reach the process that issued the state.
 */
import { createHash } from "node:crypto";
import { unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { AGAIN, type AuthorizationCallback, type AuthorizationRequest, exchangeAuthorizationCode, OAUTH_ERROR_RE, type PendingAuthorization, prepareAuthorization, writeRefreshTokenFile } from "../oauth/index.js";
import { type CredentialStore, resolveSecretRef } from "../credentials/index.js";
import { BadRequestError, DeadlineExceededError, InternalError, isCoreError, LocationAuthError } from "@podium-router/errors";
import type { OnboardingInput, OnboardingResult } from "./onboarding.js";
import type { RecordAudit } from "../audit/index.js";
import { newRequestId } from "../ids.js";
import type { Settings } from "../settings/index.js";
import type { UpstreamClient } from "../upstream/index.js";

export { DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS } from "../oauth/index.js";
/** Bounds memory: an API-key holder cannot grow the pending map without limit. */
export const MAX_PENDING_AUTHORIZATIONS = 1_000;
/** Spent and expired states are remembered this long, so a late callback hears "expired" or "used", not "unknown". */
const RETAIN_MS = 10 * 60_000;

/** What consent onboarding needs from the router that hosts it. */
export interface ConsentOnboardingDeps {
  settings: Settings;
  upstream: Pick<UpstreamClient, "postToken">;
  /** Environment for `env:` references. */
  env: Record<string, string | undefined>;
  store: Pick<CredentialStore, "get">;
  isLive(locationUid: string): boolean;
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
  request: AuthorizationRequest;
  caller: string | undefined;
  expiresAt: number;
  used: boolean;
  /** The result, or why there will be none (expired, shutting down); set once. */
  outcome?: OnboardingResult | Error;
  waiters: Set<(outcome: OnboardingResult | Error) => void>;
  timer: ReturnType<typeof setTimeout>;
}

/** Creates the pending-authorization table of one router. */
export function createConsentOnboarding(deps: ConsentOnboardingDeps): ConsentOnboarding {
  const now = deps.now ?? Date.now;
  // Keyed by the state's hash: the map never holds a usable state, and lookups leak nothing by timing.
  const pending = new Map<string, Pending>();
  const keyOf = (state: string): string => createHash("sha256").update(state).digest("base64url");
  const iso = (ms: number): string => new Date(ms).toISOString();

  const settle = (entry: Pending, outcome: OnboardingResult | Error): void => {
    const final = (entry.outcome ??= outcome);
    for (const wake of entry.waiters) wake(final);
    entry.waiters.clear();
  };
  const expiredError = (entry: Pending): DeadlineExceededError =>
    new DeadlineExceededError({ locationUid: entry.request.locationUid }, `the authorization expired at ${iso(entry.expiresAt)} before Podium redirected back; ${AGAIN}`);
  const sweep = (): void => {
    const t = now();
    for (const [key, entry] of pending) if (t >= entry.expiresAt + RETAIN_MS) pending.delete(key);
  };

  /** The operation's audit line: 200 when it went on, 0 with the code when it failed. */
  const audited = (rpc: "BeginAuthorization" | "CompleteAuthorization", locationUid: string, requestId: string, startedAt: number, caller: string | undefined, errorCode?: string): void =>
    deps.recordAudit?.({ subject: { kind: "rpc", rpc }, locationUid, requestId, startedAt, caller, errorCode, status: errorCode ? 0 : 200 });

  async function finish(entry: Pending, callback: AuthorizationCallback): Promise<OnboardingResult> {
    const t0 = performance.now();
    const { request, caller } = entry;
    const uid = request.locationUid;
    const requestId = newRequestId();
    let tokenFile: string | undefined;
    try {
      if (callback.error !== undefined && callback.error !== "") {
        const why = OAUTH_ERROR_RE.test(callback.error) ? callback.error : "an error";
        throw new LocationAuthError({ locationUid: uid, requestId }, `Podium answered the consent with ${why} instead of a code; approve the app as a user who can reach the location and ${AGAIN}`);
      }
      if (callback.code === undefined || callback.code === "") throw new BadRequestError({ locationUid: uid, requestId }, "the callback carries neither code nor error");
      if ((await deps.store.get(uid)) || deps.isLive(uid)) {
        // The code is not even exchanged: the stored credential stays the one in use.
        audited("CompleteAuthorization", uid, requestId, t0, caller);
        return { locationUid: uid, outcome: "skipped_existing", message: "already onboarded; nothing changed (the consent was not used)" };
      }
      const [clientId, clientSecret] = await Promise.all([
        resolveSecretRef(request.clientIdRef, deps.env, { label: "client_id_ref", locationUid: uid }),
        resolveSecretRef(request.clientSecretRef, deps.env, { label: "client_secret_ref", locationUid: uid }),
      ]);
      const refreshToken = await exchangeAuthorizationCode(request, { clientId, clientSecret, code: callback.code, requestId }, deps.settings.upstream, deps.upstream);
      tokenFile = await writeRefreshTokenFile(deps.settings.onboarding.refreshTokenDir, uid, refreshToken);
      const result = await deps.onboard(inputFor(request, tokenFile), caller);
      // Keep the file only where it is the record's token: a failed or skipped onboarding leaves nothing behind,
      // and a store that imported the token (PostgreSQL) needs no plaintext copy on disk.
      const stored = result.outcome === "onboarded" ? await deps.store.get(uid) : undefined;
      if (stored === undefined || resolve(stored.refreshTokenFile) !== tokenFile) await unlink(tokenFile).catch(() => undefined);
      return result;
    } catch (err) {
      if (tokenFile !== undefined) await unlink(tokenFile).catch(() => undefined);
      const e = isCoreError(err) ? err : new InternalError({ locationUid: uid, requestId, cause: err });
      audited("CompleteAuthorization", uid, requestId, t0, caller, e.code);
      return { locationUid: uid, outcome: "failed", errorCode: e.code, message: e.message };
    }
  }

  return {
    async beginAuthorization(request, opts = {}) {
      const t0 = performance.now();
      const requestId = newRequestId();
      const { authorizeUrl, state, ttlMs } = await prepareAuthorization(request, deps.settings.upstream, deps.env);
      sweep();
      if (pending.size >= MAX_PENDING_AUTHORIZATIONS) {
        throw new BadRequestError({ locationUid: request.locationUid, requestId }, `${MAX_PENDING_AUTHORIZATIONS} authorizations are already pending; complete them or wait for them to expire`);
      }
      const expiresAt = now() + ttlMs;
      const entry: Pending = {
        request: { ...request },
        caller: opts.caller,
        expiresAt,
        used: false,
        waiters: new Set(),
        // Wakes the waiters when the state expires unused.
        timer: setTimeout(() => {
          if (!entry.used) settle(entry, expiredError(entry));
        }, ttlMs),
      };
      // A pending consent never holds the process open.
      entry.timer.unref?.();
      pending.set(keyOf(state), entry);
      audited("BeginAuthorization", request.locationUid, requestId, t0, opts.caller);
      return { locationUid: request.locationUid, authorizeUrl, state, expiresAt, redirectUri: request.redirectUri };
    },

    async completeAuthorization(state, callback) {
      const entry = typeof state === "string" && state !== "" ? pending.get(keyOf(state)) : undefined;
      if (entry === undefined) {
        throw new BadRequestError({}, `unknown authorization state: this router did not issue it, or it restarted since; ${AGAIN}`);
      }
      const locationUid = entry.request.locationUid;
      if (entry.used) throw new BadRequestError({ locationUid }, `this authorization state was already used; each consent link works once, so ${AGAIN}`);
      // Marked used before any await: two concurrent callbacks with one state cannot both pass.
      entry.used = true;
      clearTimeout(entry.timer);
      if (now() >= entry.expiresAt) {
        const err = new BadRequestError({ locationUid }, `this authorization state expired at ${iso(entry.expiresAt)}; ${AGAIN}`);
        settle(entry, expiredError(entry));
        throw err;
      }
      const result = await finish(entry, callback);
      settle(entry, result);
      return result;
    },

    awaitAuthorization(state, signal) {
      const entry = typeof state === "string" && state !== "" ? pending.get(keyOf(state)) : undefined;
      if (entry === undefined) return Promise.reject(new BadRequestError({}, `unknown authorization state: this router did not issue it, or it restarted since; ${AGAIN}`));
      const done = entry.outcome;
      if (done !== undefined) return done instanceof Error ? Promise.reject(done) : Promise.resolve(done);
      if (!entry.used && now() >= entry.expiresAt) return Promise.reject(expiredError(entry));
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
      const entry = typeof state === "string" && state !== "" ? pending.get(keyOf(state)) : undefined;
      return entry === undefined ? undefined : { locationUid: entry.request.locationUid, expiresAt: entry.expiresAt };
    },

    close() {
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        settle(entry, new InternalError({ locationUid: entry.request.locationUid }, `the router is shutting down; ${AGAIN}`));
      }
      pending.clear();
    },
  };
}

function inputFor(request: AuthorizationRequest, refreshTokenFile: string): OnboardingInput {
  return {
    locationUid: request.locationUid,
    orgSlug: request.orgSlug,
    clientIdRef: request.clientIdRef,
    clientSecretRef: request.clientSecretRef,
    refreshTokenFile,
  };
}

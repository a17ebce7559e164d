/**
 * Onboarding by consent: someone who can reach the location approves the Podium app in a browser, and
 * Podium's redirect back finishes the onboarding. `beginAuthorization` issues a single-use OAuth `state`
 * bound to the pending location; `completeAuthorization` accepts that state once, before it expires,
 * exchanges the authorization code for a refresh token, writes it to a 0600 file, and hands the location
 * to the normal onboarding path (token → verified in scope → persisted → live). Pending states live in
 * memory only: a restart forgets them, and the callback must reach the process that issued the state.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "./atomic-file.js";
import type { CredentialStore } from "./credential-store.js";
import { BadRequestError, DeadlineExceededError, InternalError, isCoreError, LocationAuthError, UpstreamUnavailableError } from "./errors.js";
import type {
  AuthorizationCallback,
  AuthorizationRequest,
  OnboardingInput,
  OnboardingResult,
  PendingAuthorization,
} from "./location-router-api.js";
import { newRequestId } from "./request-id.js";
import { parseSecretRef, resolveSecretRef } from "./secret-ref.js";
import type { Settings } from "./settings.js";
import type { UpstreamClient } from "./upstream-client.js";

/** 10 min: time to log in to Podium and approve, short enough that a leaked authorize URL soon dies. */
export const DEFAULT_AUTHORIZATION_TTL_MS = 10 * 60_000;
/** 1 h: the longest a state may live; a consent that takes longer should be started again. */
export const MAX_AUTHORIZATION_TTL_MS = 60 * 60_000;
/** Bounds memory: an API-key holder cannot grow the pending map without limit. */
export const MAX_PENDING_AUTHORIZATIONS = 1_000;
/** Spent and expired states are remembered this long, so a late callback hears "expired" or "used", not "unknown". */
const RETAIN_MS = 10 * 60_000;
/** 256 bits: a state cannot be guessed, so the callback needs no other authentication. */
const STATE_BYTES = 32;
const AGAIN = "run `podium-router onboard --authorize` again";
// The same rules as onboarding.ts's batch check, applied before any URL is issued.
const UID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SCOPE_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const OAUTH_ERROR_RE = /^[a-z_]{1,40}$/;

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
  audit?(rpc: "BeginAuthorization" | "CompleteAuthorization", locationUid: string, requestId: string, t0: number, caller: string | undefined, errorCode?: string): void;
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
    entry.outcome ??= outcome;
    for (const wake of entry.waiters) wake(outcome);
    entry.waiters.clear();
  };
  const expiredError = (entry: Pending): DeadlineExceededError =>
    new DeadlineExceededError({ locationUid: entry.request.locationUid }, `the authorization expired at ${iso(entry.expiresAt)} before Podium redirected back; ${AGAIN}`);
  const sweep = (): void => {
    const t = now();
    for (const [key, entry] of pending) if (t >= entry.expiresAt + RETAIN_MS) pending.delete(key);
  };

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
        deps.audit?.("CompleteAuthorization", uid, requestId, t0, caller);
        return { locationUid: uid, outcome: "skipped_existing", message: "already onboarded; nothing changed (the consent was not used)" };
      }
      const [clientId, clientSecret] = await Promise.all([
        resolveSecretRef(request.clientIdRef, deps.env, { label: "client_id_ref", locationUid: uid }),
        resolveSecretRef(request.clientSecretRef, deps.env, { label: "client_secret_ref", locationUid: uid }),
      ]);
      const refreshToken = await exchangeCode(deps, request, clientId, clientSecret, callback.code, requestId);
      tokenFile = await writeTokenFile(deps.settings.onboarding.refreshTokenDir, uid, refreshToken);
      const result = await deps.onboard(inputFor(request, tokenFile), caller);
      // Keep the file only where it is the record's token: a failed or skipped onboarding leaves nothing behind,
      // and a store that imported the token (PostgreSQL) needs no plaintext copy on disk.
      const stored = result.outcome === "onboarded" ? await deps.store.get(uid) : undefined;
      if (stored === undefined || resolve(stored.refreshTokenFile) !== tokenFile) await unlink(tokenFile).catch(() => undefined);
      return result;
    } catch (err) {
      if (tokenFile !== undefined) await unlink(tokenFile).catch(() => undefined);
      const e = isCoreError(err) ? err : new InternalError({ locationUid: uid, requestId, cause: err });
      deps.audit?.("CompleteAuthorization", uid, requestId, t0, caller, e.code);
      return { locationUid: uid, outcome: "failed", errorCode: e.code, message: e.message };
    }
  }

  return {
    async beginAuthorization(request, opts = {}) {
      const t0 = performance.now();
      const requestId = newRequestId();
      const { authorizeUrl, state, ttlMs } = await prepare(deps, request);
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
      deps.audit?.("BeginAuthorization", request.locationUid, requestId, t0, opts.caller);
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

/** Checks the request (nothing secret is echoed) and builds the authorize URL with a fresh state. */
async function prepare(deps: ConsentOnboardingDeps, request: AuthorizationRequest): Promise<{ authorizeUrl: string; state: string; ttlMs: number }> {
  const uid = request.locationUid;
  if (!UID_RE.test(uid ?? "")) throw new BadRequestError({}, "location_uid must be 1-128 characters of [A-Za-z0-9._-]");
  const fail = (detail: string): never => {
    throw new BadRequestError({ locationUid: uid }, detail);
  };
  if (!SLUG_RE.test(request.orgSlug ?? "")) fail("org_slug must be lower-case letters, digits and dashes");
  parseSecretRef(request.clientIdRef, { label: "client_id_ref", locationUid: uid });
  parseSecretRef(request.clientSecretRef, { label: "client_secret_ref", locationUid: uid });
  let redirect: URL | undefined;
  try {
    redirect = new URL(request.redirectUri);
  } catch {
    // reported below
  }
  if (redirect === undefined || (redirect.protocol !== "http:" && redirect.protocol !== "https:") || redirect.hash !== "") {
    fail("redirect_uri must be an absolute http(s) URL without a fragment");
  }
  const scopes = request.scopes ?? [];
  if (scopes.some((s) => !SCOPE_RE.test(s))) fail("each scope must be 1-64 characters of [A-Za-z0-9_.:-]");
  const ttlMs = request.ttlMs ?? DEFAULT_AUTHORIZATION_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_AUTHORIZATION_TTL_MS) fail(`the authorization lifetime must be 1 ms to ${MAX_AUTHORIZATION_TTL_MS / 60_000} min`);
  // Both resolved now, so a missing secret fails before anyone spends time on the consent.
  const [clientId] = await Promise.all([
    resolveSecretRef(request.clientIdRef, deps.env, { label: "client_id_ref", locationUid: uid }),
    resolveSecretRef(request.clientSecretRef, deps.env, { label: "client_secret_ref", locationUid: uid }),
  ]);
  const state = randomBytes(STATE_BYTES).toString("base64url");
  const url = new URL(`${deps.settings.upstream.baseUrl}/oauth/authorize`);
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("response_type", "code");
  if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "));
  url.searchParams.set("state", state);
  return { authorizeUrl: url.toString(), state, ttlMs };
}

/** Trades the authorization code for a refresh token (authorization_code grant, never retried: codes are single-use). */
async function exchangeCode(deps: ConsentOnboardingDeps, request: AuthorizationRequest, clientId: string, clientSecret: string, code: string, requestId: string): Promise<string> {
  const uid = request.locationUid;
  const res = await deps.upstream.postToken(
    { grant_type: "authorization_code", code, redirect_uri: request.redirectUri, client_id: clientId, client_secret: clientSecret },
    { tokenUrl: deps.settings.upstream.tokenUrl, requestId, locationUid: uid },
  );
  const body = (typeof res.json === "object" && res.json !== null ? res.json : {}) as Record<string, unknown>;
  if (res.status === 200 && typeof body.refresh_token === "string" && body.refresh_token !== "") return body.refresh_token;
  // Only a short RFC 6749 error code is echoed, so an odd body can never leak into the message.
  const oauthCode = typeof body.error === "string" && OAUTH_ERROR_RE.test(body.error) ? body.error : undefined;
  const ctx = { locationUid: uid, requestId, upstreamStatus: res.status };
  if (res.status >= 500 || res.status === 429) throw new UpstreamUnavailableError(ctx, `the token endpoint answered ${res.status} to the code exchange; ${AGAIN}`);
  const why = oauthCode ?? (res.status === 200 ? "no refresh_token in the answer" : `HTTP ${res.status}`);
  throw new LocationAuthError(ctx, `Podium refused the authorization code for location ${uid} (${why}); codes are single-use and short-lived, so ${AGAIN}`);
}

/** Writes the token atomically to a new 0600 file; a unique name, so no other location's or attempt's file is touched. */
async function writeTokenFile(dir: string, locationUid: string, token: string): Promise<string> {
  const absolute = resolve(dir);
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  const file = join(absolute, `${locationUid}.${randomBytes(4).toString("hex")}.refresh-token`);
  await writeFileAtomic(file, token);
  return file;
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

import { waitFor } from "../util/index.js";
import { isRefreshTokenConflict, CredentialError, LocationAuthError, UpstreamUnavailableError, isCoreError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";
import { newRequestId } from "../ids.js";
import type { RefreshCoordination } from "../credentials/index.js";
import type { UpstreamClient } from "../upstream/index.js";

/** What one location's auth needs. Built from that location's record alone, never from its org's. */
export interface LocationAuthOptions {
  /** The location this instance serves; named in every error. */
  locationUid: string;
  /** Full URL of the OAuth token endpoint (settings `upstream.token_url`). */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Reads the location's current refresh token from the credential store. */
  readRefreshToken: () => Promise<string>;
  /** Persists a rotated refresh token; awaited before the new access token is used. */
  writeRefreshToken: (token: string) => Promise<void>;
  /**
   * For stores shared by several router processes (`refreshCoordinationFor(store, record)`): each refresh then
   * runs under the location's lock, re-reads the token under it (another process may have rotated it while this
   * one waited), and stores the rotated token with a version check; `readRefreshToken`/`writeRefreshToken` are
   * not used for refreshes. @default none (this process is the only one refreshing the location)
   */
  coordination?: RefreshCoordination | undefined;
  /**
   * Refresh this long before Podium's expiry, so a token never expires in flight. Capped at half the
   * token's lifetime, so a short-lived token is still reused.
   */
  expiryMarginMs: number;
  /** Sends the token request. */
  upstream: Pick<UpstreamClient, "postToken">;
  /** Called after each refresh attempt, for metrics and status (with the attempt as a status shows it). @default none */
  onRefresh?: ((outcome: "ok" | "failed", last: LastRefresh) => void) | undefined;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: (() => number) | undefined;
}

export type AuthState = "no_token" | "valid" | "expired" | "failed";

/** The last token refresh of a location: when, whether Podium issued a token, and the error code if not. */
export interface LastRefresh {
  /** Epoch ms when the refresh finished. */
  at: number;
  outcome: "ok" | "failed";
  /** The ERR_LOC_* code of a failed refresh. */
  errorCode?: string | undefined;
}

/** One location's OAuth access token: cached, refreshed once however many callers need it. */
export interface LocationAuth {
  /** Returns a fresh access token, refreshing (single-flight) when the cached one is within the margin. */
  getAccessToken(opts?: { signal?: AbortSignal | undefined; deadline?: number | undefined }): Promise<string>;
  /** The upstream said 401 for this token: drop it so the next getAccessToken refreshes (only if it is still the cached one). */
  invalidate(token: string): void;
  state(): { authState: AuthState; expiresAt?: number; lastRefresh?: LastRefresh };
}

/**
 * Used when the token response omits `expires_in`: an hour, well inside the 10 hours Podium is reported
 * to grant (shared/podium-api.md §1), so a missing field costs a few extra refreshes, never a 401.
 */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;

/** Creates the auth for ONE location; the router holds one per location_uid. */
export function createLocationAuth(options: LocationAuthOptions): LocationAuth {
  return new CachedLocationAuth(options);
}

class CachedLocationAuth implements LocationAuth {
  readonly #o: LocationAuthOptions;
  readonly #now: () => number;
  #token: string | undefined;
  #expiresAt: number | undefined;
  /** `#expiresAt` minus the margin: the token is handed out until then. */
  #freshUntil = 0;
  #inflight: Promise<string> | undefined;
  /** The last refresh's auth failure and the refresh token it was for (to not resend a refused one). */
  #failure: { refreshToken: string; error: CoreError } | undefined;
  /** A rotated refresh token Podium issued that the store failed to persist: the only one still valid. */
  #unsaved: string | undefined;
  /** With coordination: the stored version `#unsaved` replaces; once the store moves past it, the store wins. */
  #unsavedOver: number | undefined;
  /** The last refresh's outcome, for status reports. */
  #lastRefresh: LastRefresh | undefined;

  constructor(options: LocationAuthOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  getAccessToken(opts: { signal?: AbortSignal | undefined; deadline?: number | undefined } = {}): Promise<string> {
    if (this.#token !== undefined && this.#now() < this.#freshUntil) return Promise.resolve(this.#token);
    // The refresh itself ignores the caller's signal: aborting it half-way could lose a rotated token,
    // and the other waiters still want its result. Each caller stops waiting on its own signal.
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return waitFor(this.#inflight, opts, { locationUid: this.#o.locationUid });
  }

  invalidate(token: string): void {
    if (this.#token === token) {
      this.#token = undefined;
      this.#freshUntil = 0;
    }
  }

  state(): { authState: AuthState; expiresAt?: number; lastRefresh?: LastRefresh } {
    const last = this.#lastRefresh === undefined ? {} : { lastRefresh: { ...this.#lastRefresh } };
    if (this.#failure !== undefined) return { authState: "failed", ...last };
    if (this.#expiresAt === undefined) return { authState: "no_token", ...last };
    const authState = this.#token !== undefined && this.#now() < this.#freshUntil ? "valid" : "expired";
    return { authState, expiresAt: this.#expiresAt, ...last };
  }

  /** Records a refresh's outcome for status reports and tells the observer. */
  #refreshed(outcome: "ok" | "failed", err?: unknown): void {
    const last: LastRefresh = { at: this.#now(), outcome, ...(outcome === "failed" ? { errorCode: isCoreError(err) ? err.code : "ERR_LOC_INTERNAL" } : {}) };
    this.#lastRefresh = last;
    this.#o.onRefresh?.(outcome, { ...last });
  }

  async #refresh(): Promise<string> {
    const o = this.#o;
    const c = o.coordination;
    if (c === undefined) return this.#exchange(this.#unsaved ?? (await o.readRefreshToken()), (token) => o.writeRefreshToken(token));
    // One process at a time, each starting from the token the last one stored: under rotation a token read
    // before the lock may already be retired by another replica's refresh.
    return c.withLock(async () => {
      const stored = await c.read();
      const useUnsaved = this.#unsaved !== undefined && this.#unsavedOver === stored.version;
      if (!useUnsaved) this.#unsaved = undefined;
      return this.#exchange(this.#unsaved ?? stored.token, async (token) => {
        try {
          await c.write(token, stored.version);
          this.#unsavedOver = undefined;
        } catch (err) {
          // Our lock expired and another process stored a newer token: that one is the chain to keep (ours is
          // not needed), and the access token we just got is valid, so the refresh still succeeds.
          if (isRefreshTokenConflict(err)) return;
          this.#unsavedOver = stored.version;
          throw err;
        }
      });
    });
  }

  /** Trades `refreshToken` for an access token; a rotated refresh token goes through `persist` before use. */
  async #exchange(refreshToken: string, persist: (token: string) => Promise<void>): Promise<string> {
    const o = this.#o;
    const ctx = { locationUid: o.locationUid };
    // Podium already refused this exact refresh token: fail fast until the operator stores a new one.
    if (this.#failure !== undefined && this.#failure.refreshToken === refreshToken) throw this.#failure.error;
    const started = this.#now();
    const requestId = newRequestId();
    let res: { status: number; json: unknown };
    try {
      res = await o.upstream.postToken(
        { grant_type: "refresh_token", refresh_token: refreshToken, client_id: o.clientId, client_secret: o.clientSecret },
        { tokenUrl: o.tokenUrl, requestId, locationUid: o.locationUid },
      );
    } catch (err) {
      this.#refreshed("failed", err);
      throw err; // already a core error (unavailable/deadline); a transport failure is not an auth failure
    }
    const body = (typeof res.json === "object" && res.json !== null ? res.json : {}) as Record<string, unknown>;
    if (res.status !== 200 || typeof body.access_token !== "string" || body.access_token === "") {
      const refusal = this.#refusal(res.status, body, refreshToken, requestId);
      this.#refreshed("failed", refusal);
      throw refusal;
    }
    const rotated = body.refresh_token;
    if (typeof rotated === "string" && rotated !== "" && rotated !== refreshToken) {
      // Persist before use: if we crashed after using the new access token but before saving, the
      // stored (old) refresh token would already be dead under rotation and the location bricked.
      try {
        await persist(rotated);
        this.#unsaved = undefined;
      } catch (err) {
        this.#unsaved = rotated; // keep the chain alive in memory; the next refresh tries again
        const e = isCoreError(err) ? err : new CredentialError({ ...ctx, requestId, cause: err }, "the rotated refresh token could not be stored");
        this.#refreshed("failed", e);
        throw e;
      }
    }
    const lifetimeMs = (typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_ACCESS_TOKEN_TTL_SECONDS) * 1000;
    this.#token = body.access_token;
    this.#expiresAt = started + lifetimeMs;
    this.#freshUntil = this.#expiresAt - Math.min(o.expiryMarginMs, lifetimeMs / 2);
    this.#failure = undefined;
    this.#refreshed("ok");
    return body.access_token;
  }

  /** The error for a refused refresh. Names the OAuth error code (never a token) and what to do. */
  #refusal(status: number, body: Record<string, unknown>, refreshToken: string, requestId: string): CoreError {
    const ctx = { locationUid: this.#o.locationUid, requestId, upstreamStatus: status };
    // Only a short RFC 6749 style code is echoed, so an odd body can never leak into the message.
    const code = typeof body.error === "string" && /^[a-z_]{1,40}$/.test(body.error) ? body.error : undefined;
    if (status === 400 || status === 401 || status === 403 || (status === 200 && code === undefined)) {
      const why = code ?? (status === 200 ? "no access_token in the answer" : `HTTP ${status}`);
      const error = new LocationAuthError(
        ctx,
        `Podium refused the token refresh for location ${this.#o.locationUid} (${why}); re-authorize the location and store its new refresh token`,
      );
      this.#failure = { refreshToken, error };
      this.#unsaved = undefined; // if it was the unsaved one, fall back to whatever the store holds next time
      return error;
    }
    return new UpstreamUnavailableError(ctx, `the token endpoint answered ${status}${code === undefined ? "" : ` (${code})`}`);
  }
}

/**
 * Sends with the location's token; on a 401 drops that token, refreshes, and retries exactly once.
 * A second 401 throws LocationAuthError (ERR_LOC_AUTH "401 after one retry"): a token Podium just
 * issued being refused means the grant itself is wrong, and more retries would only burn quota.
 * A 401 is safe to resend for any method: Podium refused it before acting on it.
 */
export async function withAuthRetry<R extends { status: number }>(
  auth: Pick<LocationAuth, "getAccessToken" | "invalidate">,
  send: (accessToken: string) => Promise<R>,
  opts: { signal?: AbortSignal | undefined; deadline?: number | undefined; requestId?: string | undefined; locationUid?: string | undefined } = {},
): Promise<R> {
  const first = await auth.getAccessToken(opts);
  const res = await send(first);
  if (res.status !== 401) return res;
  auth.invalidate(first);
  const again = await send(await auth.getAccessToken(opts));
  if (again.status !== 401) return again;
  throw new LocationAuthError(
    { locationUid: opts.locationUid, requestId: opts.requestId, upstreamStatus: 401 },
    "Podium answered 401 again with a freshly refreshed access token; re-authorize the location",
  );
}

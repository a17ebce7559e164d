import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import { type CallSignal, linkCallSignal } from "../util/index.js";
import { UpstreamUnavailableError } from "@podium-router/errors";
import { isRetryableUpstreamError, upstreamErrorFrom } from "./upstream-errors.js";
import type { UpstreamClientOptions } from "./upstream-options.js";

/** One call to Podium. */
export interface UpstreamRequest {
  method: string;
  /** Pathname plus search, e.g. `/v4/locations?limit=100`. */
  path: string;
  /** JSON text; sent with `content-type: application/json`. */
  body?: string | undefined;
  /** The location's access token; goes into `Authorization` only. */
  accessToken: string;
  /** Sent as `X-Request-ID`; also named in every error. */
  requestId: string;
  /** Absolute deadline (epoch ms) for all attempts and backoffs together. */
  deadline?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Attached to errors only. */
  locationUid?: string | undefined;
}

/** Podium's answer (status < 500). */
export interface UpstreamResponse {
  status: number;
  /** The safe subset: content-type, retry-after and x-ratelimit-*, lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** How many times the request was sent (retries included). */
  attempts: number;
}

/** Where and how to send an OAuth token request. */
export interface TokenRequestOptions {
  /** Full URL of the token endpoint, e.g. `https://api.podium.com/oauth/token`. */
  tokenUrl: string;
  requestId?: string | undefined;
  deadline?: number | undefined;
  signal?: AbortSignal | undefined;
  locationUid?: string | undefined;
}

/** The HTTP client for Podium: pooled, version-pinned, retrying only what is safe to retry. */
export interface UpstreamClient {
  /**
   * Sends one call. Returns any status below 500 as is. Throws UpstreamUnavailableError for a
   * connection failure or a 5xx (after the GET/HEAD retries; at once for other methods, which are never
   * replayed), and DeadlineExceededError when the deadline or the caller's signal fires first.
   */
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** POSTs a JSON token request, never retried (a replayed refresh could burn a rotated token). */
  postToken(body: Record<string, string>, opts: TokenRequestOptions): Promise<{ status: number; json: unknown }>;
  /** Closes the client's own pools (not an injected dispatcher). */
  close(): Promise<void>;
}

/** Creates the upstream client; one per process, shared by every location. */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  return new PooledUpstreamClient(options);
}

/** Statuses a GET/HEAD is retried on; other 5xx (501, 505) will not change on a retry. */
const retryableStatuses = new Set([500, 502, 503, 504]);

class PooledUpstreamClient implements UpstreamClient {
  readonly #origin: string;
  /** A path prefix in baseUrl (a gateway mounting Podium under /podium), "" for Podium itself. */
  readonly #prefix: string;
  #closed = false;
  readonly #options: UpstreamClientOptions;
  readonly #random: () => number;
  readonly #pools = new Map<string, Pool>();
  readonly #injected: Dispatcher | undefined;
  readonly #main: Dispatcher;

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#prefix = base.pathname.replace(/\/+$/, "");
    this.#random = options.random ?? Math.random;
    this.#injected = options.dispatcher;
    this.#main = this.#dispatcherFor(this.#origin);
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const { method, requestId } = req;
    const idempotent = method === "GET" || method === "HEAD";
    const maxAttempts = idempotent ? Math.max(1, this.#options.retry.maxAttempts) : 1;
    // Built once per call and reused by every attempt.
    const headers =
      req.body === undefined
        ? ["authorization", `Bearer ${req.accessToken}`, "x-request-id", requestId, "podium-version", this.#options.podiumVersion, "accept", "application/json"]
        : ["authorization", `Bearer ${req.accessToken}`, "x-request-id", requestId, "podium-version", this.#options.podiumVersion, "accept", "application/json", "content-type", "application/json"];
    const linked = linkCallSignal(req.deadline, req.signal, req);
    const signal = linked?.signal;
    try {
      for (let attempt = 1; ; attempt++) {
        let failure: unknown;
        let status = 0;
        try {
          const res = await this.#main.request({ origin: this.#origin, path: this.#prefix === "" ? req.path : this.#prefix + req.path, method: method as Dispatcher.HttpMethod, headers, body: req.body, signal });
          status = res.statusCode;
          if (status < 500) {
            const body = await res.body.text();
            return { status, headers: safeHeaders(res.headers), body, attempts: attempt };
          }
          await res.body.dump();
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          if (!idempotent || !isRetryableUpstreamError(err)) {
            throw upstreamErrorFrom(err, { requestId, locationUid: req.locationUid, note: idempotent ? undefined : `${method} is never replayed` });
          }
          failure = err;
        }
        const canRetry = idempotent && attempt < maxAttempts && (failure !== undefined || retryableStatuses.has(status));
        const delay = canRetry ? this.#backoff(attempt) : 0;
        const pastDeadline = canRetry && req.deadline !== undefined && Date.now() + delay >= req.deadline;
        if (!canRetry || pastDeadline) throw this.#finalError(req, failure, status, attempt, pastDeadline);
        await this.#sleep(delay, linked);
      }
    } finally {
      linked?.dispose();
    }
  }

  async postToken(body: Record<string, string>, opts: TokenRequestOptions): Promise<{ status: number; json: unknown }> {
    const url = new URL(opts.tokenUrl);
    const headers = ["content-type", "application/json", "accept", "application/json"];
    if (opts.requestId !== undefined) headers.push("x-request-id", opts.requestId);
    const linked = linkCallSignal(opts.deadline, opts.signal, opts);
    const signal = linked?.signal;
    try {
      const res = await this.#dispatcherFor(url.origin).request({
        origin: url.origin, path: url.pathname + url.search, method: "POST", headers, body: JSON.stringify(body), signal,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined; // a non-JSON error page; the status says enough
      }
      return { status: res.statusCode, json };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw upstreamErrorFrom(err, { requestId: opts.requestId, locationUid: opts.locationUid, note: "token request, not replayed" });
    } finally {
      linked?.dispose();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  #dispatcherFor(origin: string): Dispatcher {
    if (this.#injected !== undefined) return this.#injected;
    // After close() every call fails on the closed main pool (UND_ERR_CLOSED) instead of opening a new one.
    if (this.#closed) return this.#main;
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      const o = this.#options;
      pool = new Pool(origin, {
        connections: o.connections,
        connectTimeout: o.connectTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        // Podium's keep-alive hint may shorten idle sockets but never stretch them past our setting.
        keepAliveMaxTimeout: o.keepAliveTimeoutMs,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Full jitter (AWS architecture blog): spreads retries of many callers hit by the same outage. */
  #backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.#options.retry;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.#random() * ceiling);
  }

  async #sleep(ms: number, linked: CallSignal | undefined): Promise<void> {
    if (linked === undefined) return sleep(ms);
    try {
      await sleep(ms, undefined, { signal: linked.signal });
    } catch {
      throw linked.signal.reason;
    }
  }

  #finalError(req: UpstreamRequest, failure: unknown, status: number, attempts: number, stoppedByDeadline: boolean): Error {
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    const note =
      req.method !== "GET" && req.method !== "HEAD"
        ? `${req.method} is never replayed`
        : stoppedByDeadline
          ? `retries stopped at the deadline after ${tries}`
          : `after ${tries}`;
    if (failure !== undefined) return upstreamErrorFrom(failure, { requestId: req.requestId, locationUid: req.locationUid, note });
    return new UpstreamUnavailableError(
      { requestId: req.requestId, locationUid: req.locationUid, upstreamStatus: status },
      `Podium answered ${status} (${note})`,
    );
  }
}

/** Copies the headers a caller may see; everything else (cookies, internal ids) stays behind. */
function safeHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in raw) {
    if (name === "content-type" || name === "retry-after" || name.startsWith("x-ratelimit-")) {
      const value = raw[name];
      if (value !== undefined) out[name] = typeof value === "string" ? value : value.join(", ");
    }
  }
  return out;
}

/**
 * How to reach Podium: the `upstream` section of the settings, and the options of `createUpstreamClient`.
 * Each default is named here and documented once, on its field.
 */
import type { Dispatcher } from "undici";

/** Podium's production API origin. */
export const DEFAULT_BASE_URL = "https://api.podium.com";
/** Pinned so a new Podium API version never changes responses under us; the version of the OpenAPI files. */
export const DEFAULT_PODIUM_VERSION = "2021.04.01";
/** 5 s: a TCP+TLS handshake to Podium takes well under a second; longer means the path is broken. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** 15 s: Podium answers in well under a second; a slower answer is better reported than awaited. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
/** 15 s between body chunks, for the same reason. */
export const DEFAULT_BODY_TIMEOUT_MS = 15_000;
/** 64 sockets: 300 calls/min per token needs few; 64 covers many tokens in parallel without exhausting fds. */
export const DEFAULT_CONNECTIONS = 64;
/** 30 s: reuse sockets across bursts, below common load-balancer idle timeouts (60 s). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** 3 attempts for GET/HEAD only: two retries ride out a blip; writes are never retried (not idempotent). */
export const DEFAULT_RETRY_MAX_ATTEMPTS = 3;
/** 100 ms first backoff ceiling, doubled per attempt with full jitter. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 100;
/** 2 s cap per backoff, so a retried GET still answers within a typical caller deadline. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 2_000;
/** 1 MiB: Podium's JSON bodies are far smaller; the limit bounds memory per call. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 1_048_576;

/** Backoff for GET/HEAD retries (`upstream.retry`). */
export interface UpstreamRetryOptions {
  /** Attempts in total, the first included; 1 disables retries. @default 3 */
  maxAttempts: number;
  /** First backoff ceiling in ms; doubles per attempt, full jitter. @default 100 */
  baseDelayMs: number;
  /** Cap of any backoff in ms; must be >= baseDelayMs. @default 2000 */
  maxDelayMs: number;
}

/** How to reach Podium (`upstream`), plus test hooks. */
export interface UpstreamClientOptions {
  /** Podium's origin (no trailing slash; a path prefix is kept); paths are `/v4/...`. Dev mode points it at the bundled sandbox. @default "https://api.podium.com" */
  baseUrl: string;
  /** Sent as `podium-version` on every call, so a new Podium version never changes responses under us. @default "2021.04.01" */
  podiumVersion: string;
  /** @default 5000 */
  connectTimeoutMs: number;
  /** Time to wait for response headers. @default 15000 */
  headersTimeoutMs: number;
  /** Time allowed between body chunks. @default 15000 */
  bodyTimeoutMs: number;
  /** undici pool size per origin. @default 64 */
  connections: number;
  /** Idle keep-alive sockets are closed after this long. @default 30000 */
  keepAliveTimeoutMs: number;
  /** GET/HEAD only. @default { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 } */
  retry: UpstreamRetryOptions;
  /**
   * Podium's OAuth token endpoint; every token request names it (oauth/), the client itself has no default.
   * @default `<baseUrl>/oauth/token` (settings: `token_url: ""`)
   */
  tokenUrl?: string | undefined;
  /** Larger request bodies are refused before sending (by the router's guard). @default 1048576 */
  maxRequestBodyBytes?: number | undefined;
  /**
   * Request bodies that nest objects or arrays deeper than this are refused before they are parsed (by the
   * router's guard, counting without recursion). @default 64
   */
  maxRequestBodyDepth?: number | undefined;
  /**
   * Send everything through this dispatcher (e.g. a MockAgent) instead of the client's own pools.
   * It is the caller's: `close()` leaves it open.
   * @default undefined: one undici Pool per origin
   */
  dispatcher?: Dispatcher | undefined;
  /** Source of jitter, for tests. @default Math.random */
  random?: (() => number) | undefined;
}

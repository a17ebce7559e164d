/**
 * Talking to Podium: the undici client (pinned podium-version, X-Request-ID, GET/HEAD retries), its error
 * table, and Retry-After / X-RateLimit-Reset parsing.
 */

// Internal: used by other folders of the core, not part of the package's API.
export { retryDelayMs } from "./retry-delay.js";
export { createUpstreamClient } from "./upstream-client.js";
export type { UpstreamClient, UpstreamResponse } from "./upstream-client.js";
export { DEFAULT_BASE_URL, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_CONNECTIONS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_REQUEST_BODY_BYTES, DEFAULT_PODIUM_VERSION, DEFAULT_RETRY_BASE_DELAY_MS, DEFAULT_RETRY_MAX_ATTEMPTS, DEFAULT_RETRY_MAX_DELAY_MS } from "./upstream-options.js";
export type { UpstreamClientOptions, UpstreamRetryOptions } from "./upstream-options.js";

/**
 * Talking to Podium: the undici client (pinned podium-version, X-Request-ID, GET/HEAD retries), its error
 * table, and Retry-After / X-RateLimit-Reset parsing.
 */
export { createUpstreamClient } from "./upstream-client.js";
export type { TokenRequestOptions, UpstreamClient, UpstreamClientOptions, UpstreamRequest, UpstreamResponse, UpstreamRetryOptions } from "./upstream-client.js";
export { isRetryableUpstreamError, upstreamErrorFrom, upstreamFailureByCode } from "./upstream-errors.js";
export type { UpstreamErrorContext } from "./upstream-errors.js";

// Internal: used by other folders of the core, not part of the package's API.
export { retryDelayMs } from "./retry-delay.js";

/**
 * State shared by router replicas through Redis: rate budgets (one Lua decision on Redis's clock), the
 * verification and ownership caches and the refresh lock, behind a circuit breaker with a per-method fallback policy.
 */
export { createRedisConnection } from "./redis-connection.js";
export type { RedisConnection } from "./redis-connection.js";
export { createRedisRateBudgets } from "./redis-rate-budgets.js";

// Internal: used by other folders of the core, not part of the package's API.
export type { BudgetBackendOutcome } from "./redis-rate-budgets.js";
export { createRedisRefreshLock, withRedisRefreshLock } from "./redis-refresh-lock.js";
export type { RedisRefreshLock } from "./redis-refresh-lock.js";
export { createRedisVerificationCache, withSharedVerificationCache } from "./redis-verification-cache.js";
export { createRedisOwnershipCache, redisOwnershipKey } from "./redis-ownership-cache.js";
export { createRedisIdentifierLocks, redisIdentifierLockKey } from "./redis-identifier-locks.js";
export { createRedisLocationHealth } from "./redis-location-health.js";
export type { RedisLocationHealthOptions, SharedHealthSnapshot } from "./redis-location-health.js";
export type { RedisOwnershipCacheOptions } from "./redis-ownership-cache.js";
export { DEFAULT_BREAKER_FAILURE_THRESHOLD, DEFAULT_BREAKER_RESET_MS, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, DEFAULT_REDIS_DOWN_READS, DEFAULT_REDIS_DOWN_WRITES, DEFAULT_REDIS_KEY_PREFIX, DEFAULT_REDIS_URL, DEFAULT_REPLICAS, DEFAULT_STATE_BACKEND } from "./state-settings.js";
export type { BreakerSettings, RedisDownSettings, RedisStateSettings, StateBackend, StateSettings } from "./state-settings.js";

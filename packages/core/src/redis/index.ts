/**
 * State shared by router replicas through Redis: rate budgets (one Lua decision on Redis's clock), the
 * verification cache and the refresh lock, behind a circuit breaker with a per-method fallback policy.
 */
export { createCircuitBreaker } from "./circuit-breaker.js";
export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from "./circuit-breaker.js";
export { createRedisConnection, evalScript } from "./redis-connection.js";
export type { RedisConnection, RedisConnectionOptions } from "./redis-connection.js";
export { createRedisRateBudgets, DEFAULT_ACTIVE_WINDOW_MS } from "./redis-rate-budgets.js";
export type { BudgetBackendOutcome, RedisRateBudgetDeps, RedisRateBudgetOptions } from "./redis-rate-budgets.js";
export { createRedisRefreshLock, refreshLockNameFor, withRedisRefreshLock } from "./redis-refresh-lock.js";
export type { RedisRefreshLock, RedisRefreshLockOptions } from "./redis-refresh-lock.js";
export { createRedisVerificationCache, withSharedVerificationCache } from "./redis-verification-cache.js";
export type { SharedVerification, SharedVerificationCache, SharedVerifierOptions } from "./redis-verification-cache.js";
export { DEFAULT_REDIS_URL, DEFAULT_STATE_BACKEND } from "./state-settings.js";
export type { BreakerSettings, RedisDownPolicy, RedisDownSettings, RedisStateSettings, StateBackend, StateSettings } from "./state-settings.js";

// Internal: used by other folders of the core, not part of the package's API.
export { DEFAULT_BREAKER_FAILURE_THRESHOLD, DEFAULT_BREAKER_RESET_MS, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, DEFAULT_REDIS_DOWN_READS, DEFAULT_REDIS_DOWN_WRITES, DEFAULT_REDIS_KEY_PREFIX, DEFAULT_REPLICAS } from "./state-settings.js";

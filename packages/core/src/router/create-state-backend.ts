import type { CredentialStore } from "../credentials/index.js";
import { createLocationVerifier, type LocationVerifier } from "../verification/index.js";
import type { CoreLogger } from "../util/index.js";
import { createRateBudgets, type RateBudgets } from "../budgets/index.js";
import { createLocalIdentifierLocks, createMemoryOwnershipCache, type IdentifierLocks, type OwnershipCache } from "../isolation/index.js";
import { createRedisConnection, createRedisIdentifierLocks, createRedisLocationHealth, createRedisOwnershipCache, createRedisRateBudgets, createRedisRefreshLock, createRedisVerificationCache, type RedisConnection, type RedisRefreshLock, type StateBackend, withRedisRefreshLock, withSharedVerificationCache } from "../redis/index.js";
import type { SharedLocationHealth } from "./location-health.js";
import type { RouterObserver } from "./router-observer.js";
import type { Settings } from "../settings/index.js";

/** What the state backend needs besides settings. */
export interface StateBackendDeps {
  /** Counts which budget decided each call (`budgetBackend`). @default none */
  observer?: RouterObserver | undefined;
  /** Told when Redis becomes unreachable and when it answers again. @default none */
  logger?: CoreLogger | undefined;
}

/** The state one router process keeps, in memory or shared with the other replicas through Redis. */
export interface StateBackendHandle {
  readonly backend: StateBackend;
  /** Rate budgets: in memory, or shared in Redis with the `state.redis_down` fallback. */
  readonly budgets: RateBudgets;
  /** The verifier: in-process, plus (redis) the shared verification cache. */
  readonly verifier: LocationVerifier;
  /** Which locations own each resource the router resolved: in process (memory), or shared by the replicas (redis). */
  readonly ownershipCache: OwnershipCache;
  /** Contact-identifier locks for upserting writes: this process's (memory), or also a lease in Redis (redis). */
  readonly identifierLocks: IdentifierLocks;
  /** What replicas saw of each location, for GetLocationStatus (redis only; memory: this process's view alone). */
  readonly sharedHealth: SharedLocationHealth | undefined;
  /** The refresh lock in Redis (redis only). */
  readonly refreshLock: RedisRefreshLock | undefined;
  /** The Redis connection (redis only), for status and tests. */
  readonly connection: RedisConnection | undefined;
  /** The store with its refresh lock taken in Redis (redis); the store itself (memory). */
  wrapStore<S extends CredentialStore>(store: S): S;
  /** Closes the budgets, the ownership cache and the Redis connection. */
  close(): Promise<void>;
}

/**
 * Builds the state backend named by `settings.state.backend`: `memory` for one router process, `redis`
 * for several replicas that must share each location's budget, its verification, its refresh lock and the owners
 * of the resources it touches.
 * Nothing is awaited: the Redis client connects in the background, and calls made before it is ready
 * wait at most `state.redis.connect_timeout_ms`.
 */
export function createStateBackend(settings: Settings, deps: StateBackendDeps = {}): StateBackendHandle {
  const ttlMs = settings.verification.ttlSeconds * 1000;
  const local = createLocationVerifier({ ttlMs });
  const ownershipTtlMs = settings.isolation.ownershipTtlSeconds * 1000;
  if (settings.state.backend === "memory") {
    const budgets = createRateBudgets(settings.budgets);
    const ownershipCache = createMemoryOwnershipCache({ ttlMs: ownershipTtlMs, maxEntries: settings.isolation.ownershipCacheMaxEntries });
    return {
      backend: "memory",
      budgets,
      verifier: local,
      ownershipCache,
      identifierLocks: createLocalIdentifierLocks(),
      sharedHealth: undefined,
      refreshLock: undefined,
      connection: undefined,
      wrapStore: (store) => store,
      async close() {
        budgets.close();
        await ownershipCache.close?.();
      },
    };
  }
  const { state } = settings;
  const connection = createRedisConnection({ redis: state.redis, breaker: state.breaker, logger: deps.logger });
  const observer = deps.observer;
  const budgets = createRedisRateBudgets(
    { ...settings.budgets, redisDown: state.redisDown, replicas: state.redis.replicas },
    { connection, onOutcome: observer?.budgetBackend ? (o) => observer.budgetBackend?.(o) : undefined },
  );
  const refreshLock = createRedisRefreshLock(connection);
  const ownershipCache = createRedisOwnershipCache(connection, { ttlMs: ownershipTtlMs });
  return {
    backend: "redis",
    budgets,
    verifier: withSharedVerificationCache(local, createRedisVerificationCache(connection), { ttlMs }),
    ownershipCache,
    identifierLocks: createRedisIdentifierLocks(connection, createLocalIdentifierLocks()),
    sharedHealth: createRedisLocationHealth(connection),
    refreshLock,
    connection,
    wrapStore: (store) => withRedisRefreshLock(store, refreshLock),
    async close() {
      budgets.close();
      await ownershipCache.close?.();
      await connection.close();
    },
  };
}

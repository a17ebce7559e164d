/**
 * The `state` section of the settings: where the state shared by router replicas lives (rate budgets,
 * the verification cache, the refresh lock), and what to do when that store (Redis) is unreachable.
 * Read and checked by settings/state-section.ts.
 */

/** One process keeps its state in memory; several replicas share it through Redis. */
export type StateBackend = "memory" | "redis";
/** With Redis unreachable: go on with a local per-replica budget, or refuse the call. */
export type RedisDownPolicy = "local" | "refuse";

/** The memory backend needs no other service, as a single router process needs nothing shared. */
export const DEFAULT_STATE_BACKEND: StateBackend = "memory";
/** The Redis on the same machine, as `.ci/run` and the dev setup start it. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Namespaces every key, so one Redis can serve several deployments (and tests) side by side. */
export const DEFAULT_REDIS_KEY_PREFIX = "podium-router:";
/**
 * 50 ms: a budget decision is one Lua script of a few microseconds on a nearby Redis; an answer this late
 * means Redis or the path to it is in trouble, and the call should not wait on it.
 */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 50;
/** 200 ms: a TCP connect within a data centre takes about a millisecond; a refused or black-holed one fails here. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 200;
/** 1 replica: the local fallback budget is the whole limit until the operator says how many share it. */
export const DEFAULT_REPLICAS = 1;
/** Reads go on with a local budget: a GET sent too often costs quota, never data. */
export const DEFAULT_REDIS_DOWN_READS: RedisDownPolicy = "local";
/** Writes are refused: without the shared budget a write could exceed the limit Podium enforces on side effects. */
export const DEFAULT_REDIS_DOWN_WRITES: RedisDownPolicy = "refuse";
/** 3 failures in a row open the breaker: one timeout is a blip, three at 50 ms each cost at most 150 ms. */
export const DEFAULT_BREAKER_FAILURE_THRESHOLD = 3;
/** 1 s open before one probe call: Redis comes back within seconds after a restart, and a probe a second is cheap. */
export const DEFAULT_BREAKER_RESET_MS = 1_000;

/** How to reach Redis (`state.redis`). */
export interface RedisStateSettings {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). Never logged. @default "redis://127.0.0.1:6379" */
  url: string;
  /** Prefix of every key. @default "podium-router:" */
  keyPrefix: string;
  /** A command without an answer this long fails (and counts toward the breaker). @default 50 */
  commandTimeoutMs: number;
  /** A connection attempt without an answer this long fails. @default 200 */
  connectTimeoutMs: number;
  /** How many router replicas share the limits: the local fallback budget is the limit divided by this. @default 1 */
  replicas: number;
}

/** What each kind of call does while Redis is unreachable (`state.redis_down`). */
export interface RedisDownSettings {
  /** GET and HEAD. @default "local" */
  reads: RedisDownPolicy;
  /** Every other method, and calls whose method is unknown. @default "refuse" */
  writes: RedisDownPolicy;
}

/** The circuit breaker in front of Redis (`state.breaker`). */
export interface BreakerSettings {
  /** Consecutive failures that open it; while open no command is sent. @default 3 */
  failureThreshold: number;
  /** How long it stays open before one probe command may try again. @default 1000 */
  resetMs: number;
}

/** `state`, camelCase, fully populated. */
export interface StateSettings {
  /** @default "memory" */
  backend: StateBackend;
  redis: RedisStateSettings;
  redisDown: RedisDownSettings;
  breaker: BreakerSettings;
}

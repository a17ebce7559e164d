import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Redis } from "ioredis";

// Loaded on first use: a router on the memory backend never pays ioredis' ~200 ms import.
const requireLazy = createRequire(import.meta.url);
import { createCircuitBreaker, type BreakerState, type CircuitBreaker } from "./circuit-breaker.js";
import { BudgetUnavailableError } from "@podium-router/errors";
import { noopLogger, type CoreLogger } from "../util/index.js";
import type { BreakerSettings, RedisStateSettings } from "./state-settings.js";

/** Options of `createRedisConnection()`: settings `state.redis` and `state.breaker`. */
export interface RedisConnectionOptions {
  redis: RedisStateSettings;
  breaker: BreakerSettings;
  /** Told when the breaker opens or closes; never given the URL. @default noopLogger */
  logger?: CoreLogger | undefined;
  /** Clock for the breaker, for tests. @default Date.now */
  now?: (() => number) | undefined;
}

/**
 * One Redis client shared by the budgets, the verification cache and the refresh lock, behind one
 * circuit breaker. Every command goes through `run`, which fails fast (BudgetUnavailableError) while
 * Redis is known to be down, so no caller waits a connect timeout once the breaker is open.
 */
export interface RedisConnection {
  /** The key prefix from settings (`state.redis.key_prefix`). */
  readonly keyPrefix: string;
  /**
   * Runs `command` if the breaker allows it, waiting at most the connect timeout for a connection that
   * is being (re)established. Rejects with BudgetUnavailableError (cause: the Redis error) when the
   * breaker is open or the command fails or times out.
   */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  /** The breaker's state, for status output and tests. */
  breakerState(): BreakerState;
  /** Milliseconds until an open breaker lets a probe through (a retry hint for refusals). */
  retryInMs(): number;
  /** Closes the client; later `run`s reject. */
  close(): Promise<void>;
}

/**
 * Reconnection back-off: 50 ms, 100 ms, … capped at 1 s. Reconnecting goes on in the background for as
 * long as the router runs, so Redis coming back is noticed within a second without any call waiting on it.
 */
const reconnectDelayMs = (attempt: number): number => Math.min(attempt * 50, 1_000);

/**
 * Creates the connection. The client connects at once in the background; commands are never queued
 * while it is offline (`enableOfflineQueue: false`) and never retried (`maxRetriesPerRequest: 0`): a
 * budget decision that cannot be made now is better refused or made locally than made late.
 */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const logger = options.logger ?? noopLogger;
  const { redis: r } = options;
  let closed = false;
  const breaker: CircuitBreaker = createCircuitBreaker({
    failureThreshold: options.breaker.failureThreshold,
    resetMs: options.breaker.resetMs,
    now: options.now,
    onStateChange: (state) => {
      if (state === "open") logger.warn({ breaker: state }, "Redis is unreachable: shared budgets fall back to the state.redis_down policy until it answers again");
      if (state === "closed") logger.info({ breaker: state }, "Redis answers again: shared budgets are back in use");
    },
  });
  const { Redis: RedisClient } = requireLazy("ioredis") as typeof import("ioredis");
  const client = new RedisClient(r.url, {
    connectTimeout: r.connectTimeoutMs,
    commandTimeout: r.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelayMs,
    // Identifies the replica's connections in CLIENT LIST; no secret in it.
    connectionName: `podium-router:${process.pid}`,
    lazyConnect: false,
  });
  // Without a listener an 'error' event would crash the process; the breaker reports the outage instead.
  client.on("error", () => undefined);
  client.on("ready", () => {
    // Reconnected: trust it again at once rather than after the next probe.
    if (breaker.state() !== "closed") breaker.success();
  });

  /** Resolves when the client is ready, rejects after the connect timeout. */
  let readyWait: Promise<void> | undefined;
  const whenReady = (): Promise<void> => {
    readyWait ??= new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("end", onEnd);
        readyWait = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new Error("the Redis connection was closed"));
      const timer = setTimeout(() => done(new Error(`no Redis connection within ${r.connectTimeoutMs} ms`)), r.connectTimeoutMs);
      timer.unref?.();
      client.once("ready", onReady);
      client.once("end", onEnd);
    });
    return readyWait;
  };

  const unavailable = (cause: unknown): BudgetUnavailableError =>
    new BudgetUnavailableError(
      { cause, retryAfterMs: Math.max(1, breaker.retryInMs()) },
      "the shared state store (Redis) is unreachable; check state.redis and the Redis server",
    );

  return {
    keyPrefix: r.keyPrefix,
    async run(command) {
      if (closed) throw unavailable(new Error("the Redis connection is closed"));
      if (!breaker.allow()) throw unavailable(new Error("circuit breaker open"));
      try {
        if (client.status !== "ready") await whenReady();
        const out = await command(client);
        breaker.success();
        return out;
      } catch (err) {
        // A script error is Redis answering: a bug to surface, not an outage to fall back from.
        if (isReplyError(err)) {
          breaker.success();
          throw err;
        }
        breaker.failure();
        throw unavailable(err);
      }
    },
    breakerState: () => breaker.state(),
    retryInMs: () => breaker.retryInMs(),
    async close() {
      if (closed) return;
      closed = true;
      client.disconnect(false);
    },
  };
}

/** True for an error Redis itself answered with (ERR, NOSCRIPT, WRONGTYPE…), as opposed to no answer. */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

const shaOf = new Map<string, string>();

/**
 * Runs a Lua script by its SHA1 (EVALSHA: the script text crosses the network once per Redis start),
 * sending the text (EVAL) when Redis answers NOSCRIPT, e.g. after a restart or SCRIPT FLUSH. EVAL caches
 * it again, so the next call is an EVALSHA hit.
 */
export async function evalScript(client: Redis, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  let sha = shaOf.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script).digest("hex");
    shaOf.set(script, sha);
  }
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(isReplyError(err) && (err as Error).message.startsWith("NOSCRIPT"))) throw err;
    return client.eval(script, keys.length, ...keys, ...args);
  }
}

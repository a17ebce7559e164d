/** The `state` section of the settings (see state-settings.ts for what each key means). */
import type { SectionReader } from "./settings-reader.js";
import { MAX_TIMER_MS } from "./settings-reader.js";
import {
  DEFAULT_BREAKER_FAILURE_THRESHOLD,
  DEFAULT_BREAKER_RESET_MS,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  DEFAULT_REDIS_DOWN_READS,
  DEFAULT_REDIS_DOWN_WRITES,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_URL,
  DEFAULT_REPLICAS,
  DEFAULT_STATE_BACKEND,
  type BreakerSettings,
  type RedisDownSettings,
  type RedisStateSettings,
  type StateSettings,
} from "../redis/index.js";

const REDIS_URL_RULE = "must be a redis:// or rediss:// URL";

/**
 * Reads the `state` section (see StateSettings). Throws InvalidConfigError naming the dotted key and
 * the rule; the Redis URL is never echoed, since it may carry a password.
 * @internal called by validateSettings
 */
export function readStateSettings(st: SectionReader): StateSettings {
  const backend = st.oneOf("backend", DEFAULT_STATE_BACKEND, ["memory", "redis"]);
  const rd = st.section("redis");
  const url = readRedisUrl(rd);
  const redis: RedisStateSettings = {
    url,
    keyPrefix: rd.string("key_prefix", DEFAULT_REDIS_KEY_PREFIX, { pattern: /^[^\s{}]{1,64}$/, rule: "must be 1-64 characters without spaces or braces" }),
    commandTimeoutMs: rd.int("command_timeout_ms", DEFAULT_REDIS_COMMAND_TIMEOUT_MS, 1, 60_000),
    connectTimeoutMs: rd.int("connect_timeout_ms", DEFAULT_REDIS_CONNECT_TIMEOUT_MS, 1, 60_000),
    replicas: rd.int("replicas", DEFAULT_REPLICAS, 1, 1000),
  };
  rd.done();
  const dn = st.section("redis_down");
  const redisDown: RedisDownSettings = {
    reads: dn.oneOf("reads", DEFAULT_REDIS_DOWN_READS, ["local", "refuse"]),
    writes: dn.oneOf("writes", DEFAULT_REDIS_DOWN_WRITES, ["local", "refuse"]),
  };
  dn.done();
  const br = st.section("breaker");
  const breaker: BreakerSettings = {
    failureThreshold: br.int("failure_threshold", DEFAULT_BREAKER_FAILURE_THRESHOLD, 1, 1000),
    resetMs: br.int("reset_ms", DEFAULT_BREAKER_RESET_MS, 1, MAX_TIMER_MS),
  };
  br.done();
  st.done();
  return { backend, redis, redisDown, breaker };
}

function readRedisUrl(rd: SectionReader): string {
  const v = rd.raw("url");
  if (v === undefined || v === null) return DEFAULT_REDIS_URL;
  let ok = false;
  if (typeof v === "string") {
    try {
      const u = new URL(v);
      ok = (u.protocol === "redis:" || u.protocol === "rediss:") && u.hostname !== "";
    } catch {
      ok = false;
    }
  }
  if (!ok) rd.fail("url", REDIS_URL_RULE);
  return v as string;
}

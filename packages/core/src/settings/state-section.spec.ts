import { describe, expect, it } from "vitest";
import { configErrorOf } from "../testing/config-error.js";
import { loadSettings } from "./load-settings.js";
import { validateSettings } from "./settings.js";

const configError = (raw: unknown): Promise<string> => configErrorOf(() => validateSettings(raw));

describe("readStateSettings()", () => {
  it("defaults to the memory backend, with the documented Redis settings and policies", () => {
    expect(validateSettings({}).state).toEqual({
      backend: "memory",
      redis: { url: "redis://127.0.0.1:6379", keyPrefix: "podium-router:", commandTimeoutMs: 50, connectTimeoutMs: 200, replicas: 1 },
      redisDown: { reads: "local", writes: "refuse" },
      breaker: { failureThreshold: 3, resetMs: 1000 },
    });
  });

  it("maps every snake_case key to its camelCase field", () => {
    const s = validateSettings({
      state: {
        backend: "redis",
        redis: { url: "rediss://user:pw@redis.internal:6380/2", key_prefix: "prod:", command_timeout_ms: 80, connect_timeout_ms: 500, replicas: 3 },
        redis_down: { reads: "refuse", writes: "local" },
        breaker: { failure_threshold: 5, reset_ms: 2000 },
      },
    }).state;
    expect(s).toEqual({
      backend: "redis",
      redis: { url: "rediss://user:pw@redis.internal:6380/2", keyPrefix: "prod:", commandTimeoutMs: 80, connectTimeoutMs: 500, replicas: 3 },
      redisDown: { reads: "refuse", writes: "local" },
      breaker: { failureThreshold: 5, resetMs: 2000 },
    });
  });

  it.each([
    [{ backend: "etcd" }, "state.backend must be one of memory | redis"],
    [{ redis: { replicas: 0 } }, "state.redis.replicas must be an integer between 1 and 1000 (got 0)"],
    [{ redis: { command_timeout_ms: 0 } }, "state.redis.command_timeout_ms must be an integer between 1 and 60000"],
    [{ redis: { key_prefix: "a {b}" } }, "state.redis.key_prefix must be 1-64 characters without spaces or braces"],
    [{ redis_down: { writes: "queue" } }, "state.redis_down.writes must be one of local | refuse"],
    [{ breaker: { failure_threshold: 0 } }, "state.breaker.failure_threshold must be an integer between 1 and 1000"],
    [{ redis: { urls: "redis://h" } }, "unknown key state.redis.urls; use state.redis.url"],
    [{ redis_url: "redis://h" }, "unknown key state.redis_url"],
  ])("refuses %j: %s", async (state, message) => {
    expect(await configError({ state })).toContain(message);
  });

  it("refuses a URL that is not redis:// or rediss:// without echoing it, as it may carry a password", async () => {
    for (const url of ["http://user:s3cret@h:6379", "s3cret", 6379, "redis://"]) {
      const message = await configError({ state: { redis: { url } } });
      expect(message).toContain("state.redis.url must be a redis:// or rediss:// URL");
      expect(message).not.toContain("s3cret");
    }
  });

  it("takes environment overrides, e.g. the URL from PODIUM_ROUTER_STATE__REDIS__URL", async () => {
    const { settings } = await loadSettings({
      path: undefined,
      cwd: "/nonexistent-dir-for-test",
      env: { PODIUM_ROUTER_STATE__BACKEND: "redis", PODIUM_ROUTER_STATE__REDIS__URL: "redis://cache:6379", PODIUM_ROUTER_STATE__REDIS__REPLICAS: "3" },
    });
    expect(settings.state).toMatchObject({ backend: "redis", redis: { url: "redis://cache:6379", replicas: 3 } });
  });
});

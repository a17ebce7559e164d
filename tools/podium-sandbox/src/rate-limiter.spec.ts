import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limiter.js";

const config = { perMinute: 60, key: "token" as const, headers: true };

describe("createRateLimiter()", () => {
  it("allows a burst of perMinute, then refuses until a token refills", () => {
    const limiter = createRateLimiter();
    for (let i = 0; i < 60; i++) expect(limiter.take(["t"], config, 0).allowed).toBe(true);
    const refused = limiter.take(["t"], config, 0);
    expect(refused).toEqual({ allowed: false, limit: 60, remaining: 0, resetSeconds: 1 });
    expect(limiter.take(["t"], config, 999).allowed).toBe(false);
    expect(limiter.take(["t"], config, 1000).allowed).toBe(true);
  });

  it("keeps one bucket per key", () => {
    const limiter = createRateLimiter();
    const one = { ...config, perMinute: 1 };
    expect(limiter.take(["a"], one, 0).allowed).toBe(true);
    expect(limiter.take(["a"], one, 0).allowed).toBe(false);
    expect(limiter.take(["b"], one, 0).allowed).toBe(true);
  });

  it("takes from every key or from none", () => {
    const limiter = createRateLimiter();
    const one = { ...config, perMinute: 1 };
    limiter.take(["a"], one, 0);
    expect(limiter.take(["a", "b"], one, 0).allowed).toBe(false);
    expect(limiter.take(["b"], one, 0).allowed).toBe(true);
  });

  it("reports remaining requests and seconds until full", () => {
    const limiter = createRateLimiter();
    limiter.take(["t"], config, 0);
    expect(limiter.take(["t"], config, 0)).toEqual({ allowed: true, limit: 60, remaining: 58, resetSeconds: 2 });
  });

  it("starts fresh after reset()", () => {
    const limiter = createRateLimiter();
    const one = { ...config, perMinute: 1 };
    limiter.take(["a"], one, 0);
    limiter.reset();
    expect(limiter.take(["a"], one, 0).allowed).toBe(true);
  });
});

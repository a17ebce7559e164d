import { describe, expect, it } from "vitest";
import { createCircuitBreaker, type BreakerState } from "./circuit-breaker.js";

function breaker(failureThreshold = 3, resetMs = 1_000) {
  let t = 0;
  const changes: BreakerState[] = [];
  const b = createCircuitBreaker({ failureThreshold, resetMs, now: () => t, onStateChange: (s) => changes.push(s) });
  return { b, changes, advance: (ms: number) => (t += ms) };
}

describe("createCircuitBreaker()", () => {
  it("stays closed through failures below the threshold, a success resetting the count", () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state()).toBe("closed");
    expect(b.allow()).toBe(true);
  });

  it("opens after the threshold of failures in a row and refuses until the reset time", () => {
    const { b, changes, advance } = breaker(3, 1_000);
    for (let i = 0; i < 3; i++) b.failure();
    expect(b.state()).toBe("open");
    expect(b.allow()).toBe(false);
    expect(b.retryInMs()).toBe(1_000);
    advance(999);
    expect(b.allow()).toBe(false);
    expect(b.retryInMs()).toBe(1);
    expect(changes).toEqual(["open"]);
  });

  it("lets exactly one probe through after the reset time; its success closes the breaker", () => {
    const { b, changes, advance } = breaker(1, 1_000);
    b.failure();
    advance(1_000);
    expect(b.state()).toBe("half_open");
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.success();
    expect(b.allow()).toBe(true);
    expect(changes).toEqual(["open", "half_open", "closed"]);
  });

  it("opens again for another reset time when the probe fails", () => {
    const { b, advance } = breaker(3, 1_000);
    for (let i = 0; i < 3; i++) b.failure();
    advance(1_000);
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state()).toBe("open");
    advance(500);
    expect(b.allow()).toBe(false);
    advance(500);
    expect(b.allow()).toBe(true);
  });

  it("lets another probe through when the first never reports back", () => {
    const { b, advance } = breaker(1, 1_000);
    b.failure();
    advance(1_000);
    expect(b.allow()).toBe(true);
    advance(999);
    expect(b.allow()).toBe(false);
    advance(1);
    expect(b.allow()).toBe(true);
  });
});

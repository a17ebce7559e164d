/** closed: commands flow; open: none is sent; half_open: one probe is out, the rest wait for its verdict. */
export type BreakerState = "closed" | "open" | "half_open";

/** Options of `createCircuitBreaker()`. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 3 (settings `state.breaker.failure_threshold`) */
  failureThreshold: number;
  /** How long it stays open before one probe may go. @default 1000 (settings `state.breaker.reset_ms`) */
  resetMs: number;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: (() => number) | undefined;
  /** Told of every change of state (for logs and metrics). @default none */
  onStateChange?: ((state: BreakerState) => void) | undefined;
}

/**
 * A circuit breaker in front of a remote store: after `failureThreshold` failures in a row it opens, and
 * callers are told "no" at once instead of each waiting for a timeout. After `resetMs` one probe is let
 * through; its success closes the breaker, its failure opens it for another `resetMs`.
 */
export interface CircuitBreaker {
  /** May a command be sent now? In half_open, true for exactly one caller (the probe) until it reports. */
  allow(): boolean;
  /** The command sent after `allow()` succeeded. */
  success(): void;
  /** The command sent after `allow()` failed (error or timeout). */
  failure(): void;
  state(): BreakerState;
  /** Milliseconds until an open breaker lets a probe through; 0 unless open. */
  retryInMs(): number;
}

/** Creates a closed breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let state: BreakerState = "closed";
  let failures = 0;
  let openedAt = 0;
  let probeOut = false;

  const set = (next: BreakerState): void => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(next);
  };
  const open = (): void => {
    openedAt = now();
    probeOut = false;
    set("open");
  };

  return {
    allow() {
      if (state === "closed") return true;
      if (state === "open") {
        if (now() - openedAt < options.resetMs) return false;
        set("half_open");
      }
      // A probe that never reports (its caller vanished) must not keep the breaker shut forever.
      if (probeOut && now() - openedAt < 2 * options.resetMs) return false;
      probeOut = true;
      return true;
    },
    success() {
      failures = 0;
      probeOut = false;
      set("closed");
    },
    failure() {
      failures++;
      if (state === "half_open" || failures >= options.failureThreshold) open();
    },
    state() {
      if (state === "open" && now() - openedAt >= options.resetMs) return "half_open";
      return state;
    },
    retryInMs() {
      return state === "open" ? Math.max(0, options.resetMs - (now() - openedAt)) : 0;
    },
  };
}

import type { BudgetBackendOutcome } from "../redis/index.js";

/**
 * Hooks the core calls so the server can count what happens without the core knowing about
 * Prometheus. Every hook is optional and must be cheap: they run on the routed-call path.
 * None of them receives a location uid, which keeps metric label cardinality bounded by construction.
 */
export interface RouterObserver {
  /** One routed call finished: "OK" or its ERR_LOC_* code. */
  callOutcome?(outcome: string): void;
  /** Time spent upstream for one call (ms) and the status Podium answered. */
  upstreamLatency?(ms: number, status: number): void;
  /** Time a call waited for its rate budget (ms); 0 when a token was free. */
  budgetWait?(ms: number): void;
  /** A call was refused because its budget wait would exceed the bound. */
  budgetRefused?(): void;
  /** A verification was answered from the cache (true) or by asking Podium (false). */
  verification?(cacheHit: boolean): void;
  /** An OAuth refresh finished. */
  refresh?(outcome: "ok" | "failed"): void;
  /**
   * Which budget decided a call: the shared one in Redis, a local per-replica one while Redis is
   * unreachable (state.redis_down: local), or none because the policy refused the call.
   */
  budgetBackend?(outcome: BudgetBackendOutcome): void;
  /** A write, sync or open of the audit log failed (the line is kept and retried; the router fails closed). */
  auditWriteFailure?(): void;
}

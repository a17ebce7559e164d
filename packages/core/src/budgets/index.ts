/**
 * Per-location rate budgets in memory: a token bucket per location under a fair shared bucket per quota group.
 */
export { createRateBudgets, DEFAULT_BUDGET_IDLE_MS } from "./rate-budget.js";
export type { AcquireOptions, BucketOptions, BudgetSnapshot, RateBudgetDeps, RateBudgetOptions, RateBudgets } from "./rate-budget.js";

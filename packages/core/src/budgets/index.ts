/**
 * Per-location rate budgets in memory: a token bucket per location under a fair shared bucket per quota group.
 */
export { createRateBudgets } from "./rate-budget.js";
export type { RateBudgets } from "./rate-budget.js";

// Internal: used by other folders of the core, not part of the package's API.
export { DEFAULT_GROUP_BY, DEFAULT_LOCATION_BUDGET, DEFAULT_MAX_WAIT_MS, DEFAULT_UPSTREAM_BUDGET } from "./budget-options.js";
export type { BucketOptions, RateBudgetOptions } from "./budget-options.js";
export type { AcquireOptions, BudgetSnapshot } from "./rate-budget.js";

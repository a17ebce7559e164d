/**
 * Keeping one location's call away from every other location: Podium's route table (which path, query and
 * body fields name a location or organization) and the guard that refuses or fills them.
 */

export { CALL_METHOD_RULE, CALL_METHODS, isCallMethod } from "./call-methods.js";
export { MAX_PATH_LENGTH } from "./location-guard.js";

// Internal: used by other folders of the core, not part of the package's API.
export { DEFAULT_MAX_BODY_DEPTH } from "./json-depth.js";
export { guardRequest } from "./location-guard.js";
export type { GuardedRequest } from "./location-guard.js";
export { matchRoute } from "./podium-routes.js";
export { createMemoryOwnershipCache, ownershipKeyString } from "./ownership-cache.js";
export type { MemoryOwnershipCacheOptions, OwnershipCache, OwnershipKey, Owners } from "./ownership-cache.js";
export { checkAnswer } from "./answer-check.js";
export { createCursorBinder, MAX_CURSOR_LENGTH } from "./cursor-binding.js";
export type { CursorBinder } from "./cursor-binding.js";
export { planIsolation } from "./isolation-plan.js";
export type { IsolationPlan, IsolationTarget } from "./isolation-plan.js";
export { policyOf, policyRows } from "./operation-policy.js";
export type { IsolationClass, OperationPolicy, OwnerLookup } from "./operation-policy.js";
export { ownersOf } from "./owners-of.js";
export { ownerEntriesOfEvent } from "./owners-of-event.js";
export type { OwnerEntry } from "./owners-of-event.js";
export type { OwnerView } from "./owners-of.js";
export { createLocalIdentifierLocks } from "./identifier-locks.js";
export type { IdentifierLocks, IdentifierLockWait } from "./identifier-locks.js";

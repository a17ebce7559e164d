/**
 * The composition root and the call pipeline: createLocationRouter wires the parts from settings; one call
 * runs unknown? → deleted? → guard → budget → verify → token → send → audit.
 */
export type { AuditStatus, CallContext, CallRefusal, LocationRouter, LocationStatus, LocationSummary, Refusal, RoutedCall, RoutedResponse, RpcRefusal, VerifyResult } from "./location-router-api.js";
export { createLocationRouter } from "./location-router.js";
export { createAuditCheckpoints } from "./router-audit.js";
export type { AuditCheckpointSetup } from "./router-audit.js";
export { MIN_CURSOR_KEY_BYTES, resolveCursorKey } from "./cursor-key.js";
export { ALL_ORGANIZATIONS, mayActForOrganization } from "./organization-grant.js";
export type { LocationRouterDeps, LocationRouterHandle } from "./location-router.js";
export type { RouterObserver } from "./router-observer.js";

/**
 * @podium-router/core: the routing core, transport-free. Names are listed by audience: first what an
 * application embedding the router uses, then what the server and the CLI map to and from the wire, then
 * the parts a benchmark or an operator tool assembles by hand. Errors are the package `@podium-router/errors`,
 * which carries no dependency.
 */

// Build the router, route calls through it.
export { ALL_ORGANIZATIONS, createLocationRouter, mayActForOrganization } from "./router/index.js";
export type { CallContext, LocationRouter, LocationRouterDeps, LocationRouterHandle, RoutedCall, RoutedResponse, RouterObserver } from "./router/index.js";
export { defaultSettings, loadSettings, validateSettings } from "./settings/index.js";
export type { LoadedSettings, LoadSettingsOptions, Settings } from "./settings/index.js";

// Inbound Podium events on a running router: the receiver, WatchEvents, webhooks sync, forwarders.
export { createEventHub, isPodiumEventType, signWebhook, WEBHOOK_PATH_PREFIX } from "./events/index.js";
export type { EventHub, EventHubDeps, EventsObserver, ForwarderStatus, LocationEventsStatus, WatchedEvent, WatchRequest, WebhookAnswer, WebhookRequest, WebhookSyncRequest, WebhookSyncResult } from "./events/index.js";

// What the router answers and records, as the server maps it to protobuf.
export type { AuditStatus, CallRefusal, LocationStatus, LocationSummary, Refusal, RpcRefusal, VerifyResult } from "./router/index.js";
export type { LocationState } from "./credentials/index.js";
export type { VerificationState } from "./verification/index.js";
export type { AppSource, AuthState, AuthorizationCallback, AuthorizationRequest, OAuthApp, OAuthApps, PendingAuthorization } from "./oauth/index.js";
export type { OnboardingInput, OnboardingOptions, OnboardingOutcome, OnboardingResult, RefreshTokenSource } from "./onboarding/index.js";
export type { AuditPhase, AuditQuery, AuditRecord } from "./audit/index.js";

// Shared with the server and the CLI: one rule for ids and for each field a caller sends, one settings toolkit.
export {
  AUTHORIZATION_STATE_RULE,
  isAuthorizationState,
  isLocationUid,
  isOAuthAppName,
  isOrgSlug,
  isRequestId,
  LOCATION_UID_RULE,
  newRequestId,
  OAUTH_APP_NAME_RULE,
  ORG_SLUG_RULE,
  REQUEST_ID_RULE,
} from "./ids.js";
export { isOAuthScope, OAUTH_SCOPE_RULE } from "./oauth/index.js";
export { isRefreshTokenValue, REFRESH_TOKEN_RULE } from "./onboarding/index.js";
export { CALL_METHOD_RULE, CALL_METHODS, isCallMethod, MAX_PATH_LENGTH, createMemoryOwnershipCache, ownersOf } from "./isolation/index.js";
export type { OwnershipCache, OwnershipKey, Owners, OwnerView } from "./isolation/index.js";
export { AUDIT_ANY_LOCATION, AUDIT_INVALID_VALUE, AUDIT_RPC_METHOD, MAX_AUDIT_LINE_BYTES } from "./audit/index.js";
export { createSectionReader } from "./settings/index.js";
export type { OriginOf, SectionReader } from "./settings/index.js";

// Operator tools.
export { runAuditVerify, verifyAuditChain } from "./audit/index.js";
export type { AuditVerifyOptions, AuditVerifyResult } from "./audit/index.js";
export { createAuditCheckpoints } from "./router/index.js";
export { storageLocations } from "./settings/index.js";
export { reencryptCredentials } from "./credentials/index.js";
export { reencryptWebhookSecrets } from "./events/index.js";

// Parts, for benchmarks and hand-assembled routers.
export { AUDIT_GENESIS_HASH, createAuditLog } from "./audit/index.js";
export type { AuditLog } from "./audit/index.js";
export { createFileCredentialStore } from "./credentials/index.js";
export type { CredentialStore, LocationRecord } from "./credentials/index.js";
export { createRateBudgets } from "./budgets/index.js";
export type { RateBudgets } from "./budgets/index.js";
export { createRedisConnection, createRedisRateBudgets } from "./redis/index.js";
export type { RedisConnection } from "./redis/index.js";

// The typed client SDK of podium-router.
export { createRouterClient } from "./router-client.js";
export type { HealthStatus, RouterClient } from "./router-client.js";
export { routerProtocols } from "./router-client-options.js";
export type { RouterClientOptions, RouterProtocol, TransportFactory } from "./router-client-options.js";
export type { LocationCallOptions, LocationCallResult, LocationHandle, PodiumMethod } from "./location-handle.js";
export type { EventStreamOptions } from "./event-stream.js";
export { createRetryInterceptor, defaultRetryOptions, retryableCodes } from "./retry-interceptor.js";
export type { RetryOptions } from "./retry-interceptor.js";
export { createAuthInterceptor } from "./auth-interceptor.js";
export { errorFromWire } from "./error-from-wire.js";
// Errors that never reached the router (connection refused, a proxy) stay ConnectErrors.
export { Code, ConnectError } from "@connectrpc/connect";
export type { CallOptions, Interceptor } from "@connectrpc/connect";
// The core's error classes, re-exported so callers match refusals without depending on the core package.
export {
  AlreadyOnboardedError,
  AuditUnavailableError,
  BadRequestError,
  BudgetUnavailableError,
  CoreError,
  CredentialError,
  DeadlineExceededError,
  EventCursorExpiredError,
  EventStoreUnavailableError,
  InternalError,
  InvalidConfigError,
  LocationAuthError,
  LocationDeletedError,
  LocationMismatchError,
  LocationNotInPodiumError,
  LocationNotInScopeError,
  LocationRateLimitedError,
  OnboardingPartialError,
  OrganizationMismatchError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnknownLocationError,
  UpstreamUnavailableError,
  errorCatalog,
  isCoreError,
} from "@podium-router/errors";
export type { CoreErrorCode, CoreErrorContext } from "@podium-router/errors";
// The contract's enums and messages the client's methods return, so callers need no second import.
export { AuthState, ForwarderState, LocationState, OnboardingOutcome, VerificationState, WebhookScope, WebhookSyncOutcome } from "@podium-router/proto";
export type {
  AuditRecord,
  AwaitAuthorizationResponse,
  BeginAuthorizationResponse,
  BudgetStatus,
  CallRequest,
  CallResponse,
  Event,
  EventsStatus,
  ForwarderStatus,
  GetLocationStatusResponse,
  ListLocationsResponse,
  Location,
  LocationCredential,
  OnboardLocationsResponse,
  QueryAuditResponse,
  RemoveLocationResponse,
  SyncWebhooksResponse,
  VerifyLocationResponse,
  WatchEventsResponse,
} from "@podium-router/proto";

export type { AuthState, CallContext, LocationRouter, LocationStatus, LocationSummary, Refusal, RoutedCall, RoutedResponse, VerificationState, VerifyResult } from "./router/index.js";
export type { AuditQuery, AuditRecord } from "./audit/index.js";
export type { AuthorizationCallback, AuthorizationRequest, PendingAuthorization } from "./oauth/index.js";
export type { OnboardingInput, OnboardingOptions, OnboardingOutcome, OnboardingResult } from "./onboarding/index.js";
export type { BudgetSnapshot } from "./budgets/index.js";
export type { LocationState } from "./credentials/index.js";
export type { CredentialStore, LocationRecord, LocationRecordPatch } from "./credentials/index.js";
export { createFileCredentialStore, DEFAULT_CREDENTIALS_PATH } from "./credentials/index.js";
export type { FileCredentialStoreOptions } from "./credentials/index.js";
export { parseSecretRef, resolveSecretRef } from "./credentials/index.js";
export type { SecretRef, SecretRefContext } from "./credentials/index.js";
export { writeFileAtomic } from "./util/index.js";
export type { WriteFileAtomicOptions } from "./util/index.js";
export { createUpstreamClient } from "./upstream/index.js";
export type { UpstreamClient, UpstreamClientOptions, UpstreamRequest, UpstreamResponse, UpstreamRetryOptions, TokenRequestOptions } from "./upstream/index.js";
export { upstreamErrorFrom, isRetryableUpstreamError, upstreamFailureByCode } from "./upstream/index.js";
export type { UpstreamErrorContext } from "./upstream/index.js";
export { createLocationAuth, withAuthRetry, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from "./oauth/index.js";
export type { LocationAuth, LocationAuthOptions, LocationAuthState } from "./oauth/index.js";
export { createLocationVerifier, NEGATIVE_TTL_MS } from "./verification/index.js";
export type { LocationVerifier, LocationVerifierOptions, VerifyTarget, VerifyOutcome, VerifierState } from "./verification/index.js";
export { listAllLocations, getLocationStatus, LOCATIONS_PAGE_LIMIT, MAX_LOCATION_PAGES } from "./verification/index.js";
export type { ListedLocation, ListingCredential } from "./verification/index.js";
export {
  BadRequestError,
  BudgetUnavailableError,
  CoreError,
  coreErrorFromCode,
  CredentialError,
  DeadlineExceededError,
  errorCatalog,
  errorClasses,
  InternalError,
  InvalidConfigError,
  isCoreError,
  isCoreErrorCode,
  LocationAuthError,
  LocationDeletedError,
  LocationMismatchError,
  LocationNotInScopeError,
  LocationRateLimitedError,
  OnboardingPartialError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnknownLocationError,
  UpstreamUnavailableError,
} from "./errors.js";
export type { CoreErrorCode, CoreErrorContext, CoreErrorInfo, CoreErrorJson } from "./errors.js";
export { defaultSettings, DEFAULT_SETTINGS_PATH, loadSettings, validateSettings } from "./settings/index.js";
export type {
  BudgetRate,
  BudgetSettings,
  FsyncPolicy,
  LoadedSettings,
  LoadSettingsOptions,
  QuotaGroupBy,
  RetrySettings,
  Settings,
  SettingsExtras,
  UpstreamSettings,
} from "./settings/index.js";
export { ENV_PREFIX, SETTINGS_PATH_ENV, settingsPathFromEnv } from "./settings/index.js";
export type { CredentialBackend } from "./credentials/index.js";
export { matchRoute, podiumRoutes } from "./isolation/index.js";
export type { LocationFill, PodiumMethod, PodiumRoute, RouteMatch } from "./isolation/index.js";
export { guardRequest, MAX_PATH_LENGTH } from "./isolation/index.js";
export type { GuardCall, GuardedRequest, GuardLocation, GuardOptions } from "./isolation/index.js";
export { MAX_REQUEST_ID_LENGTH, newRequestId, validateRequestId } from "./ids.js";
export { createRateBudgets, DEFAULT_BUDGET_IDLE_MS } from "./budgets/index.js";
export type { AcquireOptions, BucketOptions, RateBudgetDeps, RateBudgetOptions, RateBudgets } from "./budgets/index.js";
export { createAuditLog, DEFAULT_AUDIT_MAX_BUFFERED_BYTES, DEFAULT_AUDIT_ROTATION_CHECK_MS } from "./audit/index.js";
export type { AuditFsyncPolicy, AuditLog, AuditLogOptions } from "./audit/index.js";
export { AUDIT_GENESIS_HASH, auditChainHash } from "./audit/index.js";
export { listAuditFiles } from "./audit/index.js";
export type { AuditFile } from "./audit/index.js";
export { createAuditIndex, DEFAULT_AUDIT_SEGMENT_LINES } from "./audit/index.js";
export type { AuditIndex, AuditIndexOptions, AuditIndexRefresh } from "./audit/index.js";
export { runAuditVerify, verifyAuditChain } from "./audit/index.js";
export type { AuditChainBreak, AuditVerifyIo, AuditVerifyResult } from "./audit/index.js";
export { applyAuditRetention } from "./audit/index.js";
export type { AuditRetentionOptions } from "./audit/index.js";
export { createLocationRouter } from "./router/index.js";
export type { LocationRouterDeps, LocationRouterHandle } from "./router/index.js";
export type { InsertOptions, VersionedRefreshToken } from "./credentials/index.js";
export { createCredentialStore } from "./credentials/index.js";
export { createPgCredentialStore } from "./credentials/index.js";
export type { PgCredentialStore, PgCredentialStoreOptions } from "./credentials/index.js";
export { createSecretCipher, ENCRYPTION_KEY_BYTES, parseEncryptionKey } from "./credentials/index.js";
export type { SecretCipher, SecretCipherOptions } from "./credentials/index.js";
export { DEFAULT_REFRESH_LOCK_TTL_MS, isRefreshTokenConflict, RefreshTokenConflictError, refreshCoordinationFor } from "./credentials/index.js";
export type { RefreshCoordination, RefreshCoordinationOptions } from "./credentials/index.js";
export { DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "./credentials/index.js";
export type { CredentialsSettings, EncryptionSettings, PostgresSettings } from "./credentials/index.js";
export type { RouterObserver } from "./router/index.js";
export type { BudgetBackendOutcome } from "./redis/index.js";
export { createStateBackend } from "./router/index.js";
export type { StateBackendDeps, StateBackendHandle } from "./router/index.js";
export { createRedisConnection, evalScript } from "./redis/index.js";
export type { RedisConnection, RedisConnectionOptions } from "./redis/index.js";
export { createRedisRateBudgets, DEFAULT_ACTIVE_WINDOW_MS } from "./redis/index.js";
export type { RedisRateBudgetDeps, RedisRateBudgetOptions } from "./redis/index.js";
export { createRedisVerificationCache, withSharedVerificationCache } from "./redis/index.js";
export type { SharedVerification, SharedVerificationCache, SharedVerifierOptions } from "./redis/index.js";
export { createRedisRefreshLock, refreshLockNameFor, withRedisRefreshLock } from "./redis/index.js";
export type { RedisRefreshLock, RedisRefreshLockOptions } from "./redis/index.js";
export { createCircuitBreaker } from "./redis/index.js";
export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from "./redis/index.js";
export { DEFAULT_REDIS_URL, DEFAULT_STATE_BACKEND } from "./redis/index.js";
export type { BreakerSettings, RedisDownPolicy, RedisDownSettings, RedisStateSettings, StateBackend, StateSettings } from "./redis/index.js";
export { createConsentOnboarding, DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS, MAX_PENDING_AUTHORIZATIONS } from "./onboarding/index.js";
export type { ConsentOnboarding, ConsentOnboardingDeps } from "./onboarding/index.js";

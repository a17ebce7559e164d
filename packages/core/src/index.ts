export type * from "./location-router-api.js";
export type { CredentialStore, LocationRecord, LocationRecordPatch } from "./credential-store.js";
export { createFileCredentialStore, DEFAULT_CREDENTIALS_PATH } from "./file-credential-store.js";
export type { FileCredentialStoreOptions } from "./file-credential-store.js";
export { parseSecretRef, resolveSecretRef } from "./secret-ref.js";
export type { SecretRef, SecretRefContext } from "./secret-ref.js";
export { writeFileAtomic } from "./atomic-file.js";
export type { WriteFileAtomicOptions } from "./atomic-file.js";
export { createUpstreamClient } from "./upstream-client.js";
export type { UpstreamClient, UpstreamClientOptions, UpstreamRequest, UpstreamResponse, UpstreamRetryOptions, TokenRequestOptions } from "./upstream-client.js";
export { upstreamErrorFrom, isRetryableUpstreamError, upstreamFailureByCode } from "./upstream-errors.js";
export type { UpstreamErrorContext } from "./upstream-errors.js";
export { createLocationAuth, withAuthRetry, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from "./location-auth.js";
export type { LocationAuth, LocationAuthOptions, LocationAuthState } from "./location-auth.js";
export { createLocationVerifier, NEGATIVE_TTL_MS } from "./location-verifier.js";
export type { LocationVerifier, LocationVerifierOptions, VerifyTarget, VerifyOutcome, VerifierState } from "./location-verifier.js";
export { listAllLocations, getLocationStatus, LOCATIONS_PAGE_LIMIT, MAX_LOCATION_PAGES } from "./location-listing.js";
export type { ListedLocation, ListingCredential } from "./location-listing.js";
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
export { defaultSettings, DEFAULT_SETTINGS_PATH, loadSettings, validateSettings } from "./settings.js";
export type {
  BudgetRate,
  BudgetSettings,
  CredentialBackend,
  FsyncPolicy,
  LoadedSettings,
  LoadSettingsOptions,
  QuotaGroupBy,
  RetrySettings,
  Settings,
  SettingsExtras,
  UpstreamSettings,
} from "./settings.js";
export { ENV_PREFIX, SETTINGS_PATH_ENV, settingsPathFromEnv } from "./settings-env.js";
export { matchRoute, podiumRoutes } from "./podium-routes.js";
export type { LocationFill, PodiumMethod, PodiumRoute, RouteMatch } from "./podium-routes.js";
export { guardRequest, MAX_PATH_LENGTH } from "./location-guard.js";
export type { GuardCall, GuardedRequest, GuardLocation, GuardOptions } from "./location-guard.js";
export { MAX_REQUEST_ID_LENGTH, newRequestId, validateRequestId } from "./request-id.js";
export { createRateBudgets, DEFAULT_BUDGET_IDLE_MS } from "./rate-budget.js";
export type { AcquireOptions, BucketOptions, RateBudgetDeps, RateBudgetOptions, RateBudgets } from "./rate-budget.js";
export { createAuditLog, DEFAULT_AUDIT_MAX_BUFFERED_BYTES, DEFAULT_AUDIT_ROTATION_CHECK_MS } from "./audit-log.js";
export type { AuditFsyncPolicy, AuditLog, AuditLogOptions } from "./audit-log.js";
export { AUDIT_GENESIS_HASH, auditChainHash } from "./audit-chain.js";
export { listAuditFiles } from "./audit-files.js";
export type { AuditFile } from "./audit-files.js";
export { createAuditIndex, DEFAULT_AUDIT_SEGMENT_LINES } from "./audit-index.js";
export type { AuditIndex, AuditIndexOptions, AuditIndexRefresh } from "./audit-index.js";
export { runAuditVerify, verifyAuditChain } from "./audit-verify.js";
export type { AuditChainBreak, AuditVerifyIo, AuditVerifyResult } from "./audit-verify.js";
export { applyAuditRetention } from "./audit-retention.js";
export type { AuditRetentionOptions } from "./audit-retention.js";
export { createLocationRouter } from "./location-router.js";
export type { LocationRouterDeps, LocationRouterHandle } from "./location-router.js";
export type { InsertOptions, VersionedRefreshToken } from "./credential-store.js";
export { createCredentialStore } from "./create-credential-store.js";
export { createPgCredentialStore } from "./pg-credential-store.js";
export type { PgCredentialStore, PgCredentialStoreOptions } from "./pg-credential-store.js";
export { createSecretCipher, ENCRYPTION_KEY_BYTES, parseEncryptionKey } from "./secret-cipher.js";
export type { SecretCipher, SecretCipherOptions } from "./secret-cipher.js";
export { DEFAULT_REFRESH_LOCK_TTL_MS, isRefreshTokenConflict, RefreshTokenConflictError, refreshCoordinationFor } from "./refresh-coordination.js";
export type { RefreshCoordination, RefreshCoordinationOptions } from "./refresh-coordination.js";
export { DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "./settings-credentials.js";
export type { CredentialsSettings, EncryptionSettings, PostgresSettings } from "./settings-credentials.js";
export type { RouterObserver } from "./router-observer.js";
export type { BudgetBackendOutcome } from "./router-observer.js";
export { createStateBackend } from "./create-state-backend.js";
export type { StateBackendDeps, StateBackendHandle } from "./create-state-backend.js";
export { createRedisConnection, evalScript } from "./redis-connection.js";
export type { RedisConnection, RedisConnectionOptions } from "./redis-connection.js";
export { createRedisRateBudgets, DEFAULT_ACTIVE_WINDOW_MS } from "./redis-rate-budgets.js";
export type { RedisRateBudgetDeps, RedisRateBudgetOptions } from "./redis-rate-budgets.js";
export { createRedisVerificationCache, withSharedVerificationCache } from "./redis-verification-cache.js";
export type { SharedVerification, SharedVerificationCache, SharedVerifierOptions } from "./redis-verification-cache.js";
export { createRedisRefreshLock, refreshLockNameFor, withRedisRefreshLock } from "./redis-refresh-lock.js";
export type { RedisRefreshLock, RedisRefreshLockOptions } from "./redis-refresh-lock.js";
export { createCircuitBreaker } from "./circuit-breaker.js";
export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from "./circuit-breaker.js";
export { DEFAULT_REDIS_URL, DEFAULT_STATE_BACKEND } from "./state-settings.js";
export type { BreakerSettings, RedisDownPolicy, RedisDownSettings, RedisStateSettings, StateBackend, StateSettings } from "./state-settings.js";
export { createConsentOnboarding, DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS, MAX_PENDING_AUTHORIZATIONS } from "./consent-onboarding.js";
export type { ConsentOnboarding, ConsentOnboardingDeps } from "./consent-onboarding.js";

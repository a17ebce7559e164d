export type * from "./router/location-router-api.js";
export type { AuditQuery, AuditRecord } from "./audit/audit-record.js";
export type { AuthorizationCallback, AuthorizationRequest, PendingAuthorization } from "./oauth/authorization-code-grant.js";
export type { OnboardingInput, OnboardingOptions, OnboardingOutcome, OnboardingResult } from "./onboarding/onboarding.js";
export type { BudgetSnapshot } from "./budgets/rate-budget.js";
export type { LocationState } from "./credentials/credential-store.js";
export type { CredentialStore, LocationRecord, LocationRecordPatch } from "./credentials/credential-store.js";
export { createFileCredentialStore, DEFAULT_CREDENTIALS_PATH } from "./credentials/file/file-credential-store.js";
export type { FileCredentialStoreOptions } from "./credentials/file/file-credential-store.js";
export { parseSecretRef, resolveSecretRef } from "./credentials/secret-ref.js";
export type { SecretRef, SecretRefContext } from "./credentials/secret-ref.js";
export { writeFileAtomic } from "./util/atomic-file.js";
export type { WriteFileAtomicOptions } from "./util/atomic-file.js";
export { createUpstreamClient } from "./upstream/upstream-client.js";
export type { UpstreamClient, UpstreamClientOptions, UpstreamRequest, UpstreamResponse, UpstreamRetryOptions, TokenRequestOptions } from "./upstream/upstream-client.js";
export { upstreamErrorFrom, isRetryableUpstreamError, upstreamFailureByCode } from "./upstream/upstream-errors.js";
export type { UpstreamErrorContext } from "./upstream/upstream-errors.js";
export { createLocationAuth, withAuthRetry, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from "./oauth/location-auth.js";
export type { LocationAuth, LocationAuthOptions, LocationAuthState } from "./oauth/location-auth.js";
export { createLocationVerifier, NEGATIVE_TTL_MS } from "./verification/location-verifier.js";
export type { LocationVerifier, LocationVerifierOptions, VerifyTarget, VerifyOutcome, VerifierState } from "./verification/location-verifier.js";
export { listAllLocations, getLocationStatus, LOCATIONS_PAGE_LIMIT, MAX_LOCATION_PAGES } from "./verification/location-listing.js";
export type { ListedLocation, ListingCredential } from "./verification/location-listing.js";
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
export { defaultSettings, DEFAULT_SETTINGS_PATH, loadSettings, validateSettings } from "./settings/settings.js";
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
} from "./settings/settings.js";
export { ENV_PREFIX, SETTINGS_PATH_ENV, settingsPathFromEnv } from "./settings/settings-env.js";
export { matchRoute, podiumRoutes } from "./isolation/podium-routes.js";
export type { LocationFill, PodiumMethod, PodiumRoute, RouteMatch } from "./isolation/podium-routes.js";
export { guardRequest, MAX_PATH_LENGTH } from "./isolation/location-guard.js";
export type { GuardCall, GuardedRequest, GuardLocation, GuardOptions } from "./isolation/location-guard.js";
export { MAX_REQUEST_ID_LENGTH, newRequestId, validateRequestId } from "./ids.js";
export { createRateBudgets, DEFAULT_BUDGET_IDLE_MS } from "./budgets/rate-budget.js";
export type { AcquireOptions, BucketOptions, RateBudgetDeps, RateBudgetOptions, RateBudgets } from "./budgets/rate-budget.js";
export { createAuditLog, DEFAULT_AUDIT_MAX_BUFFERED_BYTES, DEFAULT_AUDIT_ROTATION_CHECK_MS } from "./audit/audit-log.js";
export type { AuditFsyncPolicy, AuditLog, AuditLogOptions } from "./audit/audit-log.js";
export { AUDIT_GENESIS_HASH, auditChainHash } from "./audit/audit-chain.js";
export { listAuditFiles } from "./audit/audit-files.js";
export type { AuditFile } from "./audit/audit-files.js";
export { createAuditIndex, DEFAULT_AUDIT_SEGMENT_LINES } from "./audit/sqlite-index/audit-index.js";
export type { AuditIndex, AuditIndexOptions, AuditIndexRefresh } from "./audit/sqlite-index/audit-index.js";
export { runAuditVerify, verifyAuditChain } from "./audit/audit-verify.js";
export type { AuditChainBreak, AuditVerifyIo, AuditVerifyResult } from "./audit/audit-verify.js";
export { applyAuditRetention } from "./audit/audit-retention.js";
export type { AuditRetentionOptions } from "./audit/audit-retention.js";
export { createLocationRouter } from "./router/location-router.js";
export type { LocationRouterDeps, LocationRouterHandle } from "./router/location-router.js";
export type { InsertOptions, VersionedRefreshToken } from "./credentials/credential-store.js";
export { createCredentialStore } from "./credentials/create-credential-store.js";
export { createPgCredentialStore } from "./credentials/postgres/pg-credential-store.js";
export type { PgCredentialStore, PgCredentialStoreOptions } from "./credentials/postgres/pg-credential-store.js";
export { createSecretCipher, ENCRYPTION_KEY_BYTES, parseEncryptionKey } from "./credentials/postgres/secret-cipher.js";
export type { SecretCipher, SecretCipherOptions } from "./credentials/postgres/secret-cipher.js";
export { DEFAULT_REFRESH_LOCK_TTL_MS, isRefreshTokenConflict, RefreshTokenConflictError, refreshCoordinationFor } from "./credentials/refresh-coordination.js";
export type { RefreshCoordination, RefreshCoordinationOptions } from "./credentials/refresh-coordination.js";
export { DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "./credentials/credentials-settings.js";
export type { CredentialsSettings, EncryptionSettings, PostgresSettings } from "./credentials/credentials-settings.js";
export type { RouterObserver } from "./router/router-observer.js";
export type { BudgetBackendOutcome } from "./redis/redis-rate-budgets.js";
export { createStateBackend } from "./router/create-state-backend.js";
export type { StateBackendDeps, StateBackendHandle } from "./router/create-state-backend.js";
export { createRedisConnection, evalScript } from "./redis/redis-connection.js";
export type { RedisConnection, RedisConnectionOptions } from "./redis/redis-connection.js";
export { createRedisRateBudgets, DEFAULT_ACTIVE_WINDOW_MS } from "./redis/redis-rate-budgets.js";
export type { RedisRateBudgetDeps, RedisRateBudgetOptions } from "./redis/redis-rate-budgets.js";
export { createRedisVerificationCache, withSharedVerificationCache } from "./redis/redis-verification-cache.js";
export type { SharedVerification, SharedVerificationCache, SharedVerifierOptions } from "./redis/redis-verification-cache.js";
export { createRedisRefreshLock, refreshLockNameFor, withRedisRefreshLock } from "./redis/redis-refresh-lock.js";
export type { RedisRefreshLock, RedisRefreshLockOptions } from "./redis/redis-refresh-lock.js";
export { createCircuitBreaker } from "./redis/circuit-breaker.js";
export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from "./redis/circuit-breaker.js";
export { DEFAULT_REDIS_URL, DEFAULT_STATE_BACKEND } from "./redis/state-settings.js";
export type { BreakerSettings, RedisDownPolicy, RedisDownSettings, RedisStateSettings, StateBackend, StateSettings } from "./redis/state-settings.js";
export { createConsentOnboarding, DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS, MAX_PENDING_AUTHORIZATIONS } from "./onboarding/consent-onboarding.js";
export type { ConsentOnboarding, ConsentOnboardingDeps } from "./onboarding/consent-onboarding.js";

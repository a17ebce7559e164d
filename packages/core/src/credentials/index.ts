/**
 * Where onboarded locations and their refresh tokens live: the CredentialStore contract and its record format,
 * the file store (file/), the PostgreSQL store (postgres/), secret references, and the refresh lock/version
 * protocol both stores follow.
 */
export { createCredentialStore } from "./create-credential-store.js";
export type { CredentialStore, InsertOptions, LocationRecord, LocationRecordPatch, LocationState, VersionedRefreshToken } from "./credential-store.js";
export { DEFAULT_CREDENTIALS_PATH, DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "./credentials-settings.js";
export type { CredentialBackend, CredentialsSettings, EncryptionSettings, PostgresSettings } from "./credentials-settings.js";
export { createFileCredentialStore } from "./file/file-credential-store.js";
export type { FileCredentialStoreOptions } from "./file/file-credential-store.js";
export { createPgCredentialStore } from "./postgres/pg-credential-store.js";
export type { PgCredentialStore, PgCredentialStoreOptions } from "./postgres/pg-credential-store.js";
export { createSecretCipher, ENCRYPTION_KEY_BYTES, parseEncryptionKey } from "./postgres/secret-cipher.js";
export type { SecretCipher, SecretCipherOptions } from "./postgres/secret-cipher.js";
export { DEFAULT_REFRESH_LOCK_TTL_MS, isRefreshTokenConflict, refreshCoordinationFor, RefreshTokenConflictError } from "./refresh-coordination.js";
export type { RefreshCoordination, RefreshCoordinationOptions } from "./refresh-coordination.js";
export { parseSecretRef, resolveSecretRef } from "./secret-ref.js";
export type { SecretRef, SecretRefContext } from "./secret-ref.js";

// Internal: used by other folders of the core, not part of the package's API.
export { DEFAULT_CREDENTIALS_BACKEND } from "./credentials-settings.js";
export { PG_SCHEMA_PATTERN } from "./postgres/pg-credential-schema.js";
export { KEY_ID_PATTERN } from "./postgres/secret-cipher.js";

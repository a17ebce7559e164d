/**
 * Where onboarded locations and their refresh tokens live: the CredentialStore contract and its record format,
 * the file store (file/), the PostgreSQL store (postgres/), secret references, and the refresh lock/version
 * protocol both stores follow.
 */
export type { CredentialStore, LocationRecord, LocationState } from "./credential-store.js";
export { createFileCredentialStore } from "./file/file-credential-store.js";

// Internal: used by other folders of the core, not part of the package's API.
export { createCredentialStore, reencryptCredentials, resolveEncryptionKeys } from "./create-credential-store.js";
export { DEFAULT_CREDENTIALS_BACKEND, DEFAULT_CREDENTIALS_PATH, DEFAULT_POSTGRES_POOL_MAX, DEFAULT_POSTGRES_SCHEMA, DEFAULT_POSTGRES_URL } from "./credentials-settings.js";
export type { CredentialsSettings, PostgresSettings } from "./credentials-settings.js";
export { PG_SCHEMA_PATTERN, pgEndpointOf } from "./postgres/pg-credential-schema.js";
export { createPgAuditCheckpointStore } from "./postgres/pg-audit-checkpoints.js";
export { createSecretCipher, KEY_ID_PATTERN } from "./postgres/secret-cipher.js";
export type { SecretCipher } from "./postgres/secret-cipher.js";
export { refreshCoordinationFor } from "./refresh-coordination.js";
export type { RefreshCoordination } from "./refresh-coordination.js";
export { parseSecretRef, resolveSecretRef } from "./secret-ref.js";

/**
 * Builds the credential store the settings ask for: the file store, or the PostgreSQL store with its
 * encryption keys resolved from their secret references.
 */
import { InvalidConfigError } from "@podium-router/errors";
import type { CredentialStore } from "./credential-store.js";
import { createFileCredentialStore } from "./file/file-credential-store.js";
import { createPgCredentialStore, type PgCredentialStore } from "./postgres/pg-credential-store.js";
import { parseEncryptionKey } from "./postgres/secret-cipher.js";
import { resolveSecretRef } from "./secret-ref.js";
import type { CredentialsSettings } from "./credentials-settings.js";

/**
 * The store for `settings.credentials`. For `postgres`, each key of `encryption.keys` is read through its
 * reference (`env:` from `env`, `file:`) and must hold 32 bytes as hex or base64. Throws CredentialError for a
 * reference that cannot be resolved and InvalidConfigError for a key of the wrong length, each naming the key
 * id and never the material. Nothing connects until the store's first call.
 */
export async function createCredentialStore(
  settings: CredentialsSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<CredentialStore> {
  if (settings.backend === "file") return createFileCredentialStore({ path: settings.path });
  return openPgStore(settings, env);
}

/**
 * Re-encrypts every stored refresh token under `credentials.encryption.active_key_id` (the PostgreSQL store; the
 * operator's `podium-router credentials reencrypt`). Returns how many rows it rewrote and how many tokens each key
 * id encrypts afterwards: an old key may leave `encryption.keys` once it counts none. Safe while routers run: a
 * token a replica rotates meanwhile is written under that replica's active key and not touched here.
 */
export async function reencryptCredentials(
  settings: CredentialsSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ activeKeyId: string; rewritten: number; tokensByKey: Record<string, number> }> {
  if (settings.backend !== "postgres") {
    throw new InvalidConfigError({}, `credentials.backend is "${settings.backend}": re-encryption applies to the postgres backend only (the file backend keeps each refresh token in a 0600 file, not encrypted by the router)`);
  }
  const store = await openPgStore(settings, env);
  try {
    const { rewritten } = await store.reencrypt();
    return { activeKeyId: settings.encryption.activeKeyId, rewritten, tokensByKey: await store.tokensByKey() };
  } finally {
    await store.close();
  }
}

async function openPgStore(settings: CredentialsSettings, env: Readonly<Record<string, string | undefined>>): Promise<PgCredentialStore> {
  return createPgCredentialStore({
    url: settings.postgres.url,
    schema: settings.postgres.schema,
    poolMax: settings.postgres.poolMax,
    keys: await resolveEncryptionKeys(settings, env),
    activeKeyId: settings.encryption.activeKeyId,
  });
}

/**
 * The keys of `credentials.encryption.keys`, each read through its reference and checked to hold 32 bytes; for
 * every store that encrypts secrets at rest with them (refresh tokens, webhook secrets).
 */
export async function resolveEncryptionKeys(settings: Pick<CredentialsSettings, "encryption">, env: Readonly<Record<string, string | undefined>>): Promise<Map<string, Buffer>> {
  const keys = new Map<string, Buffer>();
  for (const [id, ref] of Object.entries(settings.encryption.keys)) {
    const label = `credentials.encryption.keys.${id}`;
    // A CredentialError from here names the variable or file and this key id.
    const text = await resolveSecretRef(ref, env, { label });
    keys.set(id, parseEncryptionKey(text, `${label} (${ref})`));
  }
  return keys;
}

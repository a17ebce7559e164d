/**
 * Encryption at rest for secrets the PostgreSQL credential store keeps (refresh tokens): AES-256-GCM,
 * a random 12-byte IV per write, the owning row's location_uid bound as associated data, and the key id
 * kept beside the ciphertext so keys can rotate without an outage. Messages name key ids, never key material.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CredentialError, InvalidConfigError } from "@podium-router/errors";

/** AES-256: 32-byte keys. */
export const ENCRYPTION_KEY_BYTES = 32;
/** 96-bit IVs are GCM's native size; random per write, so a key can encrypt ~2^32 values safely. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of every ciphertext: lets a later format change be told apart from corruption. */
const FORMAT_V1 = 1;
/** Prefixed to the associated data so a ciphertext made for another purpose never verifies as a refresh token. */
const AAD_DOMAIN = "podium-router/secret/v1";
/** What an encryption key id may look like: shown in messages and stored in every row. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Encrypts and decrypts secrets bound to one owner (a location uid). */
export interface SecretCipher {
  /** The key id new ciphertexts are made with. */
  readonly activeKeyId: string;
  /** True if `keyId` is configured (its ciphertexts can be read). */
  hasKey(keyId: string): boolean;
  /** Encrypts `plaintext` under the active key, bound to `owner`. */
  encrypt(plaintext: string, owner: string): { ciphertext: Buffer; keyId: string };
  /**
   * Decrypts a ciphertext made for `owner` with `keyId`. Throws CredentialError naming the key id and the owner
   * when the key id is not configured, or when the ciphertext does not verify (wrong key, or made for another owner).
   */
  decrypt(ciphertext: Uint8Array, keyId: string, owner: string): string;
}

/** Options of `createSecretCipher()`. */
export interface SecretCipherOptions {
  /** Key id → 32-byte key. Old ids stay here as long as any ciphertext still uses them. */
  keys: ReadonlyMap<string, Uint8Array>;
  /** The key id new writes use; must be in `keys`. */
  activeKeyId: string;
}

/** Creates a cipher over the given keys. Throws InvalidConfigError for a bad key id or a key that is not 32 bytes. */
export function createSecretCipher(options: SecretCipherOptions): SecretCipher {
  const keys = new Map<string, Buffer>();
  for (const [id, key] of options.keys) {
    if (!KEY_ID_PATTERN.test(id)) throw new InvalidConfigError({}, `encryption key id ${JSON.stringify(id.slice(0, 64))} must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (key.length !== ENCRYPTION_KEY_BYTES) {
      throw new InvalidConfigError({}, `encryption key "${id}" must be ${ENCRYPTION_KEY_BYTES} bytes (got ${key.length})`);
    }
    keys.set(id, Buffer.from(key)); // a private copy: the caller may zero or reuse its buffer
  }
  const activeKeyId = options.activeKeyId;
  if (!keys.has(activeKeyId)) {
    throw new InvalidConfigError({}, `the active encryption key id "${activeKeyId}" is not among the configured keys (${[...keys.keys()].join(", ") || "none"})`);
  }
  return {
    activeKeyId,
    hasKey: (keyId) => keys.has(keyId),
    encrypt(plaintext, owner) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", keys.get(activeKeyId) as Buffer, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadFor(owner, activeKeyId));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { ciphertext: Buffer.concat([Buffer.of(FORMAT_V1), iv, cipher.getAuthTag(), body]), keyId: activeKeyId };
    },
    decrypt(ciphertext, keyId, owner) {
      const key = keys.get(keyId);
      if (key === undefined) {
        throw new CredentialError(
          { locationUid: owner },
          `the refresh token of location ${owner} is encrypted with key id "${keyId}", which is not in credentials.encryption.keys; add that key back (keep old keys until reencrypt has rewritten every row)`,
        );
      }
      const data = Buffer.from(ciphertext);
      if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== FORMAT_V1) {
        throw new CredentialError({ locationUid: owner }, `the stored refresh token of location ${owner} is not in a known format (corrupted?); onboard the location again`);
      }
      const iv = data.subarray(1, 1 + IV_BYTES);
      const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aadFor(owner, keyId));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch {
        // GCM cannot tell a wrong key from a ciphertext moved from another row; both mean "do not trust this".
        throw new CredentialError(
          { locationUid: owner },
          `the stored refresh token of location ${owner} does not decrypt with key id "${keyId}": either that key's material changed, or the ciphertext belongs to another location; restore the key or onboard the location again`,
        );
      }
    },
  };
}

/**
 * Decodes a configured encryption key: 64 hex digits, or base64 (standard or URL-safe) of 32 bytes.
 * Throws InvalidConfigError naming `label` and the rule, never the value.
 */
export function parseEncryptionKey(text: string, label: string): Buffer {
  const value = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key === undefined || key.length !== ENCRYPTION_KEY_BYTES) {
    const got = key === undefined ? "it is neither hex nor base64" : `it decodes to ${key.length} bytes`;
    throw new InvalidConfigError(
      {},
      `${label} must be a ${ENCRYPTION_KEY_BYTES}-byte key written as 64 hex digits or base64 (make one with: openssl rand -base64 32); ${got} (the value is not shown)`,
    );
  }
  return key;
}

function aadFor(owner: string, keyId: string): Buffer {
  // NUL-separated: neither a uid nor a key id can contain NUL, so the fields cannot run into each other.
  return Buffer.from(`${AAD_DOMAIN}\0${owner}\0${keyId}`, "utf8");
}

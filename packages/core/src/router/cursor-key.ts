/**
 * The key that binds Podium's paging cursors to the location that listed them (issue 10: an HMAC over the
 * cursor and the location uid). It lives in router/, not isolation/, because it reads the settings and a secret
 * reference, and isolation/ sits below settings/ and credentials/ in the core's folder order (like the audit
 * checkpoints' HMAC key in router-audit.ts).
 */
import { randomBytes } from "node:crypto";
import { InvalidConfigError } from "@podium-router/errors";
import { resolveSecretRef } from "../credentials/index.js";
import type { Settings } from "../settings/index.js";

/**
 * Shortest cursor key accepted: 32 bytes, the output size of HMAC-SHA-256, below which the key, not the hash, is
 * the weak part (`openssl rand -base64 32` gives 44 characters).
 */
export const MIN_CURSOR_KEY_BYTES = 32;

/**
 * The cursor key of `settings.isolation.cursor_key`: the secret its reference names (at least 32 bytes), or, when
 * none is set, 32 random bytes for this process (cursors then outlive neither a restart nor a hop to another
 * replica). Throws InvalidConfigError naming the setting when the secret is too short, and the reference's
 * CredentialError when it cannot be read; neither repeats the secret.
 */
export async function resolveCursorKey(settings: Pick<Settings, "isolation">, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Buffer> {
  const ref = settings.isolation.cursorKey;
  if (ref === "") return randomBytes(MIN_CURSOR_KEY_BYTES);
  const text = await resolveSecretRef(ref, env, { label: "isolation.cursor_key" });
  const key = Buffer.from(text, "utf8");
  if (key.length < MIN_CURSOR_KEY_BYTES) throw new InvalidConfigError({}, `isolation.cursor_key (${ref}) must hold at least ${MIN_CURSOR_KEY_BYTES} bytes`);
  return key;
}

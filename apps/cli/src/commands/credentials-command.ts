import { loadSettings, reencryptCredentials, reencryptWebhookSecrets } from "@podium-router/core";
import { println } from "../cli-io.js";
import type { CliIo } from "../cli-io.js";
import { exitCodes } from "../exit-codes.js";
import type { CredentialsFlags } from "../parse-args.js";

/**
 * `podium-router credentials reencrypt`: the last step of rotating the PostgreSQL encryption key. Local, like
 * `audit verify`: it opens the store the settings name, with the key references resolved in this process's
 * environment (the router host's), and never talks to a router.
 */
export async function credentialsCommand(io: CliIo, flags: CredentialsFlags): Promise<number> {
  const { settings } = await loadSettings({ path: flags.settings, env: io.env, cwd: io.cwd });
  const r = await reencryptCredentials(settings.credentials, io.env);
  // Webhook secrets (inbound events) are encrypted with the same keys.
  const w = await reencryptWebhookSecrets(settings, io.env);
  println(io.stdout, `re-encrypted ${r.rewritten} refresh token${r.rewritten === 1 ? "" : "s"} and ${w.rewritten} webhook secret${w.rewritten === 1 ? "" : "s"} under key "${r.activeKeyId}"`);
  const ids = [...new Set([...Object.keys(r.tokensByKey), ...Object.keys(w.secretsByKey)])].sort();
  if (ids.length === 0) println(io.stdout, "no refresh tokens or webhook secrets are stored");
  for (const id of ids) {
    const tokens = r.tokensByKey[id] ?? 0;
    const secrets = w.secretsByKey[id] ?? 0;
    println(io.stdout, `  key ${id}: ${tokens} token${tokens === 1 ? "" : "s"}, ${secrets} webhook secret${secrets === 1 ? "" : "s"}${id === r.activeKeyId ? " (active)" : ""}`);
  }
  const old = ids.filter((id) => id !== r.activeKeyId);
  if (old.length === 0) println(io.stdout, "every stored token is under the active key: keys no longer listed here can be dropped from credentials.encryption.keys");
  else println(io.stdout, `still under ${old.join(", ")} (rotated by a router still writing with an older active key?): run again once every router has the new active_key_id`);
  return exitCodes.ok;
}

/**
 * Builds the event log (`events.backend`) and the subscription store (following `credentials.backend`, since
 * the webhook secrets are kept like the credentials) from settings. PostgreSQL is loaded only when asked for.
 */
import { createSecretCipher, resolveEncryptionKeys } from "../credentials/index.js";
import type { Settings } from "../settings/index.js";
import { withEncryptedBodies } from "./encrypted-event-store.js";
import type { EventStore } from "./event-store.js";
import { createSqliteEventStore } from "./sqlite/sqlite-event-store.js";
import { createFileSubscriptionStore } from "./subscriptions/file-subscription-store.js";
import type { SubscriptionStore } from "./subscriptions/subscription-store.js";

/**
 * The event log the settings name; PostgreSQL uses `credentials.postgres`' database and schema. With
 * `credentials.encryption.keys` configured, bodies are sealed at rest with them (encrypted-event-store.ts).
 */
export async function createEventStore(settings: Pick<Settings, "events" | "credentials">, env: Readonly<Record<string, string | undefined>> = process.env): Promise<EventStore> {
  // Keys first: a missing key fails before a database is opened or a file created.
  const cipher = Object.keys(settings.credentials.encryption.keys).length === 0 ? undefined : await cipherOf(settings, env);
  let store: EventStore;
  if (settings.events.backend === "sqlite") store = createSqliteEventStore({ path: settings.events.path });
  else {
    const { createPgEventStore } = await import("./postgres/pg-event-store.js");
    store = await createPgEventStore(settings.credentials.postgres);
  }
  return cipher === undefined ? store : withEncryptedBodies(store, cipher);
}

async function cipherOf(settings: Pick<Settings, "credentials">, env: Readonly<Record<string, string | undefined>>) {
  return createSecretCipher({ keys: await resolveEncryptionKeys(settings.credentials, env), activeKeyId: settings.credentials.encryption.activeKeyId });
}

/** The subscription store: a file beside the credentials (file backend), or a table encrypted with its keys. */
export async function createSubscriptionStore(settings: Pick<Settings, "events" | "credentials">, env: Readonly<Record<string, string | undefined>>): Promise<SubscriptionStore> {
  if (settings.credentials.backend === "file") return createFileSubscriptionStore(settings.events.subscriptionsPath);
  const cipher = await cipherOf(settings, env);
  const { createPgSubscriptionStore } = await import("./postgres/pg-subscription-store.js");
  return createPgSubscriptionStore(settings.credentials.postgres, cipher);
}

/**
 * The webhook secrets' part of rotating `credentials.encryption` (PostgreSQL credential backend): every secret
 * re-encrypted under the active key. The file backend keeps webhook secrets in 0600 files, not encrypted: nothing
 * to do there.
 */
export async function reencryptWebhookSecrets(settings: Pick<Settings, "credentials">, env: Readonly<Record<string, string | undefined>>): Promise<{ rewritten: number; secretsByKey: Record<string, number> }> {
  if (settings.credentials.backend === "file") return { rewritten: 0, secretsByKey: {} };
  const cipher = await cipherOf(settings, env);
  const { reencryptPgSubscriptionSecrets } = await import("./postgres/pg-subscription-store.js");
  return reencryptPgSubscriptionSecrets(settings.credentials.postgres, cipher);
}

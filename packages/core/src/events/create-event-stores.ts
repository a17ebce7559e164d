/**
 * Builds the event log (`events.backend`) and the subscription store (following `credentials.backend`, since
 * the webhook secrets are kept like the credentials) from settings. PostgreSQL is loaded only when asked for.
 */
import { createSecretCipher, resolveEncryptionKeys } from "../credentials/index.js";
import type { Settings } from "../settings/index.js";
import type { EventStore } from "./event-store.js";
import { createSqliteEventStore } from "./sqlite/sqlite-event-store.js";
import { createFileSubscriptionStore } from "./subscriptions/file-subscription-store.js";
import type { SubscriptionStore } from "./subscriptions/subscription-store.js";

/** The event log the settings name; PostgreSQL uses `credentials.postgres`' database and schema. */
export async function createEventStore(settings: Pick<Settings, "events" | "credentials">): Promise<EventStore> {
  if (settings.events.backend === "sqlite") return createSqliteEventStore({ path: settings.events.path });
  const { createPgEventStore } = await import("./postgres/pg-event-store.js");
  return createPgEventStore(settings.credentials.postgres);
}

/** The subscription store: a file beside the credentials (file backend), or a table encrypted with its keys. */
export async function createSubscriptionStore(settings: Pick<Settings, "events" | "credentials">, env: Readonly<Record<string, string | undefined>>): Promise<SubscriptionStore> {
  if (settings.credentials.backend === "file") return createFileSubscriptionStore(settings.events.subscriptionsPath);
  const cipher = createSecretCipher({ keys: await resolveEncryptionKeys(settings.credentials, env), activeKeyId: settings.credentials.encryption.activeKeyId });
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
  const cipher = createSecretCipher({ keys: await resolveEncryptionKeys(settings.credentials, env), activeKeyId: settings.credentials.encryption.activeKeyId });
  const { reencryptPgSubscriptionSecrets } = await import("./postgres/pg-subscription-store.js");
  return reencryptPgSubscriptionSecrets(settings.credentials.postgres, cipher);
}

/**
 * Event bodies encrypted at rest. Podium's event documents carry what the audit trail never may: customers' names,
 * phone numbers, emails, message text. With `credentials.encryption.keys` configured (always for the PostgreSQL
 * backend, optionally for the file backend) every body is stored sealed with the active key — AES-256-GCM, a random
 * IV, the location and event id bound as associated data, so a sealed body moved to another row does not open —
 * and opened when read. The store itself (SQLite or PostgreSQL) never sees the plaintext; ids, types and times stay
 * readable for deduplication, ordering and retention.
 */
import { EventStoreUnavailableError } from "@podium-router/errors";
import type { SecretCipher } from "../credentials/index.js";
import type { EventStore, StoredEvent } from "./event-store.js";

/** Marks a sealed body: `enc1:<key id>:<base64 ciphertext>`. An event document is JSON and never starts so. */
const SEALED = "enc1:";

/** The associated data of one event's body: its location and id (and a prefix no refresh-token owner has). */
const ownerOf = (locationUid: string, eventId: string): string => `event:${locationUid}:${eventId}`;

/**
 * The store with bodies sealed on append and opened on read. A body stored before encryption was configured
 * (plain JSON) is passed through, so turning it on needs no migration; one sealed with a key no longer configured
 * is refused with ERR_LOC_EVENT_STORE_UNAVAILABLE naming the key id (retired keys must stay until
 * `events.retention_hours` has removed the events they sealed).
 */
export function withEncryptedBodies(store: EventStore, cipher: SecretCipher): EventStore {
  const open = (e: StoredEvent): StoredEvent => {
    if (!e.body.startsWith(SEALED)) return e;
    const sep = e.body.indexOf(":", SEALED.length);
    const keyId = sep === -1 ? "" : e.body.slice(SEALED.length, sep);
    const ctx = { locationUid: e.locationUid };
    if (!cipher.hasKey(keyId)) {
      throw new EventStoreUnavailableError(ctx, `event ${e.seq} of ${e.locationUid} is sealed with encryption key id "${keyId.slice(0, 64)}", which is not in credentials.encryption.keys; add it back (keep retired keys for events.retention_hours)`);
    }
    try {
      return { ...e, body: cipher.decrypt(Buffer.from(e.body.slice(sep + 1), "base64"), keyId, ownerOf(e.locationUid, e.eventId)) };
    } catch {
      throw new EventStoreUnavailableError(ctx, `event ${e.seq} of ${e.locationUid} does not open with encryption key id "${keyId}": the key's material changed, or the row was altered`);
    }
  };
  return {
    ...bind(store),
    append(events) {
      return store.append(
        events.map((e) => {
          const { ciphertext, keyId } = cipher.encrypt(e.body, ownerOf(e.locationUid, e.eventId));
          return { ...e, body: `${SEALED}${keyId}:${ciphertext.toString("base64")}` };
        }),
      );
    },
    async read(locationUid, afterSeq, limit, eventTypes) {
      const page = await store.read(locationUid, afterSeq, limit, eventTypes);
      return { ...page, events: page.events.map(open) };
    },
  };
}

/** The store's methods bound to it, to be overridden in part. */
function bind(store: EventStore): EventStore {
  return {
    append: (events) => store.append(events),
    read: (...a) => store.read(...a),
    head: (uid) => store.head(uid),
    prune: (before) => store.prune(before),
    forwardState: (uid) => store.forwardState(uid),
    claimForwarder: (...a) => store.claimForwarder(...a),
    recordForward: (...a) => store.recordForward(...a),
    onAppended: (listener) => store.onAppended(listener),
    close: () => store.close(),
  };
}

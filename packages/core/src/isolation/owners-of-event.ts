/**
 * The owner-cache entries a Podium webhook event makes stale. An event says a resource changed, possibly outside
 * the router (Podium's own app, another integration): a contact moved to another location, a review answered.
 * What the cache remembers of that resource's owners may no longer hold, so its entries are dropped and the next
 * call looks the owners up again. Dropping is always safe (it costs one lookup), so this errs on dropping more.
 *
 * Kinds and ids as the policy table keys them (operation-policy.ts): a contact by each of its identifiers (phone,
 * email, conversation uid: what `/v4/contacts/{identifier}` takes) and its uid; a conversation by its uid; the
 * other kinds by their uid. Event documents as podium-api.md describes Podium's objects.
 */

import { isJsonObject } from "../util/index.js";

/** One entry to drop: the kind of the policy table and the resource's id. */
export interface OwnerEntry {
  kind: string;
  id: string;
}

/** Most entries one event can name: a contact's identifiers are bounded by the event body's size, this by count. */
const MAX_ENTRIES = 64;

/** The entries an event of this type with this `data` makes stale; [] for anything unrecognised. */
export function ownerEntriesOfEvent(eventType: string, data: unknown): OwnerEntry[] {
  if (!isJsonObject(data)) return [];
  const obj = data;
  const out: OwnerEntry[] = [];
  const add = (kind: string, id: unknown): void => {
    if (typeof id === "string" && id !== "" && out.length < MAX_ENTRIES) out.push({ kind, id });
  };
  const family = eventType.slice(0, eventType.indexOf("."));
  switch (family) {
    case "contact": {
      add("contact", obj["uid"]);
      for (const id of strings(obj["phoneNumbers"])) add("contact", id);
      for (const id of strings(obj["emails"])) add("contact", id);
      for (const c of objects(obj["channels"])) add("contact", c["identifier"]);
      for (const c of objects(obj["conversations"])) {
        add("contact", c["uid"]);
        add("conversation", c["uid"]);
      }
      break;
    }
    case "message": {
      // A message names its conversation, which is also an identifier of the conversation's contact.
      const conv = obj["conversation"];
      const conversation = (isJsonObject(conv) ? conv["uid"] : undefined) ?? obj["conversationUid"];
      add("conversation", conversation);
      add("contact", conversation);
      break;
    }
    case "review":
      // review.invite_link_* carry the invite; the other review events the review.
      add(eventType.startsWith("review.invite_link_") ? "review_invite" : "review", obj["uid"]);
      add("review", obj["reviewUid"]);
      break;
    case "invoice":
      // invoice.refund_* carry the refund, the other invoice events the invoice.
      add(eventType.startsWith("invoice.refund_") ? "refund" : "invoice", obj["uid"]);
      add("invoice", obj["invoiceUid"]);
      break;
    case "call":
      add("call", obj["uid"]);
      break;
    default:
      break;
  }
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

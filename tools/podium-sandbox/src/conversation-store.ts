/**
 * Conversations: one per (location, channel identifier), owned by that location, holding their messages and
 * notes (which belong to the conversation and so to its location).
 */
import { randomUUID } from "node:crypto";
import type { Channel } from "./request-body.js";
import { ownersOf, ResourceStore, stored, type ResourceRef, type StoredResource } from "./resource-store.js";

/** A message in a conversation. */
export interface MessageRecord {
  uid: string;
  body: string;
  direction: "inbound" | "outbound";
  contactName: string | null;
  senderUid: string | null;
  attachmentUrl: string | null;
  attachmentContentType: string | null;
  deliveryStatus: string;
  sourceType: string;
  itemUid: string;
  createdAt: string;
}

/** A note on a conversation. */
export interface NoteRecord {
  uid: string;
  body: string;
  senderName: string;
  createdAt: string;
  updatedAt: string;
}

/** A conversation; `owners` is `[locationUid]`. */
export interface ConversationRecord extends StoredResource {
  locationUid: string;
  channel: Channel;
  contactName: string | null;
  assignedUserUid: string | null;
  assigneeUids: string[];
  closed: boolean;
  lastItemAt: string | null;
  messages: MessageRecord[];
  notes: NoteRecord[];
}

/** Podium's conversation object. */
export function conversationJson(c: ConversationRecord): Record<string, unknown> {
  return {
    uid: c.uid,
    assignedUserUid: c.assignedUserUid,
    assigneeUids: [...c.assigneeUids],
    channel: { ...c.channel },
    closed: c.closed,
    contactName: c.contactName,
    createdAt: c.createdAt,
    lastItemAt: c.lastItemAt,
    locationUid: c.locationUid,
    updatedAt: c.updatedAt,
  };
}

/** Podium's message object (podium-api.md §5). */
export function messageJson(c: ConversationRecord, m: MessageRecord): Record<string, unknown> {
  return {
    uid: m.uid,
    body: m.body,
    conversation: { uid: c.uid, channel: { ...c.channel }, assignedUserUid: c.assignedUserUid, startedAt: c.createdAt },
    location: { uid: c.locationUid, organizationUid: c.organizationUid },
    items: [
      {
        uid: m.itemUid,
        type: "message",
        body: m.body,
        sendBody: m.body,
        deliveryStatus: m.deliveryStatus,
        sourceType: m.sourceType,
        attachmentUrl: m.attachmentUrl,
        attachmentContentType: m.attachmentContentType,
        encryptedAt: null,
        createdAt: m.createdAt,
      },
    ],
    contactName: m.contactName,
    senderUid: m.senderUid,
    failureReason: null,
    attachmentUrl: m.attachmentUrl,
    webchatUrl: null,
    createdAt: m.createdAt,
  };
}

/** Podium's conversation note object. */
export function noteJson(c: ConversationRecord, n: NoteRecord): Record<string, unknown> {
  return {
    uid: n.uid,
    body: n.body,
    senderName: n.senderName,
    conversation: { uid: c.uid },
    location: { uid: c.locationUid },
    organization: { uid: c.organizationUid },
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
  };
}

/** The ledger ref of something inside a conversation: it belongs to the conversation's location. */
export function partRef(c: ConversationRecord, uid: string): ResourceRef {
  return { uid, organizationUid: c.organizationUid, owners: c.owners };
}

/** A new message record. */
export function newMessage(body: string, direction: "inbound" | "outbound", now: string, extra: Partial<MessageRecord> = {}): MessageRecord {
  return {
    uid: randomUUID(),
    body,
    direction,
    contactName: null,
    senderUid: null,
    attachmentUrl: null,
    attachmentContentType: null,
    deliveryStatus: direction === "inbound" ? "delivered" : "pending",
    sourceType: "api",
    itemUid: randomUUID(),
    createdAt: now,
    ...extra,
  };
}

/** Conversations indexed also by (location, channel identifier). */
export class ConversationStore extends ResourceStore<ConversationRecord> {
  readonly #byChannel = new Map<string, ConversationRecord>();

  /** The conversation of a location with a channel identifier. */
  byChannel(locationUid: string, identifier: string): ConversationRecord | undefined {
    return this.#byChannel.get(`${locationUid}|${identifier.toLowerCase()}`);
  }

  override add(rec: ConversationRecord): ConversationRecord {
    super.add(rec);
    this.#byChannel.set(`${rec.locationUid}|${rec.channel.identifier.toLowerCase()}`, rec);
    return rec;
  }

  override remove(rec: ConversationRecord): void {
    super.remove(rec);
    const key = `${rec.locationUid}|${rec.channel.identifier.toLowerCase()}`;
    if (this.#byChannel.get(key) === rec) this.#byChannel.delete(key);
  }

  /**
   * The location's conversation with this channel, or a new one (closed unless `open`). A new conversation
   * takes `preferredUid` when no conversation has it yet (a contact's conversation uid, so it resolves).
   */
  open(organizationUid: string, locationUid: string, channel: Channel, now: string, preferredUid?: string): { conversation: ConversationRecord; created: boolean } {
    const found = this.byChannel(locationUid, channel.identifier);
    if (found !== undefined) return { conversation: found, created: false };
    const uid = preferredUid !== undefined && !this.has(preferredUid) ? preferredUid : randomUUID();
    const conversation = this.add({
      ...stored(uid, organizationUid, ownersOf([locationUid]), now),
      locationUid,
      channel: { ...channel },
      contactName: null,
      assignedUserUid: null,
      assigneeUids: [],
      closed: true,
      lastItemAt: null,
      messages: [],
      notes: [],
    });
    return { conversation, created: true };
  }
}

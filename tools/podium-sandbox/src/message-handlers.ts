/** Messages: send (plain or with an attachment), import, and read a conversation's messages. */
import { recordContactWrite } from "./contacts-handlers.js";
import { findConversation } from "./conversation-handlers.js";
import { conversationJson, messageJson, newMessage, partRef, type ConversationRecord, type MessageRecord } from "./conversation-store.js";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { bodyObject, bool, channel, dateTime, oneOf, str, type Channel } from "./request-body.js";
import { addressable, recordRead, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const CHANNEL_TYPES = ["phone", "email"];

/** What lands in a conversation. */
export interface Delivery {
  locationUid: string;
  channel: Channel;
  body: string;
  direction: "inbound" | "outbound";
  createdAt: string;
  contactName?: string;
  /** Podium documents that `contactName` on a send "updates an existing contact's name". */
  renameContact: boolean;
  setOpenInbox: boolean;
  attachment?: { url: string; contentType: string };
  /** The ledger kind of the new message. @default "message" */
  kind?: "message" | "campaign_message";
}

/**
 * Put a message into the location's conversation with the channel (opening one when needed) and record every
 * change: the conversation (created or updated), the message, and a renamed contact. Call after validating.
 */
export function deliver(state: SandboxState, req: V4Request, d: Delivery): { conversation: ConversationRecord; message: MessageRecord } {
  const org = req.grant.organizationUid;
  const contact = state.contacts.find(org, d.channel.identifier);
  const { conversation, created } = state.resources.conversations.open(org, d.locationUid, d.channel, d.createdAt, contact?.conversationUids[0]);
  const message = newMessage(d.body, d.direction, d.createdAt, {
    contactName: d.contactName ?? contact?.name ?? null,
    senderUid: d.direction === "outbound" ? req.grant.userUid : null,
    attachmentUrl: d.attachment?.url ?? null,
    attachmentContentType: d.attachment?.contentType ?? null,
  });
  conversation.messages.push(message);
  if (d.contactName !== undefined) conversation.contactName = d.contactName;
  else if (created && contact !== undefined) conversation.contactName = contact.name;
  if (d.setOpenInbox) conversation.closed = false;
  conversation.lastItemAt = d.createdAt;
  conversation.updatedAt = isoNow(state);
  recordWrite(state, req, "conversation", conversation, created ? "create" : "update", () => conversationJson(conversation));
  recordWrite(state, req, d.kind ?? "message", partRef(conversation, message.uid), "create", () => messageJson(conversation, message));
  if (d.renameContact && d.contactName !== undefined && contact !== undefined && contact.name !== d.contactName && addressable(state, req.grant, contact)) {
    contact.name = d.contactName;
    contact.updatedAt = conversation.updatedAt;
    recordContactWrite(state, req, contact, "update");
  }
  return { conversation, message };
}

/** The send fields shared by POST /v4/messages and the `data` part of /v4/messages/attachment. */
function readSend(b: Record<string, unknown>): { body: string; channel: Channel; locationUid: string; contactName?: string; setOpenInbox: boolean } {
  const body = str(b, "body", true);
  const ch = channel(b, "channel", CHANNEL_TYPES);
  const locationUid = str(b, "locationUid", true);
  const contactName = str(b, "contactName");
  str(b, "senderName");
  str(b, "subject");
  const setOpenInbox = bool(b, "setOpenInbox") ?? false;
  return { body, channel: ch, locationUid, setOpenInbox, ...(contactName === undefined ? {} : { contactName }) };
}

/** POST /v4/messages: `body`, `channel{identifier,type}` and `locationUid` required; 200 with the message. */
export function sendMessage(state: SandboxState, req: V4Request): Reply {
  const send = readSend(bodyObject(req.body));
  const { conversation, message } = deliver(state, req, { ...send, direction: "outbound", createdAt: isoNow(state), renameContact: true });
  return dataReply(state, req, messageJson(conversation, message));
}

/** POST /v4/messages/attachment (multipart): the `data` part is a send body; `attachment` the file. */
export function sendAttachment(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const data = b["data"];
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new PodiumHttpError("invalid_request_values", "data is required (a JSON object part)");
  const send = readSend(data as Record<string, unknown>);
  const file = b["attachment"] as { filename: string; contentType: string } | null | undefined;
  const now = isoNow(state);
  const attachment = file == null ? undefined : { url: `https://attachments.podium.invalid/${encodeURIComponent(now)}/${encodeURIComponent(file.filename)}`, contentType: file.contentType };
  const { conversation, message } = deliver(state, req, { ...send, direction: "outbound", createdAt: now, renameContact: true, ...(attachment === undefined ? {} : { attachment }) });
  return dataReply(state, req, messageJson(conversation, message));
}

/** POST /v4/import/messages: a past message (`direction`, `publishedAt`) into the location's conversation. */
export function importMessage(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const body = str(b, "body", true);
  const ch = channel(b, "channel", CHANNEL_TYPES);
  const contactName = str(b, "contactName", true);
  const direction = oneOf(b, "direction", ["inbound", "outbound"] as const, true) as "inbound" | "outbound";
  const locationUid = str(b, "locationUid", true);
  const publishedAt = dateTime(b, "publishedAt", true) as string;
  str(b, "subject");
  const { conversation, message } = deliver(state, req, { locationUid, channel: ch, body, direction, createdAt: new Date(publishedAt).toISOString(), contactName, renameContact: false, setOpenInbox: false });
  return dataReply(state, req, messageJson(conversation, message));
}

/** GET /v4/conversations/{conversation_uid}/messages: the conversation's messages, oldest first. */
export function listMessages(state: SandboxState, req: V4Request): Reply {
  const c = findConversation(state, req, req.params["conversation_uid"]);
  return listReply(state, req, {
    cursor: "messages",
    filters: [],
    kind: "message",
    items: () => c.messages,
    toJson: (m) => messageJson(c, m),
    ref: (m) => partRef(c, m.uid),
  });
}

/** GET /v4/conversations/{conversation_uid}/messages/{uid}. */
export function getMessage(state: SandboxState, req: V4Request): Reply {
  const c = findConversation(state, req, req.params["conversation_uid"]);
  const m = c.messages.find((x) => x.uid === req.params["uid"]);
  if (m === undefined) throw new PodiumHttpError("resource_not_found", "Message not found");
  recordRead(req, "message", partRef(c, m.uid));
  return dataReply(state, req, messageJson(c, m));
}

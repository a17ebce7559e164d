/** Conversations: list, get, update, assignees, lead writeback and notes. Each belongs to one location. */
import { randomUUID } from "node:crypto";
import { conversationJson, noteJson, partRef, type ConversationRecord } from "./conversation-store.js";
import type { Reply } from "./http-io.js";
import { bodyObject, bool, invalid, str, strings } from "./request-body.js";
import { findResource, readReply, recordRead, recordWrite } from "./resource-access.js";
import { LOCATION_FILTERS, listReply } from "./resource-list.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** A conversation the caller may address by uid; else 404. */
export function findConversation(state: SandboxState, req: V4Request, uid: string | undefined): ConversationRecord {
  return findResource(state, req.grant, state.resources.conversations, uid, "Conversation");
}

/** Refuse user uids that are not users of the caller's organization. */
function checkUsers(state: SandboxState, req: V4Request, uids: readonly string[], field: string): void {
  for (const uid of uids) if (state.model.users.get(uid)?.orgSlug !== req.grant.orgSlug) invalid(`${field}: unknown user ${uid}`);
}

const recordUpdate = (state: SandboxState, req: V4Request, c: ConversationRecord): void => recordWrite(state, req, "conversation", c, "update", () => conversationJson(c));

function assigneesJson(c: ConversationRecord): Record<string, unknown> {
  return { assignedUserUid: c.assignedUserUid, assigneeType: c.assignedUserUid === null ? null : "user", assigneeUid: c.assignedUserUid, assignees: c.assigneeUids.map((uid) => ({ uid })) };
}

/** GET /v4/conversations: the conversations of the token's locations (or of `locationUid`). */
export function listConversations(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "conversations",
    filters: LOCATION_FILTERS,
    kind: "conversation",
    items: (_f, scope) => state.resources.conversations.select(org, scope, false),
    toJson: conversationJson,
  });
}

/** GET /v4/conversations/{uid}. */
export function getConversation(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.conversations, "conversation", "Conversation", conversationJson);
}

/** PUT /v4/conversations/{uid}: `assignedUserUid`, `closed`, `conversationAssigneeUids`, `assignedByName`. */
export function updateConversation(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  str(b, "assignedByName");
  const assignedUserUid = str(b, "assignedUserUid");
  const closed = bool(b, "closed");
  const assignees = strings(b, "conversationAssigneeUids", false);
  checkUsers(state, req, [...(assignedUserUid === undefined ? [] : [assignedUserUid]), ...(assignees ?? [])], "assignee");
  const c = findConversation(state, req, req.params["uid"]);
  if (assignedUserUid !== undefined) c.assignedUserUid = assignedUserUid;
  if (closed !== undefined) c.closed = closed;
  if (assignees !== undefined) c.assigneeUids = [...assignees];
  c.updatedAt = isoNow(state);
  recordUpdate(state, req, c);
  return dataReply(state, req, conversationJson(c));
}

/** GET /v4/conversations/{uid}/assignees. */
export function getAssignees(state: SandboxState, req: V4Request): Reply {
  const c = findConversation(state, req, req.params["uid"]);
  recordRead(req, "conversation", c);
  return dataReply(state, req, assigneesJson(c));
}

/** PUT /v4/conversations/{uid}/assignees: `assigneeUids` replace the assignees; answers a one-item array. */
export function updateAssignees(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const uids = strings(b, "assigneeUids", false) ?? [];
  bool(b, "keepAiAssignment");
  str(b, "name");
  checkUsers(state, req, uids, "assigneeUids");
  const c = findConversation(state, req, req.params["uid"]);
  c.assigneeUids = [...uids];
  c.assignedUserUid = uids[0] ?? null;
  c.updatedAt = isoNow(state);
  recordUpdate(state, req, c);
  return dataReply(state, req, [assigneesJson(c)]);
}

/** POST /v4/conversations/{uid}/lead_writeback: sends the conversation to the connected CRM (a read of it). */
export function leadWriteback(state: SandboxState, req: V4Request): Reply {
  const c = findConversation(state, req, req.params["uid"]);
  recordRead(req, "conversation", c);
  return dataReply(state, req, { conversation: { uid: c.uid } });
}

/** POST /v4/conversations/{uid}/notes: `body` and `senderName` required; the note belongs to the conversation. */
export function createNote(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const body = str(b, "body", true);
  const senderName = str(b, "senderName", true);
  const c = findConversation(state, req, req.params["uid"]);
  const now = isoNow(state);
  const note = { uid: randomUUID(), body, senderName, createdAt: now, updatedAt: now };
  c.notes.push(note);
  recordWrite(state, req, "conversation_note", partRef(c, note.uid), "create", () => noteJson(c, note));
  return dataReply(state, req, noteJson(c, note));
}

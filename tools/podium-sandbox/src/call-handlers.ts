/** Phone calls: each belongs to one location (and names its organization). */
import type { Reply } from "./http-io.js";
import { readReply } from "./resource-access.js";
import type { StoredResource } from "./resource-store.js";
import type { SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

/** A call; `owners` is `[locationUid]`. */
export interface CallRecord extends StoredResource {
  locationUid: string;
  conversationUid: string | null;
  customerPhoneNumber: string;
  locationPhoneNumber: string | null;
  direction: "inbound" | "outbound";
  durationSeconds: number;
  status: string;
  hasVoicemail: boolean;
  userUid: string | null;
}

/** Podium's call object. */
export function callJson(c: CallRecord): Record<string, unknown> {
  const ended = new Date(Date.parse(c.createdAt) + c.durationSeconds * 1000).toISOString();
  return {
    uid: c.uid,
    conversationUid: c.conversationUid,
    customerPhoneNumber: c.customerPhoneNumber,
    direction: c.direction,
    durationSeconds: c.durationSeconds,
    endedAt: ended,
    hasVoicemail: c.hasVoicemail,
    isPrivate: false,
    locationPhoneNumber: c.locationPhoneNumber,
    locationUid: c.locationUid,
    organizationUid: c.organizationUid,
    startedAt: c.createdAt,
    status: c.status,
    userUid: c.userUid,
  };
}

/** GET /v4/calls/{uid}. */
export function getCall(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.calls, "call", "Call", callJson);
}

import { randomBytes, randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { singleMetadata, PODIUM_VERSION, type SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

function invalid(message: string): never {
  throw new PodiumHttpError("invalid_request_values", message);
}

function bodyObject(req: V4Request): Record<string, unknown> {
  const b = req.body;
  if (typeof b !== "object" || b === null || Array.isArray(b)) invalid("The request body must be a JSON object");
  return b as Record<string, unknown>;
}

/** POST /v4/messages: `body`, `channel{identifier,type}` and `locationUid` required; 200 with a message. */
export function sendMessage(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req);
  if (typeof b["body"] !== "string" || b["body"] === "") invalid("body is required");
  const channel = b["channel"] as Record<string, unknown> | undefined;
  if (typeof channel !== "object" || channel === null) invalid("channel is required");
  if (typeof channel["identifier"] !== "string" || channel["identifier"] === "") invalid("channel.identifier is required");
  if (channel["type"] !== "phone" && channel["type"] !== "email") invalid("channel.type must be phone or email");
  const identifier = channel["identifier"];
  const now = new Date(state.now()).toISOString();
  const contact = state.contacts.find(req.grant.organizationUid, identifier);
  const locationUid = b["locationUid"] as string;
  const message = {
    uid: randomUUID(),
    body: b["body"],
    conversation: {
      uid: contact?.conversationUid ?? randomUUID(),
      channel: { type: channel["type"], identifier },
      assignedUserUid: null,
      startedAt: contact?.createdAt ?? now,
    },
    location: { uid: locationUid, organizationUid: req.grant.organizationUid },
    items: [
      {
        uid: randomUUID(),
        type: "message",
        body: b["body"],
        sendBody: b["body"],
        deliveryStatus: "pending",
        sourceType: "api",
        attachmentUrl: null,
        attachmentContentType: null,
        encryptedAt: null,
        createdAt: now,
      },
    ],
    contactName: typeof b["contactName"] === "string" ? b["contactName"] : (contact?.name ?? null),
    senderUid: null,
    failureReason: null,
    attachmentUrl: null,
    webchatUrl: null,
    createdAt: now,
  };
  return { status: 200, body: { data: message, metadata: singleMetadata(state, req.path) } };
}

/** POST /v4/reviews/invites: `locationUid` required, `email`/`phoneNumber` optional; 200 with an invite. */
export function createReviewInvite(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req);
  for (const key of ["email", "phoneNumber"]) {
    if (b[key] !== undefined && (typeof b[key] !== "string" || b[key] === "")) invalid(`${key} must be a non-empty string`);
  }
  const now = new Date(state.now()).toISOString();
  const code = randomBytes(6).toString("base64url");
  const channel = b["phoneNumber"] !== undefined ? { type: "phone", identifier: b["phoneNumber"] } : b["email"] !== undefined ? { type: "email", identifier: b["email"] } : null;
  const invite = {
    uid: randomUUID(),
    shortUrl: `https://podium.co/r/${code}`,
    url: `https://www.podium.com/review-invite/${code}`,
    channel,
    customerName: null,
    deliveryStatus: "pending",
    linkClicked: false,
    linkClickedAt: null,
    location: { uid: b["locationUid"], organizationUid: req.grant.organizationUid },
    sender: { uid: req.grant.userUid, name: null, type: "integration", sentThrough: "api" },
    languages: [],
    test: false,
    conversationItemUid: randomUUID(),
    attributions: [],
    createdAt: now,
    updatedAt: now,
  };
  return { status: 200, body: { data: invite, metadata: singleMetadata(state, req.path) } };
}

// Webhook create/update need the read scope of each subscribed event family (podium-api.md §1).
const eventFamilyScope: Readonly<Record<string, string>> = {
  call: "read_phones",
  contact: "read_contacts",
  invoice: "read_payments",
  message: "read_messages",
  review: "read_reviews",
};

/** Check a webhook write: `url` and `eventTypes` (create), one of locationUid/organizationUid, event scopes. */
export function checkWebhookWrite(req: V4Request): void {
  const b = bodyObject(req);
  const creating = req.method === "POST";
  if (creating || b["url"] !== undefined) {
    if (typeof b["url"] !== "string" || !/^https?:\/\//.test(b["url"])) invalid("url must be an http(s) URL");
  }
  const types = b["eventTypes"];
  if (creating || types !== undefined) {
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string")) invalid("eventTypes must be a non-empty array");
    for (const t of types as string[]) {
      const scope = eventFamilyScope[t.split(".")[0] as string];
      if (scope === undefined) invalid(`Unknown event type: ${t}`);
      if (!req.grant.scopes.has(scope)) throw new PodiumHttpError("unauthorized", `Missing scope ${scope} for event type ${t}`);
    }
  }
  if (creating && b["locationUid"] === undefined && b["organizationUid"] === undefined) invalid("locationUid or organizationUid is required");
}

/**
 * Any other v4 operation: the documented success status and `{data, metadata}`. Collection GETs answer an
 * empty page; everything else echoes the body under a uid (the last path parameter, or a new one).
 */
export function genericOperation(state: SandboxState, req: V4Request): Reply {
  const { route } = req;
  const last = route.template.slice(route.template.lastIndexOf("/") + 1);
  if (req.method === "GET" && !last.startsWith("{") && !last.endsWith("summary")) {
    return {
      status: route.status,
      body: { data: [], metadata: { nextCursor: null, previousCursor: null, totalItems: 0, url: `${state.baseUrl}${req.path}`, version: PODIUM_VERSION } },
    };
  }
  const lastParam = route.params[route.params.length - 1];
  const uid = lastParam === undefined ? randomUUID() : (req.params[lastParam] as string);
  const now = new Date(state.now()).toISOString();
  const echo = typeof req.body === "object" && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
  const data: Record<string, unknown> = { uid, ...echo, createdAt: now, updatedAt: now };
  if (req.locationUids.length === 1 && data["locationUid"] === undefined) data["locationUid"] = req.locationUids[0];
  return { status: route.status, body: { data, metadata: singleMetadata(state, req.path) } };
}

/** Webhook subscriptions: each subscribes to one location, or (with `organizationUid`) to the whole organization. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { bodyObject, bool, invalid, str } from "./request-body.js";
import { findResource, readReply, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { NO_OWNERS, ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** The 26 event types of Podium's webhook schema. */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [
  ...["completed", "missed", "received", "voicemail_left"].map((e) => `call.${e}`),
  ...["created", "deleted", "merged", "unchanged", "updated"].map((e) => `contact.${e}`),
  ...["created", "disabled", "marked_as_paid", "payment_created", "payment_failed", "payment_succeeded", "refund_created", "refund_failed"].map((e) => `invoice.${e}`),
  ...["failed", "received", "sent"].map((e) => `message.${e}`),
  ...["created", "updated", "invite_link_created", "invite_link_updated", "response_created", "response_updated"].map((e) => `review.${e}`),
];
const KNOWN_EVENTS = new Set(WEBHOOK_EVENT_TYPES);

// Webhook create/update need the read scope of each subscribed event family (podium-api.md §1).
const eventFamilyScope: Readonly<Record<string, string>> = {
  call: "read_phones",
  contact: "read_contacts",
  invoice: "read_payments",
  message: "read_messages",
  review: "read_reviews",
};

/** A webhook; `owners` is `[locationUid]`, or [] for an organization webhook. */
export interface WebhookRecord extends StoredResource {
  url: string;
  secret: string | null;
  disabled: boolean;
  eventTypes: string[];
  locationUid: string | null;
}

/** Podium's webhook object: `locationUid` for a location webhook, `organizationUid` for an organization one. */
export function webhookJson(w: WebhookRecord): Record<string, unknown> {
  return {
    uid: w.uid,
    createdAt: w.createdAt,
    disabled: w.disabled,
    eventTypes: [...w.eventTypes],
    locationUid: w.locationUid,
    organizationUid: w.locationUid === null ? w.organizationUid : null,
    secret: w.secret,
    updatedAt: w.updatedAt,
    url: w.url,
  };
}

/** A new webhook record. */
export function newWebhook(uid: string, organizationUid: string, locationUid: string | null, url: string, eventTypes: string[], now: string): WebhookRecord {
  return { ...stored(uid, organizationUid, locationUid === null ? NO_OWNERS : ownersOf([locationUid]), now), url, secret: null, disabled: false, eventTypes, locationUid };
}

/** Check a webhook write: `url` and `eventTypes` (create), one of locationUid/organizationUid, event scopes. */
export function checkWebhookWrite(req: V4Request): void {
  const b = bodyObject(req.body);
  const creating = req.method === "POST";
  if (creating || b["url"] !== undefined) {
    if (typeof b["url"] !== "string" || !/^https?:\/\//.test(b["url"])) invalid("url must be an http(s) URL");
  }
  const types = b["eventTypes"];
  if (creating || types !== undefined) {
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string")) invalid("eventTypes must be a non-empty array");
    for (const t of types as string[]) {
      if (!KNOWN_EVENTS.has(t)) invalid(`Unknown event type: ${t}`);
      const scope = eventFamilyScope[t.split(".")[0] as string] as string;
      if (!req.grant.scopes.has(scope)) throw new PodiumHttpError("unauthorized", `Missing scope ${scope} for event type ${t}`);
    }
  }
  // Checked here, before location access: a non-string uid would escape the grant check.
  str(b, "locationUid");
  str(b, "organizationUid");
  if (creating && b["locationUid"] === undefined && b["organizationUid"] === undefined) invalid("locationUid or organizationUid is required");
}

const find = (state: SandboxState, req: V4Request): WebhookRecord => findResource(state, req.grant, state.resources.webhooks, req.params["uid"], "Webhook");

/** GET /v4/webhooks: the webhooks of the token's locations and the organization's own. */
export function listWebhooks(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, { cursor: "webhooks", filters: [], kind: "webhook", items: (_f, scope) => state.resources.webhooks.select(org, scope, true), toJson: webhookJson });
}

/** POST /v4/webhooks: `organizationUid` wins over `locationUid` when both are given. */
export function createWebhook(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const secret = str(b, "secret") ?? null;
  const locationUid = b["organizationUid"] !== undefined ? null : (str(b, "locationUid", true) as string);
  const w = newWebhook(randomUUID(), req.grant.organizationUid, locationUid, b["url"] as string, [...(b["eventTypes"] as string[])], isoNow(state));
  w.secret = secret;
  state.resources.webhooks.add(w);
  recordWrite(state, req, "webhook", w, "create", () => webhookJson(w));
  return dataReply(state, req, webhookJson(w));
}

/** GET /v4/webhooks/{uid}. */
export function getWebhook(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.webhooks, "webhook", "Webhook", webhookJson);
}

/** PUT /v4/webhooks/{uid}: `url`, `eventTypes`, `secret`, `disabled`; the location or organization never changes. */
export function updateWebhook(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const secret = str(b, "secret");
  const disabled = bool(b, "disabled");
  const w = find(state, req);
  if (b["url"] !== undefined) w.url = b["url"] as string;
  if (b["eventTypes"] !== undefined) w.eventTypes = [...(b["eventTypes"] as string[])];
  if (secret !== undefined) w.secret = secret;
  if (disabled !== undefined) w.disabled = disabled;
  w.updatedAt = isoNow(state);
  recordWrite(state, req, "webhook", w, "update", () => webhookJson(w));
  return dataReply(state, req, webhookJson(w));
}

/** DELETE /v4/webhooks/{uid}: answers the deleted webhook. */
export function deleteWebhook(state: SandboxState, req: V4Request): Reply {
  const w = find(state, req);
  state.resources.webhooks.remove(w);
  recordWrite(state, req, "webhook", w, "delete", () => webhookJson(w));
  return dataReply(state, req, webhookJson(w));
}

/**
 * Which Podium webhook events a resource write raises, and the event document Podium posts for each:
 * `{"data": <object>, "metadata": {"event_type": "...", "version": "2021.04.01"}}` (podium-api.md, "Webhook
 * emitter"). Each event's `data` is an object that names its location where Podium's OpenAPI does (second
 * appendix of podium-api.md): a contact's `locations[]`, a message's or invoice's `location.uid`, a review's
 * `locations[]`, a call's `locationUid`.
 */
import type { ResourceChange } from "./resource-access.js";
import { reviewJson, type ReviewRecord } from "./review-handlers.js";
import { PODIUM_VERSION, type SandboxState } from "./sandbox-state.js";
import { WEBHOOK_EVENT_TYPES } from "./webhook-handlers.js";

/** One event to post: its type, the locations it concerns (for location webhooks) and its data. */
export interface WebhookEvent {
  eventType: string;
  organizationUid: string;
  /** The locations the event is about; a location webhook receives it when its location is among them. */
  locationUids: readonly string[];
  data: Record<string, unknown>;
}

const KNOWN = new Set(WEBHOOK_EVENT_TYPES);

/** True for one of the 26 event types of Podium's webhook schema. */
export function isWebhookEventType(t: unknown): t is string {
  return typeof t === "string" && KNOWN.has(t);
}

/** The event document as Podium serialises it; the signature covers exactly these bytes. */
export function eventDocument(event: Pick<WebhookEvent, "eventType" | "data">): string {
  return JSON.stringify({ data: event.data, metadata: { event_type: event.eventType, version: PODIUM_VERSION } });
}

/** Invoice operations and the events each raises (a charge creates a payment that succeeds at once). */
const invoiceOperationEvents: Readonly<Record<string, readonly string[]>> = {
  "POST /v4/invoices": ["invoice.created"],
  "POST /v4/invoices/{uid}/charge": ["invoice.payment_created", "invoice.payment_succeeded"],
  "POST /v4/invoices/{uid}/refund": ["invoice.refund_created"],
  "POST /v4/invoices/{uid}/cancel": ["invoice.disabled"],
};

/**
 * The events a write raises. Writes of kinds Podium sends no events for (tags, templates, campaigns, …) raise
 * none; payments raise theirs through their invoice, whose object names the location.
 */
export function eventsForChange(state: SandboxState, change: ResourceChange): WebhookEvent[] {
  const owners = change.action === "deleted" ? change.owners : change.ownersAfter;
  const one = (eventType: string, data: unknown, locationUids: readonly string[] = owners): WebhookEvent[] => [
    { eventType, organizationUid: change.organizationUid, locationUids, data: data as Record<string, unknown> },
  ];
  switch (change.kind) {
    case "contact":
      return one(`contact.${change.action}`, change.data);
    case "message":
    case "campaign_message":
      return change.action === "created" ? one("message.sent", change.data) : [];
    case "review":
      // A review changes when it is answered; review.response_* says so, with the review as its data.
      return change.action === "created" ? one("review.created", change.data) : [];
    case "review_response": {
      const review = reviewHolding(state, change.organizationUid, change.id);
      if (review === undefined || change.action === "deleted") return [];
      return one(`review.response_${change.action}`, reviewJson(review), review.owners);
    }
    case "review_invite":
      return change.action === "deleted" ? [] : one(change.action === "created" ? "review.invite_link_created" : "review.invite_link_updated", change.data);
    case "invoice":
      return (invoiceOperationEvents[change.operation] ?? []).flatMap((t) => one(t, change.data));
    case "refund":
      return change.action === "created" && change.operation === "POST /v4/refunds" ? one("invoice.refund_created", change.data) : [];
    default:
      return [];
  }
}

/** The review one of whose responses has this uid. */
function reviewHolding(state: SandboxState, organizationUid: string, responseUid: string): ReviewRecord | undefined {
  return state.resources.reviews.all(organizationUid).find((r) => r.responses.some((x) => x.uid === responseUid));
}

/**
 * For an event raised by hand (`emitEvent`): the minimal Podium object of its family, naming the location
 * where that family's object does. Calls, inbound messages and new reviews come from outside the API (a phone,
 * a customer, a review site), so only this hook raises them.
 */
export function syntheticData(eventType: string, uid: string, locationUid: string, organizationUid: string, at: string): Record<string, unknown> {
  const family = eventType.split(".")[0];
  switch (family) {
    case "call":
      return { uid, locationUid, organizationUid, direction: "inbound", status: eventType.slice(5), startedAt: at, hasVoicemail: eventType === "call.voicemail_left" };
    case "message":
      return { uid, body: "Synthetic message", location: { uid: locationUid, organizationUid }, createdAt: at, failureReason: eventType === "message.failed" ? "Attempted to send SMS to a landline." : null };
    case "review":
      return { uid, locations: [{ uid: locationUid }], review: { rating: 5, body: "Synthetic review", siteName: "Google" }, createdAt: at, updatedAt: at };
    case "invoice":
      return { uid, location: { uid: locationUid }, status: "created", createdAt: at, updatedAt: at };
    default:
      return { uid, locations: [{ uid: locationUid }], organization: { uid: organizationUid }, name: "Synthetic Contact", createdAt: at, updatedAt: at };
  }
}

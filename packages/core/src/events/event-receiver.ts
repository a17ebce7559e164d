/**
 * One inbound webhook, in one direction:
 *   subscription known? → body within bounds? → signature → timestamp window → a Podium event document? →
 *   its location is the subscription's (or, for an organization webhook, a location of its organization) and
 *   registered and not deleted? → the audit log takes lines? → stored durably (deduplicated) → the audit log still
 *   takes lines? → its line (durable under audit.fsync: always) → acknowledged.
 * Anything else is refused with the error's HTTP status and code, counted, audited, and never stored or delivered.
 * Every request of a known subscription leaves one audit line per location it concerned: endpoint = the event
 * type, method = EVENT, status = the HTTP status answered, never the payload.
 * The audit fails closed as for a routed write (router/router-audit.ts): while the log cannot take lines an event
 * is refused with ERR_LOC_AUDIT_UNAVAILABLE (503) and Podium retries it; one stored while the log failed stays
 * stored and unacknowledged, so Podium's retry is a duplicate, acknowledged once its line can be written.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  EventReplayedError,
  EventStoreUnavailableError,
  EventSubscriptionUnknownError,
  EventTooLargeError,
  isCoreError,
  LocationDeletedError,
  LocationMismatchError,
  UnknownLocationError,
  type CoreError,
  type CoreErrorCode,
} from "@podium-router/errors";
import { newRequestId } from "../ids.js";
import type { LocationRouterHandle } from "../router/index.js";
import type { EventsSettings } from "../settings/index.js";
import { eventLocations, parseEventDocument, type EventDocument } from "./event-document.js";
import type { AppendOutcome, EventStore } from "./event-store.js";
import type { EventsObserver } from "./events-observer.js";
import type { SubscriptionCache } from "./subscriptions/subscription-cache.js";
import type { WebhookSubscription } from "./subscriptions/subscription-store.js";
import { verifyWebhookSignature } from "./webhook-signature.js";

/** A webhook request as the transport read it. */
export interface WebhookRequest {
  /** The `{subscription}` of `POST /podium/webhooks/{subscription}`. */
  subscriptionId: string;
  /** `podium-timestamp`. */
  timestamp: string | undefined;
  /** `podium-signature`. */
  signature: string | undefined;
  /** The raw body; undefined when it exceeded `events.max_body_bytes` and was not read. */
  body: string | undefined;
}

/** What to answer Podium. */
export interface WebhookAnswer {
  status: number;
  body: { received: true; duplicate?: true } | { code: CoreErrorCode; message: string };
  /** The code of a refusal. */
  code?: CoreErrorCode | undefined;
  /**
   * For a refusal Podium should retry (503, 429): when, as the `Retry-After` header says it. The error's own
   * retryAfterMs where it has one, else {@link DEFAULT_RETRY_AFTER_MS}.
   */
  retryAfterMs?: number | undefined;
}

/** Retry-After of a retryable refusal that names no time of its own (the event store or the audit log is down). */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** The endpoint written for a request that never showed a known event type. */
const UNVERIFIED = "{unverified}";
/** The audit line's caller for events whose signature verified. */
const PODIUM_CALLER = "podium";

export interface EventReceiverDeps {
  router: Pick<LocationRouterHandle, "forgetOwners" | "peekLocation" | "recordAudit">;
  store: EventStore;
  subscriptions: SubscriptionCache;
  settings: Pick<EventsSettings, "timestampToleranceMs">;
  observer: EventsObserver;
  now: () => number;
}

export function createEventReceiver(deps: EventReceiverDeps): (req: WebhookRequest) => Promise<WebhookAnswer> {
  const { router, store, subscriptions, settings, observer, now } = deps;

  const answer = (started: number, outcome: string, a: WebhookAnswer): WebhookAnswer => {
    observer.received?.(outcome);
    observer.receiveLatency?.(performance.now() - started);
    return a;
  };

  return async function receive(req) {
    const started = performance.now();
    const found = await subscriptions.lookup(req.subscriptionId).catch(() => undefined);
    if (found === undefined) {
      // Not audited: the id is the requester's word and names no location; counted and answered.
      const err = new EventSubscriptionUnknownError({}, "no such subscription");
      return answer(started, err.code, refusal(err));
    }
    const { subscription: sub, secret } = found;
    /** One line; for an acknowledgment under audit.fsync: always, the promise of its durability. */
    const line = (locationUid: string, eventType: string, status: number, requestId: string, code?: CoreErrorCode, verified = false): Promise<void> | undefined =>
      router.recordAudit({ subject: { kind: "event", eventType }, locationUid, requestId, status, startedAt: started, errorCode: code, caller: verified ? PODIUM_CALLER : undefined });
    /** The audit gate: throws AuditUnavailableError while the log cannot take the lines of these locations. */
    const gate = (locationUids: string[], eventType: string, requestId: string): void => {
      for (const locationUid of locationUids) void router.recordAudit({ subject: { kind: "event", eventType }, locationUid, requestId, caller: PODIUM_CALLER, phase: "sent" });
    };
    const refuseAll = (e: CoreError, locationUids: string[], eventType: string, requestId: string): WebhookAnswer => {
      for (const uid of locationUids) void line(uid, eventType, e.httpStatus, requestId, e.code, true);
      return answer(started, e.code, refusal(e));
    };
    const refuse = (err: CoreError, eventType = UNVERIFIED, requestId = newRequestId(), locationUid = sub.locationUid, verified = false): WebhookAnswer => {
      void line(locationUid, eventType, err.httpStatus, requestId, err.code, verified);
      return answer(started, err.code, refusal(err));
    };

    const ctx = { locationUid: sub.locationUid };
    if (req.body === undefined) return refuse(new EventTooLargeError(ctx));
    let doc: EventDocument;
    try {
      verifyWebhookSignature({ secret, timestamp: req.timestamp, signature: req.signature, body: req.body }, now(), settings.timestampToleranceMs, ctx);
    } catch (err) {
      return refuse(asCoreError(err));
    }
    try {
      doc = parseEventDocument(req.body, ctx);
    } catch (err) {
      return refuse(asCoreError(err), UNVERIFIED, newRequestId(), sub.locationUid, true);
    }
    // Podium says (signed) these resources changed, perhaps outside the router: what the ownership cache holds of
    // their owners may be stale, so it is dropped whatever becomes of the event (dropping is always safe).
    await router.forgetOwners(sub.locationUid, doc.eventType, doc.data).catch(() => undefined);
    // The event's id doubles as the request id of its audit lines: every receipt of one event shares it.
    const requestId = doc.eventId;
    const targets = deliverTo(sub, eventLocations(doc.data));
    if (!Array.isArray(targets)) return refuse(targets, doc.eventType, requestId, sub.locationUid, true);

    // Fail closed: an event whose line the audit log cannot take is not stored, and Podium retries it.
    try {
      gate(targets, doc.eventType, requestId);
    } catch (err) {
      return refuseAll(asCoreError(err), targets, doc.eventType, requestId);
    }
    const requestHash = createHash("sha256").update(`${req.timestamp ?? ""}.${req.signature ?? ""}`).digest("hex");
    const receivedAt = now();
    let outcomes: AppendOutcome[];
    try {
      outcomes = await store.append(targets.map((locationUid) => ({ locationUid, eventId: doc.eventId, eventType: doc.eventType, receivedAt, subscriptionId: sub.subscriptionId, requestHash, body: req.body as string })));
    } catch (err) {
      return refuseAll(isCoreError(err) ? err : new EventStoreUnavailableError({ cause: err }), targets, doc.eventType, requestId);
    }
    // A request repeated byte for byte (same timestamp and signature) is a replay; Podium signs each retry afresh.
    if (outcomes.every((o) => !o.stored && o.replay)) {
      return refuseAll(new EventReplayedError(ctx, `event ${doc.eventId.slice(0, 16)}… was stored when this request first arrived`), targets, doc.eventType, requestId);
    }
    // Checked again: the log may have failed while the event was stored. It stays stored, unacknowledged.
    try {
      gate(targets, doc.eventType, requestId);
    } catch (err) {
      return refuseAll(asCoreError(err), targets, doc.eventType, requestId);
    }
    try {
      await Promise.all(targets.map((uid) => line(uid, doc.eventType, 200, requestId, undefined, true)));
    } catch (err) {
      // The line (status 200: stored) may still reach the disk later; the acknowledgment is withheld all the same.
      const e = asCoreError(err);
      return answer(started, e.code, refusal(e));
    }
    const duplicate = outcomes.every((o) => !o.stored);
    return answer(started, duplicate ? "duplicate" : "stored", { status: 200, body: duplicate ? { received: true, duplicate: true } : { received: true } });
  };

  /**
   * The locations the event is delivered to, or the refusal: a location webhook delivers only to its own location,
   * and only when the event names it; an organization webhook to each named location of its organization that the
   * router serves. Each must be registered and not deleted.
   */
  function deliverTo(sub: WebhookSubscription, named: string[]): string[] | CoreError {
    const ctx = { locationUid: sub.locationUid };
    const inOrganization = (uid: string): boolean => {
      // Registered under the organization the operator granted, and not known to belong to another one.
      const rec = router.peekLocation(uid);
      return rec !== undefined && rec.orgSlug === sub.orgSlug && (rec.organizationUid === undefined || rec.organizationUid === sub.organizationUid);
    };
    const candidates = sub.scope === "location" ? named.filter((uid) => uid === sub.locationUid) : named.filter(inOrganization);
    if (candidates.length === 0) {
      if (named.length === 0) return new LocationMismatchError(ctx, "the event names no location");
      // Another location the router serves, or only locations it does not know.
      return named.some((uid) => router.peekLocation(uid) !== undefined)
        ? new LocationMismatchError(ctx, "the event belongs to another location than its webhook's")
        : new UnknownLocationError(ctx, "the event names only locations this router does not serve");
    }
    const out: string[] = [];
    let refusal: CoreError | undefined;
    for (const uid of candidates) {
      const rec = router.peekLocation(uid);
      if (rec === undefined) refusal ??= new UnknownLocationError({ locationUid: uid }, "the webhook's location is no longer registered");
      else if (rec.state === "deleted") refusal ??= new LocationDeletedError({ locationUid: uid });
      else out.push(uid);
    }
    return out.length > 0 ? out : (refusal as CoreError);
  }
}

function refusal(err: CoreError): WebhookAnswer {
  const a: WebhookAnswer = { status: err.httpStatus, code: err.code, body: { code: err.code, message: err.message } };
  // A 503 or 429 tells Podium to come back; say when, so its retries do not hammer a router that is recovering.
  if (err.httpStatus === 503 || err.httpStatus === 429) a.retryAfterMs = err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  return a;
}

function asCoreError(err: unknown): CoreError {
  if (isCoreError(err)) return err;
  throw err;
}

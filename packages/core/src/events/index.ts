/**
 * Inbound Podium events, routed per location: the webhook receiver (signature, timestamp window, location checks,
 * durable deduplicated storage), the per-location event log (SQLite or PostgreSQL), WatchEvents streams, HTTP
 * forwarders, retention, and the webhook subscriptions `webhooks sync` manages. Built on a running router.
 */
export { createEventHub } from "./event-hub.js";
export type { EventHub, EventHubDeps, LocationEventsStatus } from "./event-hub.js";
export type { WebhookAnswer, WebhookRequest } from "./event-receiver.js";
export type { WatchedEvent, WatchRequest } from "./event-watch.js";
export type { ForwarderStatus } from "./event-forwarder.js";
export type { EventsObserver } from "./events-observer.js";
export { WEBHOOK_PATH_PREFIX } from "./webhook-sync.js";
export { reencryptWebhookSecrets } from "./create-event-stores.js";
export type { WebhookSyncRequest, WebhookSyncResult } from "./webhook-sync.js";
export { signWebhook, verifyWebhookSignature } from "./webhook-signature.js";
export { canonicalJson, eventLocations, isPodiumEventType, parseEventDocument } from "./event-document.js";
export { SUBSCRIPTION_ID_PATTERN } from "./subscriptions/subscription-store.js";
export type { SubscriptionStore, SubscriptionWithSecret, WebhookSubscription } from "./subscriptions/subscription-store.js";

// Parts, for tests and benchmarks that assemble the log by hand.
export { createSqliteEventStore } from "./sqlite/sqlite-event-store.js";
export type { AppendEvent, AppendOutcome, EventPage, EventStore, ForwardState, LogHead, StoredEvent } from "./event-store.js";
export { createFileSubscriptionStore } from "./subscriptions/file-subscription-store.js";

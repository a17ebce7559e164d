/**
 * The event hub: everything the router does with inbound Podium events, built on a running router. It owns the
 * event log, the webhook subscriptions, the receiver, the WatchEvents streams, the HTTP forwarders and retention.
 * The server hosts it: the receiver on its port, WatchEvents and SyncWebhooks as RPCs.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolveSecretRef } from "../credentials/index.js";
import type { CallContext, LocationRouterHandle } from "../router/index.js";
import { noopLogger, type CoreLogger } from "../util/index.js";
import { startEventForwarder, type EventForwarder, type ForwarderStatus } from "./event-forwarder.js";
import { createEventNotifier } from "./event-notifier.js";
import { createEventReceiver, type WebhookAnswer, type WebhookRequest } from "./event-receiver.js";
import type { EventStore } from "./event-store.js";
import { startWatch, watchFrom, type WatchedEvent, type WatchRequest } from "./event-watch.js";
import type { EventsObserver } from "./events-observer.js";
import { createEventStore, createSubscriptionStore } from "./create-event-stores.js";
import { createSubscriptionCache } from "./subscriptions/subscription-cache.js";
import type { SubscriptionStore } from "./subscriptions/subscription-store.js";
import { syncWebhooks, unsubscribeLocation, type WebhookSyncRequest, type WebhookSyncResult } from "./webhook-sync.js";

/** Retention runs at start and then this often. */
const RETENTION_INTERVAL_MS = 3_600_000;

/** What `locations status` shows of a location's events. */
export interface LocationEventsStatus {
  subscription?: { subscriptionId: string; scope: "location" | "organization"; podiumWebhookUid?: string | undefined } | undefined;
  /** The cursor of the location's newest stored event ("0" before the first). */
  lastCursor: string;
  /** Retention removed events up to this cursor. */
  prunedThrough: string;
  forwarder?: ForwarderStatus | undefined;
}

/** The event hub. */
export interface EventHub {
  /** `events.max_body_bytes`: the transport stops reading a webhook body past it. */
  readonly maxBodyBytes: number;
  /** One webhook request; the answer is sent to Podium as it is. */
  receive(req: WebhookRequest): Promise<WebhookAnswer>;
  /**
   * Checks the request (throws before any event: unknown or deleted location, bad or expired cursor, bad type) and
   * returns the stream, which ends when `signal` aborts or the hub ends its streams. Each item holds the next
   * events in order (one or more).
   */
  watch(req: WatchRequest, signal: AbortSignal): Promise<AsyncIterable<WatchedEvent[]>>;
  syncWebhooks(req: WebhookSyncRequest, ctx: CallContext): AsyncIterable<WebhookSyncResult>;
  /** Before a location is removed: delete its Podium webhook (best effort), its subscription and secret. */
  removeLocation(locationUid: string, ctx: CallContext): Promise<void>;
  status(locationUid: string): Promise<LocationEventsStatus>;
  /** Ends every WatchEvents stream (at shutdown, so subscribers reconnect elsewhere instead of holding it up). */
  endStreams(): void;
  /** Stops forwarders and retention, ends streams, closes the stores. The router is the caller's to close. */
  close(): Promise<void>;
}

/** What the hub is built from. */
export interface EventHubDeps {
  router: LocationRouterHandle;
  logger?: CoreLogger | undefined;
  observer?: EventsObserver | undefined;
  /** Environment for `env:` references (forwarder secrets, encryption keys). @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Clock, epoch ms. @default Date.now */
  now?: (() => number) | undefined;
  /** Stores built elsewhere (tests); default: from settings. */
  store?: EventStore | undefined;
  subscriptions?: SubscriptionStore | undefined;
}

/** Opens the stores, resolves forwarder secrets (failing on a missing one), starts forwarders and retention. */
export async function createEventHub(deps: EventHubDeps): Promise<EventHub> {
  const { router } = deps;
  const settings = router.settings.events;
  const logger = deps.logger ?? noopLogger;
  const observer = deps.observer ?? {};
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const store = deps.store ?? (await createEventStore(router.settings, env));
  let subscriptionStore: SubscriptionStore | undefined;
  const forwarders = new Map<string, EventForwarder>();
  try {
    subscriptionStore = deps.subscriptions ?? (await createSubscriptionStore(router.settings, env));
    const secrets = new Map<string, string>();
    for (const [uid, fw] of Object.entries(settings.forwarders)) secrets.set(uid, await resolveSecretRef(fw.secretRef, env, { label: `events.forwarders.${uid}.secret_ref`, locationUid: uid }));
    const subscriptions = createSubscriptionCache(subscriptionStore);
    await subscriptions.list(); // loads the cache, and fails now rather than on the first webhook
    const notifier = createEventNotifier(store, router.settings.events.backend === "postgres" ? 1_000 : 5_000);
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    for (const [uid, fw] of Object.entries(settings.forwarders)) {
      forwarders.set(uid, startEventForwarder({ locationUid: uid, settings: fw, secret: secrets.get(uid) as string, retry: settings.forwardRetry, timeoutMs: settings.forwardTimeoutMs, store, notifier, observer, logger, owner, now }));
    }
    const retain = (): void => {
      store.prune(now() - settings.retentionHours * 3_600_000).then(
        (removed) => removed > 0 && logger.info({ removed, retention_hours: settings.retentionHours }, "event retention removed old events"),
        (err: unknown) => logger.warn({ err: (err as Error).message }, "event retention failed; it runs again in an hour"),
      );
    };
    retain();
    const retention = setInterval(retain, RETENTION_INTERVAL_MS);
    retention.unref();

    const receive = createEventReceiver({ router, store, subscriptions, settings, observer, now });
    const watchDeps = { router, store, notifier, observer };
    let streams = new AbortController();
    let closed = false;

    return {
      maxBodyBytes: settings.maxBodyBytes,
      receive,
      async watch(req, signal) {
        const after = await startWatch(watchDeps, req);
        return watchFrom(watchDeps, req, after, AbortSignal.any([signal, streams.signal]));
      },
      syncWebhooks: (req, ctx) => syncWebhooks({ router, subscriptions, settings, now }, req, ctx),
      async removeLocation(uid, ctx) {
        const removed = await unsubscribeLocation({ router, subscriptions }, uid, ctx);
        if (removed !== undefined) logger.info({ location_uid: uid, subscription_id: removed.subscriptionId }, "webhook subscription removed with its location");
      },
      async status(uid) {
        const [head, sub, forwarder] = await Promise.all([store.head(uid), subscriptions.forLocation(uid), forwarders.get(uid)?.status()]);
        const orgSub = sub ?? (router.peekLocation(uid) === undefined ? undefined : await subscriptions.forOrganization(router.peekLocation(uid)?.orgSlug ?? ""));
        const s = orgSub?.subscription;
        return {
          subscription: s === undefined ? undefined : { subscriptionId: s.subscriptionId, scope: s.scope, podiumWebhookUid: s.podiumWebhookUid },
          lastCursor: String(head.lastSeq),
          prunedThrough: String(head.prunedThrough),
          forwarder,
        };
      },
      endStreams() {
        streams.abort();
        streams = new AbortController();
      },
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(retention);
        streams.abort();
        await Promise.all([...forwarders.values()].map((f) => f.stop()));
        notifier.close();
        await subscriptionStore?.close();
        await store.close();
      },
    };
  } catch (err) {
    await Promise.all([...forwarders.values()].map((f) => f.stop()));
    await subscriptionStore?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

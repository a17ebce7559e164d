/**
 * The `events` section: inbound Podium webhooks, the per-location event log and its delivery to subscribers.
 * The options live here rather than beside their component because `events/` sits above `settings/` (it builds
 * on the router); `events/` imports them from the settings index.
 */
import { isLocationUid, isOrgSlug, LOCATION_UID_RULE } from "../ids.js";
import { parseSecretRef } from "../credentials/index.js";
import type { StateSettings } from "../redis/index.js";
import { MAX_TIMER_MS, type SectionReader } from "./settings-reader.js";

/** Podium's 26 webhook event types ([SPEC] webhooks, the `eventTypes` enum). */
export const PODIUM_EVENT_TYPES: readonly string[] = Object.freeze([
  ...["completed", "missed", "received", "voicemail_left"].map((e) => `call.${e}`),
  ...["created", "deleted", "merged", "unchanged", "updated"].map((e) => `contact.${e}`),
  ...["created", "disabled", "marked_as_paid", "payment_created", "payment_failed", "payment_succeeded", "refund_created", "refund_failed"].map((e) => `invoice.${e}`),
  ...["failed", "received", "sent"].map((e) => `message.${e}`),
  ...["created", "updated", "invite_link_created", "invite_link_updated", "response_created", "response_updated"].map((e) => `review.${e}`),
]);

/** Where the event log lives. */
export type EventsBackend = "sqlite" | "postgres";

/** Off: the receiver's path answers 404 and WatchEvents is refused until an operator turns events on. */
export const DEFAULT_EVENTS_ENABLED = false;
/** One SQLite file per router: durable, deduplicating and indexed without another service. */
export const DEFAULT_EVENTS_BACKEND: EventsBackend = "sqlite";
/** Under the git-ignored state/ folder, beside the audit log and the locations file. */
export const DEFAULT_EVENTS_PATH = "state/events.sqlite";
/** 10 days: as long as Podium itself queues an undelivered event. */
export const DEFAULT_EVENTS_RETENTION_HOURS = 240;
/** 256 KiB: Podium's event documents are a few KiB; the bound caps memory per request. */
export const DEFAULT_EVENTS_MAX_BODY_BYTES = 256 * 1024;
/** 5 minutes either side of this host's clock: tolerates clock drift, refuses a captured request replayed later. */
export const DEFAULT_EVENTS_TIMESTAMP_TOLERANCE_MS = 300_000;
/** Beside the locations file: which webhook each location has, and where its secret is (file backend). */
export const DEFAULT_EVENTS_SUBSCRIPTIONS_PATH = "state/webhook-subscriptions.json";
/** A forwarded event is retried after 1 s, doubling up to 5 minutes … */
export const DEFAULT_FORWARD_BASE_DELAY_MS = 1_000;
export const DEFAULT_FORWARD_MAX_DELAY_MS = 300_000;
/** … 10 attempts (about 17 minutes) before it is dead-lettered and the forwarder moves on. */
export const DEFAULT_FORWARD_MAX_ATTEMPTS = 10;
/** A subscriber's endpoint must answer within 10 s. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** One location's HTTP forwarder: where its events are posted, and the secret they are signed with. */
export interface ForwarderSettings {
  /** The subscriber's endpoint (http or https). */
  url: string;
  /** Where the signing secret lives: `"env:NAME"` or `"file:PATH"`, never the secret itself. */
  secretRef: string;
  /** Only these event types; empty for every type. @default [] */
  eventTypes: string[];
}

/** `events.forward_retry`. */
export interface ForwardRetrySettings {
  /** @default 1000 */
  baseDelayMs: number;
  /** @default 300000 */
  maxDelayMs: number;
  /** Attempts before an event is dead-lettered. @default 10 */
  maxAttempts: number;
}

/** `events`. */
export interface EventsSettings {
  /** Receive Podium webhooks on `POST /podium/webhooks/{subscription}` and serve WatchEvents. @default false */
  enabled: boolean;
  /**
   * `sqlite` (one file per router) or `postgres` (the `credentials.postgres` database, shared by replicas;
   * required when several replicas run, `state.backend: redis` with `state.redis.replicas` > 1). @default "sqlite"
   */
  backend: EventsBackend;
  /** The SQLite file. @default "state/events.sqlite" */
  path: string;
  /** Events older than this are removed (and a cursor before them is refused). @default 240 */
  retentionHours: number;
  /** Largest webhook body accepted. @default 262144 */
  maxBodyBytes: number;
  /** A `podium-timestamp` further than this from the router's clock is refused. @default 300000 */
  timestampToleranceMs: number;
  /** The event types each location's webhook subscribes to. @default all 26 */
  eventTypes: string[];
  /** Organization slugs granted ONE organization-wide webhook instead of one per location. @default [] */
  organizationWebhooks: string[];
  /** The subscriptions file (credentials.backend file); secrets sit in `<dir>/webhook-secrets/`. @default "state/webhook-subscriptions.json" */
  subscriptionsPath: string;
  /** Per location uid: an HTTP endpoint its events are forwarded to. @default {} */
  forwarders: Record<string, ForwarderSettings>;
  forwardRetry: ForwardRetrySettings;
  /** @default 10000 */
  forwardTimeoutMs: number;
}

const EVENT_TYPES = new Set(PODIUM_EVENT_TYPES);

/**
 * Reads the `events` section. `state` decides whether the embedded log is allowed: replicas each with their own
 * SQLite file would each hold a part of every location's events. @internal called by validateSettings
 */
export function readEventsSettings(ev: SectionReader, state: StateSettings): EventsSettings {
  const enabled = ev.bool("enabled", DEFAULT_EVENTS_ENABLED);
  const backend = ev.oneOf("backend", DEFAULT_EVENTS_BACKEND, ["sqlite", "postgres"]);
  if (enabled && backend === "sqlite" && state.backend === "redis" && state.redis.replicas > 1) {
    ev.fail("backend", "must be postgres when several replicas run (state.backend: redis, state.redis.replicas > 1): each replica's own SQLite file would hold only the events it received");
  }
  const types = (key: string, fallback: readonly string[], allowEmpty: boolean, reader: SectionReader = ev): string[] => {
    const v = reader.raw(key);
    if (v === undefined || v === null) return [...fallback];
    if (!Array.isArray(v) || (!allowEmpty && v.length === 0)) reader.fail(key, `must be a${allowEmpty ? "n" : " non-empty"} array of Podium event types`);
    for (const t of v as unknown[]) {
      if (typeof t !== "string" || !EVENT_TYPES.has(t)) reader.fail(key, `must list Podium event types, e.g. contact.created (got ${JSON.stringify(String(t).slice(0, 40))})`);
    }
    return [...new Set(v as string[])];
  };
  const eventTypes = types("event_types", PODIUM_EVENT_TYPES, false);
  const orgs = ev.raw("organization_webhooks") ?? [];
  if (!Array.isArray(orgs) || !orgs.every((o) => isOrgSlug(o))) {
    ev.fail("organization_webhooks", "must be an array of organization slugs");
  }
  const fr = ev.section("forward_retry");
  const forwardRetry: ForwardRetrySettings = {
    baseDelayMs: fr.int("base_delay_ms", DEFAULT_FORWARD_BASE_DELAY_MS, 0, MAX_TIMER_MS),
    maxDelayMs: fr.int("max_delay_ms", DEFAULT_FORWARD_MAX_DELAY_MS, 0, MAX_TIMER_MS),
    maxAttempts: fr.int("max_attempts", DEFAULT_FORWARD_MAX_ATTEMPTS, 1, 1000),
  };
  if (forwardRetry.maxDelayMs < forwardRetry.baseDelayMs) fr.fail("max_delay_ms", "must be >= events.forward_retry.base_delay_ms");
  fr.done();
  const fw = ev.section("forwarders");
  const forwarders: Record<string, ForwarderSettings> = {};
  for (const uid of Object.keys((ev.raw("forwarders") ?? {}) as object)) {
    if (!isLocationUid(uid)) ev.fail("forwarders", `must be keyed by location uids (${LOCATION_UID_RULE}); ${JSON.stringify(uid.slice(0, 40))} is not one`);
    const one = fw.section(uid);
    const secretRef = one.string("secret_ref", "");
    try {
      parseSecretRef(secretRef);
    } catch {
      one.fail("secret_ref", 'must be a secret reference, "env:NAME" or "file:PATH", naming where the signing secret is; never the secret itself (the value is not shown)');
    }
    forwarders[uid] = { url: one.url("url", ""), secretRef, eventTypes: types("event_types", [], true, one) };
    if (forwarders[uid].url === "") one.fail("url", "is required: the subscriber's http(s) endpoint");
    one.done();
  }
  fw.done();
  const out: EventsSettings = {
    enabled,
    backend,
    path: ev.string("path", DEFAULT_EVENTS_PATH),
    retentionHours: ev.int("retention_hours", DEFAULT_EVENTS_RETENTION_HOURS, 1, 24 * 3650),
    maxBodyBytes: ev.int("max_body_bytes", DEFAULT_EVENTS_MAX_BODY_BYTES, 1024, 16 * 1024 * 1024),
    timestampToleranceMs: ev.int("timestamp_tolerance_ms", DEFAULT_EVENTS_TIMESTAMP_TOLERANCE_MS, 1_000, 24 * 3_600_000),
    eventTypes,
    organizationWebhooks: [...new Set(orgs as string[])],
    subscriptionsPath: ev.string("subscriptions_path", DEFAULT_EVENTS_SUBSCRIPTIONS_PATH),
    forwarders,
    forwardRetry,
    forwardTimeoutMs: ev.int("forward_timeout_ms", DEFAULT_FORWARD_TIMEOUT_MS, 1, MAX_TIMER_MS),
  };
  ev.done();
  return out;
}

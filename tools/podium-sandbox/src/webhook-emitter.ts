/**
 * The sandbox's webhook emitter: what Podium does after a write (podium-api.md, "Webhooks" and "Webhook
 * emitter"). Each event goes to every enabled webhook of its organization that subscribes to its type and
 * covers it (an organization webhook, or a location webhook of one of the event's locations), as
 * `{data, metadata: {event_type, version}}`, signed with `podium-timestamp` (epoch ms) and `podium-signature`
 * (HMAC-SHA256 of `timestamp.body`) when the webhook has a secret.
 *
 * Each webhook has one queue, delivered in order: a non-2xx answer, a connection failure or no answer within
 * the timeout (5 s) is retried with backoff, and the event blocks every later one for that webhook until it
 * succeeds. After `maxAttempts` failures the webhook is disabled (`disabled: true`) and its queue kept; a
 * `PUT /v4/webhooks/{uid}` with `disabled: false` resumes it. Every attempt is signed afresh with its own
 * timestamp (a receiver checking a timestamp window could not accept an 8-hour-old one), over the same bytes.
 *
 * The sandbox posts only to loopback addresses unless `hosts: "any"`: a simulator that posts to any URL an API
 * caller names would be an open relay. Webhooks elsewhere (the seeded `hooks.*.example` ones) are skipped.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { ResourceChange } from "./resource-access.js";
import type { SandboxState } from "./sandbox-state.js";
import { eventDocument, eventsForChange, isWebhookEventType, syntheticData, type WebhookEvent } from "./webhook-events.js";
import type { WebhookRecord } from "./webhook-handlers.js";

/** How the emitter delivers; settable at start (`createSandbox({ webhooks })`) and at run time. */
export interface WebhookDeliveryConfig {
  /** Attempts per event before the webhook is disabled (Podium: about 15 over about 8 h). @default 15 */
  maxAttempts: number;
  /** Delay before the first retry; it doubles per attempt up to `maxDelayMs`. @default 60000 */
  baseDelayMs: number;
  /** The longest delay between two attempts. With the defaults the 15 attempts span about 7.7 h. @default 3000000 */
  maxDelayMs: number;
  /** An attempt without an answer within this long fails. @default 5000 */
  timeoutMs: number;
  /** How `podium-signature` is encoded (Podium does not say; receivers assume hex). @default "hex" */
  signatureEncoding: "hex" | "base64";
  /** Fault: sign with a wrong key, so a receiver must refuse every event. @default false */
  tamperSignatures: boolean;
  /** Which webhook hosts are posted to. @default "loopback" */
  hosts: "loopback" | "any";
}

export const DEFAULT_WEBHOOK_DELIVERY: Readonly<WebhookDeliveryConfig> = Object.freeze({
  maxAttempts: 15,
  baseDelayMs: 60_000,
  maxDelayMs: 3_000_000,
  timeoutMs: 5_000,
  signatureEncoding: "hex",
  tamperSignatures: false,
  hosts: "loopback",
});

/** One delivery attempt, as `sandbox.webhookDeliveries()` lists it. */
export interface WebhookDelivery {
  /** Grows by one per attempt, without gaps. */
  seq: number;
  /** The emitter's id of the event (not sent: Podium's documents carry no event id). */
  eventId: string;
  webhookUid: string;
  eventType: string;
  /** 1 for the first attempt at this event for this webhook. */
  attempt: number;
  /** The receiver's HTTP status; 0 when it gave none (connection failure, timeout). */
  status: number;
  /** True for a 2xx answer: the event is done for this webhook. */
  acknowledged: boolean;
  /** Why an attempt without a status failed. */
  error?: string;
  /** The document posted (the signed bytes). */
  body: string;
  /** ISO 8601 UTC. */
  at: string;
}

/** An event raised by hand: calls, inbound messages, new reviews (what no API write raises). */
export interface EmitEventInput {
  eventType: string;
  /** The location the event is about. */
  locationUid: string;
  /** The event's object; a minimal one of its family, naming the location, when absent. */
  data?: Record<string, unknown>;
}

/** What an emission did. */
export interface EmittedEvent {
  eventId: string;
  eventType: string;
  /** The webhooks it was queued for. */
  webhookUids: string[];
}

/** A webhook's queue, as `sandbox.webhookQueues()` reports it. */
export interface WebhookQueueState {
  webhookUid: string;
  /** Events waiting, the head (being tried) included. */
  pending: number;
  /** Failed attempts at the head so far. */
  attempts: number;
  disabled: boolean;
}

/** The emitter behind `createSandbox()`. @internal */
export interface WebhookEmitter {
  onChange(change: ResourceChange): void;
  emit(input: EmitEventInput): EmittedEvent;
  deliveries(sinceSeq?: number): WebhookDelivery[];
  queues(): WebhookQueueState[];
  config(): WebhookDeliveryConfig;
  setConfig(patch: Partial<WebhookDeliveryConfig>): WebhookDeliveryConfig;
  /** Resolves once every queue that can make progress is empty (or `timeoutMs` passes: false). */
  settle(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Thrown for a bad `emitEvent` input or delivery config; the admin API answers it 400. */
export class WebhookInputError extends Error {
  override name = "WebhookInputError";
}

interface QueuedEvent {
  eventId: string;
  eventType: string;
  body: string;
}

interface Queue {
  items: QueuedEvent[];
  attempts: number;
  running: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Keeps the delivery log bounded in long runs (a soak reads it with `since`). */
const DELIVERY_LOG_CAPACITY = 100_000;

export function createWebhookEmitter(state: SandboxState, initial: Partial<WebhookDeliveryConfig> = {}): WebhookEmitter {
  let config: WebhookDeliveryConfig = checkConfig({ ...DEFAULT_WEBHOOK_DELIVERY, ...initial });
  const queues = new Map<string, Queue>();
  const log: WebhookDelivery[] = [];
  let seq = 0;
  let closed = false;
  const inFlight = new Set<AbortController>();
  const settleWaiters = new Set<() => void>();

  const webhook = (uid: string): WebhookRecord | undefined => {
    for (const org of state.model.orgs.values()) {
      const w = state.resources.webhooks.get(org.organizationUid, uid);
      if (w !== undefined) return w;
    }
    return undefined;
  };

  const deliverable = (w: WebhookRecord): boolean => {
    if (config.hosts === "any") return true;
    try {
      const host = new URL(w.url).hostname;
      return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
    } catch {
      return false;
    }
  };

  function enqueue(event: WebhookEvent): EmittedEvent {
    const eventId = randomUUID();
    const body = eventDocument(event);
    const targets: string[] = [];
    for (const w of state.resources.webhooks.all(event.organizationUid)) {
      if (!w.eventTypes.includes(event.eventType)) continue;
      if (w.locationUid !== null && !event.locationUids.includes(w.locationUid)) continue;
      if (!deliverable(w)) continue;
      let q = queues.get(w.uid);
      if (q === undefined) queues.set(w.uid, (q = { items: [], attempts: 0, running: false, timer: undefined }));
      q.items.push({ eventId, eventType: event.eventType, body });
      targets.push(w.uid);
      kick(w.uid);
    }
    return { eventId, eventType: event.eventType, webhookUids: targets };
  }

  function kick(uid: string): void {
    const q = queues.get(uid);
    if (q === undefined || q.running || q.timer !== undefined || closed) return;
    q.running = true;
    void drain(uid, q).finally(() => {
      q.running = false;
      notifySettled();
    });
  }

  async function drain(uid: string, q: Queue): Promise<void> {
    while (!closed && q.items.length > 0) {
      const w = webhook(uid);
      if (w === undefined) {
        queues.delete(uid);
        return;
      }
      if (w.disabled) return;
      const head = q.items[0] as QueuedEvent;
      const ok = await attempt(w, head, q.attempts + 1);
      if (closed) return;
      if (ok) {
        q.items.shift();
        q.attempts = 0;
        continue;
      }
      q.attempts++;
      if (q.attempts >= config.maxAttempts) {
        // Podium disables the webhook and keeps its queue; re-enabling it resumes from the failed event.
        w.disabled = true;
        w.updatedAt = new Date(state.now()).toISOString();
        q.attempts = 0;
        return;
      }
      const delay = Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** (q.attempts - 1));
      q.timer = setTimeout(() => {
        q.timer = undefined;
        kick(uid);
      }, delay);
      q.timer.unref();
      return;
    }
  }

  async function attempt(w: WebhookRecord, item: QueuedEvent, attemptNo: number): Promise<boolean> {
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "podium-sandbox-webhooks" };
    if (w.secret !== null && w.secret !== "") {
      const ts = String(state.now());
      const key = config.tamperSignatures ? `${w.secret}-tampered` : w.secret;
      headers["podium-timestamp"] = ts;
      headers["podium-signature"] = createHmac("sha256", key).update(`${ts}.${item.body}`).digest(config.signatureEncoding);
    }
    const abort = new AbortController();
    inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${config.timeoutMs} ms`)), config.timeoutMs);
    let status = 0;
    let error: string | undefined;
    try {
      const res = await fetch(w.url, { method: "POST", headers, body: item.body, signal: abort.signal });
      status = res.status;
      // Read (and drop) the answer so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = abort.signal.aborted ? String((abort.signal.reason as Error | undefined)?.message ?? "aborted") : describeFetchError(err);
    } finally {
      clearTimeout(timer);
      inFlight.delete(abort);
    }
    const acknowledged = status >= 200 && status < 300;
    const entry: WebhookDelivery = { seq: ++seq, eventId: item.eventId, webhookUid: w.uid, eventType: item.eventType, attempt: attemptNo, status, acknowledged, body: item.body, at: new Date(state.now()).toISOString() };
    if (error !== undefined) entry.error = error;
    log.push(entry);
    if (log.length > DELIVERY_LOG_CAPACITY) log.splice(0, log.length - DELIVERY_LOG_CAPACITY);
    return acknowledged;
  }

  function notifySettled(): void {
    if (!isSettled()) return;
    for (const wake of settleWaiters) wake();
    settleWaiters.clear();
  }

  /** Settled: no queue that could still deliver holds an event (disabled webhooks wait for an operator). */
  function isSettled(): boolean {
    for (const [uid, q] of queues) {
      if (q.items.length === 0) continue;
      const w = webhook(uid);
      if (w !== undefined && !w.disabled) return false;
    }
    return true;
  }

  return {
    onChange(change) {
      if (closed) return;
      if (change.kind === "webhook") {
        // Re-enabled, or pointed elsewhere: try its queue again from the head; deleted: drop the queue.
        if (change.action === "deleted") {
          const q = queues.get(change.id);
          if (q?.timer !== undefined) clearTimeout(q.timer);
          queues.delete(change.id);
        } else {
          const q = queues.get(change.id);
          if (q !== undefined) {
            if (q.timer !== undefined) clearTimeout(q.timer);
            q.timer = undefined;
            q.attempts = 0;
            kick(change.id);
          }
        }
        return;
      }
      for (const event of eventsForChange(state, change)) enqueue(event);
    },
    emit(input) {
      if (closed) throw new WebhookInputError("the sandbox is closed");
      if (!isWebhookEventType(input.eventType)) throw new WebhookInputError(`eventType must be one of Podium's 26 webhook event types`);
      const loc = state.model.locations.get(input.locationUid);
      if (loc === undefined) throw new WebhookInputError(`unknown location ${input.locationUid}`);
      if (input.data !== undefined && (typeof input.data !== "object" || input.data === null || Array.isArray(input.data))) {
        throw new WebhookInputError("data must be an object");
      }
      const at = new Date(state.now()).toISOString();
      const data = input.data ?? syntheticData(input.eventType, randomUUID(), loc.uid, loc.organizationUid, at);
      return enqueue({ eventType: input.eventType, organizationUid: loc.organizationUid, locationUids: [loc.uid], data });
    },
    deliveries(sinceSeq = 0) {
      return log.filter((d) => d.seq > sinceSeq).map((d) => ({ ...d }));
    },
    queues() {
      return [...queues].map(([webhookUid, q]) => ({ webhookUid, pending: q.items.length, attempts: q.attempts, disabled: webhook(webhookUid)?.disabled ?? false }));
    },
    config: () => ({ ...config }),
    setConfig(patch) {
      config = checkConfig({ ...config, ...patch });
      return { ...config };
    },
    settle(timeoutMs) {
      if (isSettled()) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          settleWaiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        settleWaiters.add(wake);
      });
    },
    close() {
      closed = true;
      for (const q of queues.values()) if (q.timer !== undefined) clearTimeout(q.timer);
      for (const a of inFlight) a.abort(new Error("sandbox closed"));
      for (const wake of settleWaiters) wake();
      settleWaiters.clear();
    },
  };
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === "string" ? cause.code : err instanceof Error ? err.message : "request failed";
}

const INT_KEYS = ["maxAttempts", "baseDelayMs", "maxDelayMs", "timeoutMs"] as const;

/** Checks a delivery config; throws WebhookInputError naming the bad field. */
export function checkConfig(c: WebhookDeliveryConfig): WebhookDeliveryConfig {
  for (const key of Object.keys(c)) {
    if (!Object.hasOwn(DEFAULT_WEBHOOK_DELIVERY, key)) throw new WebhookInputError(`unknown webhook delivery setting ${JSON.stringify(key.slice(0, 40))}`);
  }
  for (const key of INT_KEYS) {
    const v = c[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < (key === "maxAttempts" || key === "timeoutMs" ? 1 : 0) || v > 2_147_483_647) {
      throw new WebhookInputError(`${key} must be an integer ${key === "maxAttempts" || key === "timeoutMs" ? ">= 1" : ">= 0"}`);
    }
  }
  if (c.maxDelayMs < c.baseDelayMs) throw new WebhookInputError("maxDelayMs must be >= baseDelayMs");
  if (c.signatureEncoding !== "hex" && c.signatureEncoding !== "base64") throw new WebhookInputError("signatureEncoding must be hex or base64");
  if (typeof c.tamperSignatures !== "boolean") throw new WebhookInputError("tamperSignatures must be true or false");
  if (c.hosts !== "loopback" && c.hosts !== "any") throw new WebhookInputError("hosts must be loopback or any");
  return c;
}

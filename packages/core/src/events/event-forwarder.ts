/**
 * The optional HTTP forwarder of one location: posts each event of the location's log to the subscriber's URL, in
 * order, one at a time, signed with the forwarder's own secret (`podium-router-timestamp`,
 * `podium-router-signature` = HMAC-SHA256(secret, `timestamp.body`), hex; the body is Podium's document as
 * received). A non-2xx answer, a connection failure or a timeout is retried with doubling backoff; after
 * `max_attempts` the event is dead-lettered (counted, its cursor kept, shown in `locations status`) and the
 * forwarder moves on. Its position is stored in the event log, so a restart resumes where it stopped; with a shared
 * log a lease keeps one replica forwarding each location.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import type { ForwarderSettings, ForwardRetrySettings } from "../settings/index.js";
import type { CoreLogger } from "../util/index.js";
import type { EventNotifier } from "./event-notifier.js";
import type { EventStore, ForwardState, StoredEvent } from "./event-store.js";
import type { EventsObserver } from "./events-observer.js";
import { signWebhook } from "./webhook-signature.js";

/** A forwarder holds its location for this long per claim, and renews it well before. */
const LEASE_MS = 15_000;

/** What `locations status` shows of a forwarder. */
export interface ForwarderStatus {
  /** The subscriber's origin (scheme, host, port): a path may carry a token, so it is not shown. */
  target: string;
  /** `ok`, `retrying` (the next event failed and waits for its next attempt), `dead_lettered` (events were given up on). */
  state: "ok" | "retrying" | "dead_lettered";
  deliveredCursor: string;
  /** Events stored after the delivered cursor (all types). */
  pending: number;
  attempts: number;
  nextAttemptAt?: number | undefined;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
  deadLetters: number;
  lastDeadCursor?: string | undefined;
}

export interface EventForwarderDeps {
  locationUid: string;
  settings: ForwarderSettings;
  /** The resolved signing secret. */
  secret: string;
  retry: ForwardRetrySettings;
  timeoutMs: number;
  store: EventStore;
  notifier: EventNotifier;
  observer: EventsObserver;
  logger: CoreLogger;
  /** This process's lease owner id. */
  owner: string;
  now: () => number;
}

export interface EventForwarder {
  status(): Promise<ForwarderStatus>;
  /** Stops after the attempt in flight. */
  stop(): Promise<void>;
}

/** Starts forwarding the location's events. */
export function startEventForwarder(deps: EventForwarderDeps): EventForwarder {
  const { locationUid, settings, store, notifier, retry, owner, now } = deps;
  const stopping = new AbortController();
  const signal = stopping.signal;
  const types = settings.eventTypes;
  const target = new URL(settings.url).origin;

  const pause = (ms: number): Promise<void> => sleep(Math.max(0, ms), undefined, { signal }).catch(() => undefined);

  async function step(): Promise<void> {
    if (!(await store.claimForwarder(locationUid, owner, LEASE_MS))) return pause(LEASE_MS / 3);
    const state = await store.forwardState(locationUid);
    const wait = (state.nextAttemptAt ?? 0) - now();
    if (wait > 0) return pause(Math.min(wait, LEASE_MS / 3));
    const page = await store.read(locationUid, state.deliveredSeq, 1, types);
    const event = page.events[0];
    if (event === undefined) {
      // Only events of other types since: move past them so status shows nothing pending for this forwarder.
      if (page.scannedThrough > state.deliveredSeq) await store.recordForward(locationUid, owner, { deliveredSeq: page.scannedThrough, attempts: 0 });
      else await notifier.waitFor(locationUid, state.deliveredSeq, AbortSignal.any([signal, AbortSignal.timeout(LEASE_MS / 3)]));
      return;
    }
    const result = await post(event);
    if (result.ok) {
      await store.recordForward(locationUid, owner, { deliveredSeq: event.seq, attempts: 0, lastStatus: result.status });
      deps.observer.delivered?.("forwarder");
      return;
    }
    const attempts = state.attempts + 1;
    if (attempts >= retry.maxAttempts) {
      await store.recordForward(locationUid, owner, { deliveredSeq: event.seq, attempts: 0, lastStatus: result.status, lastError: result.error, deadLetter: true });
      deps.observer.deadLettered?.();
      deps.logger.warn({ location_uid: locationUid, cursor: event.seq, event_type: event.eventType, attempts, last_error: result.error }, "forwarder gave up on an event after its last attempt (dead-lettered); it stays in the log at its cursor");
      return;
    }
    const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1));
    await store.recordForward(locationUid, owner, { deliveredSeq: state.deliveredSeq, attempts, nextAttemptAt: now() + delay, lastStatus: result.status, lastError: result.error });
  }

  async function post(e: StoredEvent): Promise<{ ok: boolean; status: number; error?: string }> {
    const ts = String(now());
    try {
      const res = await request(settings.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "podium-router-forwarder",
          "podium-router-timestamp": ts,
          "podium-router-signature": signWebhook(deps.secret, ts, e.body),
          "podium-router-event-id": e.eventId,
          "podium-router-event-type": e.eventType,
          "podium-router-location-uid": e.locationUid,
          "podium-router-cursor": String(e.seq),
        },
        body: e.body,
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutMs)]),
      });
      // The answer's body is the subscriber's business: read and dropped, never logged.
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return ok ? { ok, status: res.statusCode } : { ok, status: res.statusCode, error: `HTTP ${res.statusCode}` };
    } catch (err) {
      const code = (err as { code?: unknown; name?: unknown }).code ?? (err as { name?: unknown }).name;
      return { ok: false, status: 0, error: typeof code === "string" ? code : "request failed" };
    }
  }

  const running = (async () => {
    while (!signal.aborted) {
      try {
        await step();
      } catch (err) {
        // The log is unavailable or the lease was lost mid-way: try again shortly, the state is in the store.
        if (!signal.aborted) deps.logger.warn({ location_uid: locationUid, err: (err as Error).message }, "forwarder step failed; retrying");
        await pause(1_000);
      }
    }
  })();

  return {
    async status() {
      const [state, head]: [ForwardState, { lastSeq: number }] = await Promise.all([store.forwardState(locationUid), store.head(locationUid)]);
      return {
        target,
        state: state.attempts > 0 ? "retrying" : state.deadLetters > 0 ? "dead_lettered" : "ok",
        deliveredCursor: String(state.deliveredSeq),
        pending: Math.max(0, head.lastSeq - state.deliveredSeq),
        attempts: state.attempts,
        nextAttemptAt: state.nextAttemptAt,
        lastStatus: state.lastStatus,
        lastError: state.lastError,
        deadLetters: state.deadLetters,
        lastDeadCursor: state.lastDeadSeq === undefined ? undefined : String(state.lastDeadSeq),
      };
    },
    async stop() {
      stopping.abort();
      await running;
    },
  };
}

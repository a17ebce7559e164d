/**
 * WatchEvents: one location's events, from a cursor, in order, then as they arrive; at least once (a subscriber
 * resumes from the cursor of the last event it processed and gets everything after it, exactly as stored).
 */
import { BadRequestError, EventCursorExpiredError, LocationDeletedError, UnknownLocationError } from "@podium-router/errors";
import type { LocationRouterHandle } from "../router/index.js";
import { isPodiumEventType } from "./event-document.js";
import type { EventNotifier } from "./event-notifier.js";
import type { EventStore, StoredEvent } from "./event-store.js";
import type { EventsObserver } from "./events-observer.js";

/** What a subscriber asks for. */
export interface WatchRequest {
  locationUid: string;
  /** The cursor of the last event already processed; "" for the start of the retained log. */
  afterCursor: string;
  /** Only these types; empty for all. */
  eventTypes: readonly string[];
  /** Ignore `afterCursor` and start after the newest stored event. */
  onlyNew?: boolean | undefined;
}

/** One event as a subscriber receives it. */
export interface WatchedEvent {
  /** Resume after this event with `afterCursor` = this. */
  cursor: string;
  locationUid: string;
  eventType: string;
  /** The event's id (SHA-256 of its canonical document); also the request id of its audit lines. */
  eventId: string;
  /** Epoch ms the router stored it. */
  receivedAt: number;
  /** Podium's document as received: `{data, metadata}`. */
  body: string;
}

const PAGE = 100;
const CURSOR = /^\d{1,15}$/;

export interface EventWatchDeps {
  router: Pick<LocationRouterHandle, "peekLocation">;
  store: EventStore;
  notifier: EventNotifier;
  observer: EventsObserver;
}

/** Checks a watch request; throws before the first event (unknown location, bad or expired cursor, bad type). */
export async function startWatch(deps: EventWatchDeps, req: WatchRequest): Promise<number> {
  const { locationUid } = req;
  const rec = deps.router.peekLocation(locationUid);
  if (rec === undefined) throw new UnknownLocationError({ locationUid });
  if (rec.state === "deleted") throw new LocationDeletedError({ locationUid });
  for (const t of req.eventTypes) if (!isPodiumEventType(t)) throw new BadRequestError({ locationUid }, "event_types must list Podium event types, e.g. contact.created");
  if (req.afterCursor !== "" && !CURSOR.test(req.afterCursor)) throw new BadRequestError({ locationUid }, "after_cursor must be a cursor this router gave, or empty");
  const head = await deps.store.head(locationUid);
  if (req.onlyNew) return head.lastSeq;
  const after = req.afterCursor === "" ? head.prunedThrough : Number(req.afterCursor);
  if (after > head.lastSeq) throw new BadRequestError({ locationUid }, "after_cursor is ahead of this location's event log; it was given for another location or another router");
  if (after < head.prunedThrough) throw new EventCursorExpiredError({ locationUid }, `retention removed events up to cursor ${head.prunedThrough}`);
  return after;
}

/**
 * The stream from `after` (as `startWatch` returned it) until `signal` aborts: each item is what one read of the
 * log found (1 to 100 events, in order), so a subscriber catching up gets few messages rather than one per event.
 */
export async function* watchFrom(deps: EventWatchDeps, req: WatchRequest, after: number, signal: AbortSignal): AsyncGenerator<WatchedEvent[]> {
  deps.observer.streams?.(1);
  try {
    let pos = after;
    while (!signal.aborted) {
      const page = await deps.store.read(req.locationUid, pos, PAGE, req.eventTypes);
      if (page.events.length > 0) {
        yield page.events.map(toWatched);
        for (let i = 0; i < page.events.length; i++) deps.observer.delivered?.("stream");
      }
      pos = page.scannedThrough;
      if (page.events.length < PAGE) await deps.notifier.waitFor(req.locationUid, pos, signal);
    }
  } finally {
    deps.observer.streams?.(-1);
  }
}

function toWatched(e: StoredEvent): WatchedEvent {
  return { cursor: String(e.seq), locationUid: e.locationUid, eventType: e.eventType, eventId: e.eventId, receivedAt: e.receivedAt, body: e.body };
}

import { Code, ConnectError } from "@connectrpc/connect";
import type { Event } from "@podium-router/proto";
import { isConnectionFailure } from "./connection-failure.js";
import type { RouterClient } from "./router-client.js";

/** Options of `LocationHandle.events()`. */
export interface EventStreamOptions {
  /** The cursor of the last event already processed; "" (default) for the oldest retained event. */
  afterCursor?: string;
  /** Only these Podium event types; empty (default) for all. */
  eventTypes?: string[];
  /** Start after the newest stored event (ignores `afterCursor`). @default false */
  onlyNew?: boolean;
  /** Stops the stream (the iteration ends without an error). */
  signal?: AbortSignal;
  /** Reconnect when the stream ends or the connection fails, from the last event's cursor. @default true */
  reconnect?: boolean;
  /** Told of each reconnection, with the failure that caused it (undefined when the router ended the stream). */
  onReconnect?: (reason: Error | undefined, delayMs: number) => void;
}

/**
 * Codes after which reconnecting can succeed: the router went away or ended its streams (a shutdown). A broken
 * connection counts too whatever code it was given (connection-failure.ts).
 */
const RECONNECTABLE = new Set([Code.Unavailable, Code.Canceled, Code.Aborted, Code.Unknown, Code.DeadlineExceeded]);
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;

/**
 * One location's events, in order, across disconnects: after a stream ends or its connection fails, it reconnects
 * (200 ms, doubling to 5 s) from the cursor of the last event yielded, so nothing is skipped and nothing already
 * yielded comes again. Refusals (unknown location, a key without the location, an expired cursor) are thrown.
 * @internal behind `LocationHandle.events()`
 */
export async function* resumingEventStream(client: Pick<RouterClient, "watchEvents">, locationUid: string, options: EventStreamOptions = {}): AsyncGenerator<Event> {
  const signal = options.signal;
  // A function, not a narrowed property: the signal aborts while this generator is suspended.
  const stopped = (): boolean => signal?.aborted === true;
  let cursor = options.afterCursor ?? "";
  let onlyNew = options.onlyNew ?? false;
  let delay = FIRST_DELAY_MS;
  while (!stopped()) {
    let failure: Error | undefined;
    try {
      for await (const res of client.watchEvents({ locationUid, afterCursor: cursor, eventTypes: options.eventTypes ?? [], onlyNew }, { signal })) {
        for (const event of res.events) {
          if (stopped()) return;
          cursor = event.cursor;
          onlyNew = false;
          delay = FIRST_DELAY_MS;
          yield event;
        }
      }
    } catch (err) {
      if (stopped()) return;
      // A transport failure stays a ConnectError; a router refusal is a typed error whose cause is one.
      const wire = err instanceof ConnectError ? err : (err as { cause?: unknown }).cause;
      const code = wire instanceof ConnectError ? wire.code : undefined;
      const reconnectable = (code !== undefined && RECONNECTABLE.has(code)) || isConnectionFailure(err);
      if (options.reconnect === false || !reconnectable) throw err;
      failure = err as Error;
    }
    if (options.reconnect === false || stopped()) return;
    options.onReconnect?.(failure, delay);
    await sleep(delay, signal);
    delay = Math.min(MAX_DELAY_MS, delay * 2);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { formatTimestamp } from "../format/format-values.js";
import type { EventsFlags } from "../parse-args.js";

/**
 * `podium-router events tail`: follows one location's events and prints one JSON line per event, with Podium's
 * document as `event`. Reconnects from the last cursor printed (the client SDK's `location(uid).events()`), so a
 * router restart skips nothing; stops on SIGINT/SIGTERM or after `--count` events. The reconnections are told on
 * stderr, never on stdout, which stays one event per line.
 */
export async function eventsTailCommand(ctx: CommandContext, flags: EventsFlags): Promise<number> {
  const stop = new AbortController();
  const onShutdown = (): void => stop.abort();
  // Leaving the loop early (--count) ends the stream and its connection through the generator's return.
  ctx.io.shutdown.addEventListener("abort", onShutdown, { once: true });
  let printed = 0;
  try {
    const events = ctx.client.location(flags.locationUid).events({
      afterCursor: flags.afterCursor ?? "",
      onlyNew: flags.afterCursor === undefined && !flags.fromStart,
      eventTypes: flags.eventTypes,
      signal: stop.signal,
      onReconnect: (reason, delayMs) => println(ctx.io.stderr, `podium-router: event stream ${reason === undefined ? "ended" : `lost (${reason.message.split("\n")[0]})`}; reconnecting in ${delayMs} ms`),
    });
    for await (const e of events) {
      let event: unknown = e.body;
      try {
        event = JSON.parse(e.body);
      } catch {
        // Stored as received: print the text if it is not JSON.
      }
      println(ctx.io.stdout, JSON.stringify({ cursor: e.cursor, location_uid: e.locationUid, event_type: e.eventType, event_id: e.eventId, received_at: formatTimestamp(e.receivedAt), event }));
      if (flags.count !== undefined && ++printed >= flags.count) break;
    }
    return exitCodes.ok;
  } finally {
    ctx.io.shutdown.removeEventListener("abort", onShutdown);
  }
}

import type { AuditRecord } from "./audit-record.js";

/**
 * Intent lines (`phase: "sent"`) whose outcome line has not been seen (yet): a write that left for Podium
 * and whose answer was never recorded. Fed the lines of a log in order; what is left at the end has an
 * unknown outcome. Holds only the intents still open, so a whole log costs what is in flight, plus what a
 * crash left behind.
 * @internal
 */
export class OpenIntents<T> {
  readonly #open = new Map<string, T>();

  get size(): number {
    return this.#open.size;
  }

  /** A line of the log: an intent opens its request id, any other line with that id closes it. */
  see(requestId: string, intent: boolean, item: T): void {
    if (intent) this.#open.set(requestId, item);
    else if (this.#open.size > 0) this.#open.delete(requestId);
  }

  /** The intents still open, in the order they were seen; `keep` picks which of them stay open. */
  take(keep: (item: T) => boolean = () => false): T[] {
    const out: T[] = [];
    for (const [rid, item] of this.#open) {
      if (keep(item)) continue;
      out.push(item);
      this.#open.delete(rid);
    }
    return out;
  }
}

/**
 * A query's records with each intent line answered by its outcome line: an intent whose outcome line
 * follows is dropped (the outcome line is the call's record), one without is yielded as it is (`phase:
 * "sent"`, status 0: outcome unknown). `ordered` sources (the index: ts order, ties in log order) let an
 * intent go as soon as a later ts shows up, since the pipeline writes both lines with the call's start
 * time; a file scan waits for its end. `limit` counts what is yielded.
 * @internal
 */
export async function* pairIntents(source: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, ordered: boolean, limit = Number.POSITIVE_INFINITY): AsyncGenerator<AuditRecord, void, undefined> {
  let left = limit;
  if (left <= 0) return;
  const open = new OpenIntents<AuditRecord>();
  for await (const r of source) {
    if (ordered && open.size > 0) {
      const ts = r.ts;
      for (const unknown of open.take((i) => i.ts >= ts)) {
        yield unknown;
        if (--left <= 0) return;
      }
    }
    const intent = r.phase === "sent";
    open.see(r.request_id, intent, r);
    if (intent) continue;
    yield r;
    if (--left <= 0) return;
  }
  for (const unknown of open.take()) {
    yield unknown;
    if (--left <= 0) return;
  }
}

/**
 * Wakes readers of the event log when a location's log grows. It remembers the highest sequence number seen per
 * location, so a reader that registers after the append it waits for still wakes at once (no lost wake-up), and
 * it wakes everyone after `pollMs` anyway: a shared store's notifications can be missed (a dropped LISTEN
 * connection), a poll cannot.
 */
import type { EventStore } from "./event-store.js";

export interface EventNotifier {
  /** Resolves when the location's log has an event after `afterSeq`, after `pollMs`, or when `signal` aborts. */
  waitFor(locationUid: string, afterSeq: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

export function createEventNotifier(store: EventStore, pollMs: number): EventNotifier {
  const latest = new Map<string, number>();
  const waiters = new Map<string, Set<{ after: number; wake: () => void }>>();
  const stop = store.onAppended((uid, seq) => {
    if (seq > (latest.get(uid) ?? 0)) latest.set(uid, seq);
    const set = waiters.get(uid);
    if (set === undefined) return;
    for (const w of set) if (seq > w.after) w.wake();
  });
  return {
    waitFor(uid, afterSeq, signal) {
      if ((latest.get(uid) ?? 0) > afterSeq || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let set = waiters.get(uid);
        if (set === undefined) waiters.set(uid, (set = new Set()));
        const waiter = {
          after: afterSeq,
          wake: () => {
            clearTimeout(timer);
            signal.removeEventListener("abort", waiter.wake);
            set.delete(waiter);
            if (set.size === 0) waiters.delete(uid);
            resolve();
          },
        };
        const timer = setTimeout(waiter.wake, pollMs);
        signal.addEventListener("abort", waiter.wake, { once: true });
        set.add(waiter);
      });
    },
    close() {
      stop();
      for (const set of waiters.values()) for (const w of [...set]) w.wake();
    },
  };
}

import { waitFor } from "./call-signal.js";
import type { CallSignalContext } from "./call-signal.js";

interface Flight<T> {
  readonly controller: AbortController;
  promise: Promise<T>;
  /** Waiters with a signal that have not left yet. */
  waiters: number;
  /** A waiter without a signal never leaves, so the work is never abandoned. */
  pinned: boolean;
}

/**
 * At most one piece of work per key at a time; later callers for the same key join it. Keys are
 * independent: work for one key never waits on another's. The work gets a signal that fires only when
 * every waiter has left (each waits on its own signal), so work nobody wants is cancelled, while one
 * impatient caller never cancels it for the rest.
 * @internal
 */
export class SingleFlight<K, T> {
  readonly #flights = new Map<K, Flight<T>>();

  /** Joins the work in flight for `key`, or starts `work`. */
  run(key: K, work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined, context: CallSignalContext): Promise<T> {
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      const started: Flight<T> = { controller: new AbortController(), promise: Promise.resolve() as Promise<T>, waiters: 0, pinned: false };
      started.promise = (async () => work(started.controller.signal))().finally(() => {
        if (this.#flights.get(key) === started) this.#flights.delete(key);
      });
      // Handled here so that work every waiter abandoned cannot surface as an unhandled rejection.
      started.promise.catch(() => undefined);
      this.#flights.set(key, started);
      flight = started;
    }
    return this.#join(key, flight, signal, context);
  }

  /** True while work for `key` is in flight. */
  has(key: K): boolean {
    return this.#flights.has(key);
  }

  async #join(key: K, flight: Flight<T>, signal: AbortSignal | undefined, context: CallSignalContext): Promise<T> {
    if (signal === undefined) {
      flight.pinned = true;
      return flight.promise;
    }
    flight.waiters++;
    try {
      return await waitFor(flight.promise, { signal }, context);
    } catch (err) {
      if (signal.aborted && flight.waiters === 1 && !flight.pinned) {
        // The last one out cancels the work and unlists it, so a later caller starts afresh.
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
        flight.controller.abort(err);
      }
      throw err;
    } finally {
      flight.waiters--;
    }
  }
}

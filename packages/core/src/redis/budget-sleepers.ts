import { callerAbortError } from "../util/index.js";

interface Sleeper {
  timer: ReturnType<typeof setTimeout>;
  reject: (err: Error) => void;
}

/**
 * Calls of the Redis rate budgets sleeping until Redis said to ask again, by location: each wakes on its timer,
 * or is refused when its signal aborts, its location is removed or the budgets close.
 * @internal
 */
export class BudgetSleepers {
  readonly #byUid = new Map<string, Set<Sleeper>>();

  /** Resolves after `ms` (at least 1); rejects when `signal` aborts or `wake` refuses the location. */
  sleep(uid: string, ms: number, signal: AbortSignal | undefined, requestId: string | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let set = this.#byUid.get(uid);
      if (set === undefined) this.#byUid.set(uid, (set = new Set()));
      const onAbort = (): void => finish(callerAbortError(signal?.reason, { locationUid: uid, requestId }));
      const finish = (err?: Error): void => {
        clearTimeout(s.timer);
        signal?.removeEventListener("abort", onAbort);
        set.delete(s);
        if (set.size === 0 && this.#byUid.get(uid) === set) this.#byUid.delete(uid);
        if (err) reject(err);
        else resolve();
      };
      const s: Sleeper = { timer: setTimeout(() => finish(), Math.max(1, ms)), reject: (err) => finish(err) };
      set.add(s);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Refuses every call of `uid` that sleeps, with `err`. */
  refuse(uid: string, err: Error): void {
    for (const s of this.#byUid.get(uid) ?? []) s.reject(err);
  }

  /** Refuses every sleeping call, with the error `errorFor` gives its location. */
  refuseAll(errorFor: (uid: string) => Error): void {
    for (const [uid, set] of this.#byUid) for (const s of set) s.reject(errorFor(uid));
    this.#byUid.clear();
  }
}

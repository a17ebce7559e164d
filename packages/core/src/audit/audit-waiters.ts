interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** Callers of the audit writer waiting for a count of records to be durable (`flush()`) or for a reopen. @internal */
export class AuditWaiters {
  #waiters: Waiter[] = [];

  get size(): number {
    return this.#waiters.length;
  }

  /** Resolves once `settle()` is told of a count of at least `upTo` (or `resolveAll()`); rejects on `rejectAll()`. */
  wait(upTo = 0): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject });
    });
  }

  /** Resolves the waiters whose records are now durable: `durable` counts them. */
  settle(durable: number): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.upTo <= durable) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  resolveAll(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  rejectAll(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
}

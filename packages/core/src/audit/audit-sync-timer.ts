/**
 * When the next sync is due under `fsync: "interval"`: at most one timer armed, each interval counted from the
 * end of the sync before it.
 * @internal
 */
export class AuditSyncTimer {
  readonly #intervalMs: number;
  readonly #onDue: () => void;
  #due = false;
  #lastSyncAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(intervalMs: number, onDue: () => void) {
    this.#intervalMs = intervalMs;
    this.#onDue = onDue;
  }

  /** True once the interval since the last sync is over. */
  get due(): boolean {
    return this.#due;
  }

  arm(): void {
    if (this.#timer !== undefined || this.#due) return;
    const delay = Math.max(0, this.#lastSyncAt + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#due = true;
      this.#onDue();
    }, delay);
    // A pending sync must not hold the process open; close() syncs whatever is left.
    this.#timer.unref();
  }

  /** A sync starts: it covers what a pending timer was armed for. */
  syncing(): void {
    this.#due = false;
    this.stop();
  }

  /** A sync ended: the next interval counts from its end. */
  synced(): void {
    this.#lastSyncAt = Date.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Locks on contact identifiers (phone number, email, conversation uid) for the writes Podium treats as upserts on
 * them. An upsert's owner check and the write it guards must not be split by another location's write that attaches
 * the identifier to its own contact in between (the isolation soak found exactly that race at 8 calls in flight), so
 * such writes hold their identifiers from the check until Podium answered. In one process the locks below; with
 * `state.backend: redis` also a lease in Redis per identifier, so replicas take turns too
 * (redis/redis-identifier-locks.ts).
 */

/** What a wait is bounded by, and named in a refusal. */
export interface IdentifierLockWait {
  signal?: AbortSignal | undefined;
  /** Absolute deadline (epoch ms) of the call that waits. */
  deadline?: number | undefined;
  locationUid: string;
  requestId: string;
}

export interface IdentifierLocks {
  /**
   * Holds every key until the returned release is called; waits while another holder has one. Keys are taken in
   * sorted order, so two holders never wait on each other. Rejects (nothing held) when the wait is aborted, passes
   * the deadline, or the shared store is unreachable.
   */
  acquire(keys: readonly string[], wait: IdentifierLockWait): Promise<() => void>;
}

/** Locks by key in this process. */
export function createLocalIdentifierLocks(): IdentifierLocks {
  const held = new Map<string, Promise<void>>();
  return {
    async acquire(keys, wait) {
      const releases: (() => void)[] = [];
      const releaseAll = (): void => {
        for (const r of releases.splice(0)) r();
      };
      try {
        for (const key of [...new Set(keys)].sort()) {
          for (let busy = held.get(key); busy !== undefined; busy = held.get(key)) await busy;
          // A caller that went away while waiting takes nothing (and gives back what it took before).
          wait.signal?.throwIfAborted();
          let open!: () => void;
          held.set(key, new Promise<void>((resolve) => (open = resolve)));
          releases.push(() => {
            held.delete(key);
            open();
          });
        }
      } catch (err) {
        releaseAll();
        throw err;
      }
      return releaseAll;
    },
  };
}

/**
 * Contact-identifier locks shared by replicas (`state.backend: redis`): after the process's own lock, one lease per
 * identifier, `SET key owner NX PX lease`, released by compare-and-delete. The key holds a SHA-256 of the identifier,
 * never the phone number or email itself. A holder that dies leaves a lease that expires; Redis being unreachable
 * refuses the write (BudgetUnavailableError) rather than letting it run unserialised.
 */
import { createHash, randomUUID } from "node:crypto";
import { DeadlineExceededError } from "@podium-router/errors";
import type { IdentifierLocks } from "../isolation/index.js";
import { evalScript, type RedisConnection } from "./redis-connection.js";

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisIdentifierLocksOptions {
  /** The lease when the waiting call has no deadline, and the longest one taken. @default 30000 */
  maxLeaseMs?: number | undefined;
  /** Pause between attempts while another replica holds a lease. @default 20 */
  pollMs?: number | undefined;
}

/** The Redis key of one identifier lock. */
export function redisIdentifierLockKey(keyPrefix: string, key: string): string {
  return `${keyPrefix}identifier-lock:${createHash("sha256").update(key, "utf8").digest("base64url")}`;
}

export function createRedisIdentifierLocks(conn: RedisConnection, local: IdentifierLocks, opts: RedisIdentifierLocksOptions = {}): IdentifierLocks {
  const maxLeaseMs = opts.maxLeaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 20;
  return {
    async acquire(keys, wait) {
      const releaseLocal = await local.acquire(keys, wait);
      const owner = randomUUID();
      const taken: string[] = [];
      const releaseShared = (): void => {
        for (const k of taken.splice(0)) void conn.run((c) => evalScript(c, RELEASE_SCRIPT, [k], [owner])).catch(() => undefined);
      };
      try {
        for (const key of [...new Set(keys)].sort()) {
          const redisKey = redisIdentifierLockKey(conn.keyPrefix, key);
          // A holder's lease ends by maxLeaseMs at the latest, so a call without a deadline waits no longer.
          const giveUpAt = wait.deadline ?? Date.now() + maxLeaseMs + pollMs;
          for (;;) {
            const now = Date.now();
            const leaseMs = Math.max(1, Math.min(maxLeaseMs, wait.deadline === undefined ? maxLeaseMs : wait.deadline - now + 1_000));
            if ((await conn.run((c) => c.set(redisKey, owner, "PX", leaseMs, "NX"))) === "OK") break;
            wait.signal?.throwIfAborted();
            if (Date.now() + pollMs > giveUpAt) {
              throw new DeadlineExceededError({ locationUid: wait.locationUid, requestId: wait.requestId }, "another replica held this contact's phone number, email or conversation uid until the deadline");
            }
            await new Promise((resolve) => setTimeout(resolve, pollMs));
          }
          taken.push(redisKey);
        }
      } catch (err) {
        releaseShared();
        releaseLocal();
        throw err;
      }
      return () => {
        releaseShared();
        releaseLocal();
      };
    },
  };
}

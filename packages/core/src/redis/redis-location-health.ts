import { evalScript, type RedisConnection } from "./redis-connection.js";

/**
 * What replicas publish of one location for `GetLocationStatus` (the router's LocationHealthSnapshot, declared here
 * by shape because redis/ sits below router/ in the core's folder order).
 */
export interface SharedHealthSnapshot {
  lastSuccessAt?: number | undefined;
  lastError?: { code: string; at: number; requestId?: string | undefined; message: string } | undefined;
  lastRefresh?: { at: number; outcome: "ok" | "failed"; errorCode?: string | undefined } | undefined;
}

/** Options of `createRedisLocationHealth()`. */
export interface RedisLocationHealthOptions {
  /** How long an entry nobody updates is kept. @default 30 days */
  ttlMs?: number | undefined;
}

const DEFAULT_TTL_MS = 30 * 86_400_000;

/**
 * Keeps the later of each field in one round trip, on whatever order replicas publish in: `s` the last success
 * (epoch ms), `ea` the last error's time and `e` the error itself (JSON), `ra`/`r` the last token refresh's. The
 * key's TTL is refreshed each time.
 */
const PUBLISH_SCRIPT = `
local k = KEYS[1]
if ARGV[1] ~= '' and tonumber(ARGV[1]) > tonumber(redis.call('HGET', k, 's') or '0') then
  redis.call('HSET', k, 's', ARGV[1])
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) >= tonumber(redis.call('HGET', k, 'ea') or '0') then
  redis.call('HSET', k, 'ea', ARGV[2], 'e', ARGV[3])
end
if ARGV[5] ~= '' and tonumber(ARGV[5]) >= tonumber(redis.call('HGET', k, 'ra') or '0') then
  redis.call('HSET', k, 'ra', ARGV[5], 'r', ARGV[6])
end
redis.call('PEXPIRE', k, ARGV[4])
return 1`;

/**
 * Location health shared by replicas (`state.backend: redis`): one hash per location, `<prefix>health:<uid>`.
 * Best effort by design: a status is a view, not a decision, so an unreachable Redis (the connection's breaker)
 * skips a publication and makes a read a miss, and the status shows the answering replica's own view.
 */
export function createRedisLocationHealth(conn: RedisConnection, opts: RedisLocationHealthOptions = {}): {
  publish(locationUid: string, snapshot: SharedHealthSnapshot): Promise<void>;
  read(locationUid: string): Promise<SharedHealthSnapshot | undefined>;
  forget(locationUid: string): Promise<void>;
} {
  const ttlMs = Math.floor(opts.ttlMs ?? DEFAULT_TTL_MS);
  const keyOf = (uid: string): string => `${conn.keyPrefix}health:${encodeURIComponent(uid)}`;
  return {
    async publish(uid, snapshot) {
      const err = snapshot.lastError;
      const refresh = snapshot.lastRefresh;
      const args = [
        snapshot.lastSuccessAt === undefined ? "" : String(snapshot.lastSuccessAt),
        err === undefined ? "" : String(err.at),
        err === undefined ? "" : JSON.stringify(err),
        ttlMs,
        refresh === undefined ? "" : String(refresh.at),
        refresh === undefined ? "" : JSON.stringify(refresh),
      ];
      await conn.run((c) => evalScript(c, PUBLISH_SCRIPT, [keyOf(uid)], args)).catch(() => undefined);
    },
    async read(uid) {
      let raw: Record<string, string>;
      try {
        raw = await conn.run((c) => c.hgetall(keyOf(uid)));
      } catch {
        return undefined;
      }
      const lastSuccessAt = Number(raw["s"]);
      const out: SharedHealthSnapshot = {};
      if (Number.isFinite(lastSuccessAt) && lastSuccessAt > 0) out.lastSuccessAt = lastSuccessAt;
      const lastError = parseError(raw["e"]);
      if (lastError !== undefined) out.lastError = lastError;
      const lastRefresh = parseRefresh(raw["r"]);
      if (lastRefresh !== undefined) out.lastRefresh = lastRefresh;
      return out.lastSuccessAt === undefined && out.lastError === undefined && out.lastRefresh === undefined ? undefined : out;
    },
    async forget(uid) {
      await conn.run((c) => c.del(keyOf(uid))).catch(() => undefined);
    },
  };
}

/** The published error, or undefined for anything that is not one (another version's, or damaged). */
function parseError(raw: string | undefined): SharedHealthSnapshot["lastError"] {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v["code"] !== "string" || typeof v["at"] !== "number" || typeof v["message"] !== "string") return undefined;
    return { code: v["code"], at: v["at"], message: v["message"], requestId: typeof v["requestId"] === "string" ? v["requestId"] : undefined };
  } catch {
    return undefined;
  }
}

/** The published refresh, or undefined for anything that is not one. */
function parseRefresh(raw: string | undefined): SharedHealthSnapshot["lastRefresh"] {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v["at"] !== "number" || (v["outcome"] !== "ok" && v["outcome"] !== "failed")) return undefined;
    return { at: v["at"], outcome: v["outcome"], errorCode: typeof v["errorCode"] === "string" ? v["errorCode"] : undefined };
  } catch {
    return undefined;
  }
}

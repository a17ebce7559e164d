import { NO_RESOURCES, type ResourceAccess } from "./resource-access.js";

/** One request the sandbox answered (or dropped), as `GET /_sandbox/ledger` returns it. */
export interface LedgerEntry {
  /** Increases by one per request, starting at 1; never reused, not even after `clear()`. */
  seq: number;
  /** ISO 8601 UTC, when the answer was sent. */
  ts: string;
  method: string;
  /** The request path without its query. */
  path: string;
  /** The matched template (`/v4/contacts/{identifier}`, `/oauth/token`), or the path when none matched. */
  route: string;
  /** HTTP status sent; 0 when the connection was reset on purpose. */
  status: number;
  /** The grant whose access token (or, on /oauth/token, refresh token or code) made the request. */
  grantId?: string;
  accessTokenId?: string;
  clientId?: string;
  /** Every location the request named, in path, query and body, valid or not. */
  locationUids: string[];
  /**
   * Every resource the answer returned (`read`) or the request changed (`create`, `update`, `delete`), with the
   * locations that owned it. Empty for error answers (nothing was returned or changed) and for OAuth requests.
   */
  resources: ResourceAccess[];
  /** The `X-Request-ID` header, as sent. */
  requestId?: string;
  /** The `podium-version` header, as sent. */
  podiumVersion?: string;
  /** Sandbox extension: the error code of an error answer (`unauthorized`, `invalid_grant`, ...). */
  errorCode?: string;
  /** Sandbox extension: the injected fault that produced the answer (`error`, `reset`, `storm`). */
  fault?: string;
}

/** A bounded, in-memory record of requests. */
export interface Ledger {
  /** Append an entry, overwriting its seq with the next one; drops the oldest entries past either bound. */
  append(entry: Omit<LedgerEntry, "seq" | "resources"> & { seq?: number; resources?: ResourceAccess[] }): LedgerEntry;
  /** Entries with seq greater than `sinceSeq` (all kept entries when omitted), oldest first. */
  entries(sinceSeq?: number): LedgerEntry[];
  /** Forget every entry; seq keeps counting. Returns how many were dropped. */
  clear(): number;
  /** How many entries are kept. */
  readonly size: number;
  /** How many resource accesses the kept entries hold. */
  readonly resourceCount: number;
  /** The seq of the newest entry, 0 before any. */
  readonly lastSeq: number;
}

/** Enough for a benchmark run of a few minutes without growing without bound. */
export const DEFAULT_LEDGER_CAPACITY = 200_000;
/**
 * Resource accesses kept across all entries (a list entry holds up to 100): about 100 MB. With it a soak of a
 * million calls stays bounded however many items its lists return.
 */
export const DEFAULT_LEDGER_RESOURCE_CAPACITY = 1_000_000;

/**
 * Create a ring-buffer ledger that keeps the newest `capacity` entries, and fewer when they hold more than
 * `resourceCapacity` resource accesses in all (the newest entry is always kept).
 */
export function createLedger(capacity: number = DEFAULT_LEDGER_CAPACITY, resourceCapacity: number = DEFAULT_LEDGER_RESOURCE_CAPACITY): Ledger {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("ledgerCapacity must be an integer >= 1");
  if (!Number.isInteger(resourceCapacity) || resourceCapacity < 1) throw new RangeError("ledgerResourceCapacity must be an integer >= 1");
  const ring: (LedgerEntry | undefined)[] = [];
  let lastSeq = 0;
  // Kept entries are the seqs firstSeq..lastSeq; slot for seq s is (s - 1) % capacity, so lookups need no search.
  let firstSeq = 1;
  let resourceCount = 0;
  const dropOldest = (): void => {
    const slot = (firstSeq - 1) % capacity;
    resourceCount -= (ring[slot] as LedgerEntry).resources.length;
    ring[slot] = undefined;
    firstSeq++;
  };
  return {
    append(partial) {
      const entry = partial as LedgerEntry;
      entry.seq = ++lastSeq;
      entry.resources ??= NO_RESOURCES;
      if (lastSeq - firstSeq + 1 > capacity) dropOldest();
      ring[(entry.seq - 1) % capacity] = entry;
      resourceCount += entry.resources.length;
      while (resourceCount > resourceCapacity && firstSeq < lastSeq) dropOldest();
      return entry;
    },
    entries(sinceSeq = 0) {
      const first = Math.max(firstSeq, Math.floor(sinceSeq) + 1);
      const out: LedgerEntry[] = [];
      for (let s = first; s <= lastSeq; s++) out.push(ring[(s - 1) % capacity] as LedgerEntry);
      return out;
    },
    clear() {
      const dropped = lastSeq - firstSeq + 1;
      ring.length = 0;
      firstSeq = lastSeq + 1;
      resourceCount = 0;
      return dropped;
    },
    get size() {
      return lastSeq - firstSeq + 1;
    },
    get resourceCount() {
      return resourceCount;
    },
    get lastSeq() {
      return lastSeq;
    },
  };
}

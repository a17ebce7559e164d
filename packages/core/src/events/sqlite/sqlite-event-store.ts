/**
 * The embedded event log: one SQLite file per router (better-sqlite3), chosen over an append-only file because
 * the log needs three things SQLite gives in one transaction: deduplication by event id (a unique index), a
 * gap-free sequence per location (a row per location), and reads from any cursor (the primary key) — plus
 * retention as a DELETE. A hand-written file would need its own index, compaction and crash recovery for each.
 *
 * Durability: WAL with `synchronous = FULL`, so a commit returns only after the WAL is fsynced; `append` resolves
 * after its commit. Appends that arrive in the same event-loop turn share one transaction (group commit: one
 * fsync for a burst of concurrent webhooks). The file and its WAL are 0600: event bodies hold customers' data.
 */
import { resolve } from "node:path";
import { EventStoreUnavailableError } from "@podium-router/errors";
import type { AppendEvent, AppendOutcome, EventPage, EventStore, ForwardState, LogHead, StoredEvent } from "../event-store.js";
import { openSqliteEventsDatabase } from "./sqlite-events-schema.js";

interface Pending {
  events: readonly AppendEvent[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (err: unknown) => void;
}

/** Options of `createSqliteEventStore()`. */
export interface SqliteEventStoreOptions {
  /** The database file; created (0600) with its directory (0700) if absent. */
  path: string;
  /** Clock for leases, epoch ms. @default Date.now */
  now?: () => number;
}

/** Opens (or creates) the embedded event log. Throws EventStoreUnavailableError naming the file when it cannot. */
export function createSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  const path = resolve(options.path);
  const now = options.now ?? Date.now;
  const db = openSqliteEventsDatabase(path);

  const q = {
    existing: db.prepare<[string, string], { seq: number; request_hash: string }>("SELECT seq, request_hash FROM events WHERE location_uid = ? AND event_id = ?"),
    touchHead: db.prepare<[string]>("INSERT INTO heads (location_uid, last_seq) VALUES (?, 0) ON CONFLICT (location_uid) DO NOTHING"),
    nextSeq: db.prepare<[string], { last_seq: number }>("UPDATE heads SET last_seq = last_seq + 1 WHERE location_uid = ? RETURNING last_seq"),
    insert: db.prepare<[string, number, string, string, number, string, string, string]>(
      "INSERT INTO events (location_uid, seq, event_id, event_type, received_at, subscription_id, request_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    head: db.prepare<[string], { last_seq: number; pruned_through: number }>("SELECT last_seq, pruned_through FROM heads WHERE location_uid = ?"),
    page: db.prepare<[string, number, number, number], EventRow>(
      "SELECT location_uid, seq, event_id, event_type, received_at, body FROM events WHERE location_uid = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
    ),
    markPruned: db.prepare<[{ before: number }]>(
      "UPDATE heads SET pruned_through = max(pruned_through, (SELECT max(seq) FROM events e WHERE e.location_uid = heads.location_uid AND e.received_at < @before)) WHERE location_uid IN (SELECT DISTINCT location_uid FROM events WHERE received_at < @before)",
    ),
    prune: db.prepare<[number]>("DELETE FROM events WHERE received_at < ?"),
    forwarder: db.prepare<[string], ForwarderRow>("SELECT * FROM forwarders WHERE location_uid = ?"),
    touchForwarder: db.prepare<[string]>("INSERT INTO forwarders (location_uid) VALUES (?) ON CONFLICT (location_uid) DO NOTHING"),
    claim: db.prepare<[{ uid: string; now: number; owner: string; until: number }]>(
      "UPDATE forwarders SET lease_owner = @owner, lease_expires_at = @until WHERE location_uid = @uid AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at < @now)",
    ),
    record: db.prepare<[ForwardRecordParams]>(
      `UPDATE forwarders SET delivered_seq = @delivered, attempts = @attempts, next_attempt_at = @next, last_status = @status, last_error = @error,
         dead_letters = dead_letters + @dead, last_dead_seq = coalesce(@deadSeq, last_dead_seq)
       WHERE location_uid = @uid AND lease_owner = @owner`,
    ),
  };

  const appendAll = db.transaction((batch: readonly AppendEvent[]): AppendOutcome[] =>
    batch.map((e) => {
      const found = q.existing.get(e.locationUid, e.eventId);
      if (found !== undefined) return { stored: false, seq: found.seq, replay: found.request_hash === e.requestHash };
      q.touchHead.run(e.locationUid);
      const seq = (q.nextSeq.get(e.locationUid) as { last_seq: number }).last_seq;
      q.insert.run(e.locationUid, seq, e.eventId, e.eventType, e.receivedAt, e.subscriptionId, e.requestHash, e.body);
      return { stored: true, seq };
    }),
  );

  const listeners = new Set<(locationUid: string, seq: number) => void>();
  let pending: Pending[] = [];
  let scheduled = false;
  let closed = false;

  const unavailable = (err: unknown, what: string): EventStoreUnavailableError =>
    err instanceof EventStoreUnavailableError ? err : new EventStoreUnavailableError({ cause: err }, `the event log ${path} failed to ${what} (${(err as { code?: string }).code ?? "error"})`);

  /** Commits every append waiting: one transaction, one fsync. */
  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const all = batch.flatMap((p) => p.events);
    let outcomes: AppendOutcome[];
    try {
      outcomes = appendAll(all);
    } catch (err) {
      // Nothing of the batch was committed (the transaction rolled back): every caller is refused.
      for (const p of batch) p.reject(unavailable(err, "store events"));
      return;
    }
    let i = 0;
    for (const p of batch) {
      const mine = outcomes.slice(i, i + p.events.length);
      i += p.events.length;
      p.resolve(mine);
    }
    for (let k = 0; k < outcomes.length; k++) {
      const o = outcomes[k] as AppendOutcome;
      if (!o.stored) continue;
      const uid = (all[k] as AppendEvent).locationUid;
      for (const l of listeners) l(uid, o.seq);
    }
  }

  const guard = <T>(what: string, fn: () => T): Promise<T> => {
    if (closed) return Promise.reject(new EventStoreUnavailableError({}, "the event log is closed"));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(unavailable(err, what));
    }
  };

  return {
    append(events) {
      if (closed) return Promise.reject(new EventStoreUnavailableError({}, "the event log is closed"));
      if (events.length === 0) return Promise.resolve([]);
      return new Promise<AppendOutcome[]>((resolveAppend, reject) => {
        pending.push({ events, resolve: resolveAppend, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    read(locationUid, afterSeq, limit, eventTypes) {
      return guard("read events", (): EventPage => {
        const head = q.head.get(locationUid)?.last_seq ?? 0;
        const wanted = eventTypes === undefined || eventTypes.length === 0 ? undefined : new Set(eventTypes);
        const events: StoredEvent[] = [];
        let from = afterSeq;
        // A filter is applied while scanning in pages, so a rare type never makes one read walk the whole log.
        while (events.length < limit && from < head) {
          const rows = q.page.all(locationUid, from, head, Math.max(limit, 100));
          if (rows.length === 0) break;
          for (const r of rows) {
            from = r.seq;
            if (wanted === undefined || wanted.has(r.event_type)) events.push(toEvent(r));
            if (events.length === limit) return { events, scannedThrough: from };
          }
        }
        return { events, scannedThrough: Math.max(afterSeq, events.length === limit ? from : head) };
      });
    },
    head(locationUid) {
      return guard("read the log's head", (): LogHead => {
        const h = q.head.get(locationUid);
        return { lastSeq: h?.last_seq ?? 0, prunedThrough: h?.pruned_through ?? 0 };
      });
    },
    prune(before) {
      return guard(
        "remove old events",
        db.transaction(() => {
          q.markPruned.run({ before });
          return q.prune.run(before).changes;
        }),
      );
    },
    forwardState(locationUid) {
      return guard("read the forwarder's state", (): ForwardState => {
        const r = q.forwarder.get(locationUid);
        return {
          deliveredSeq: r?.delivered_seq ?? 0,
          attempts: r?.attempts ?? 0,
          nextAttemptAt: r?.next_attempt_at ?? undefined,
          lastStatus: r?.last_status ?? undefined,
          lastError: r?.last_error ?? undefined,
          deadLetters: r?.dead_letters ?? 0,
          lastDeadSeq: r?.last_dead_seq ?? undefined,
        };
      });
    },
    claimForwarder(locationUid, owner, ttlMs) {
      return guard("claim the forwarder", () => {
        q.touchForwarder.run(locationUid);
        const t = now();
        return q.claim.run({ uid: locationUid, now: t, owner, until: t + ttlMs }).changes === 1;
      });
    },
    recordForward(locationUid, owner, u) {
      return guard(
        "record a forwarded event",
        () =>
          q.record.run({
            uid: locationUid,
            owner,
            delivered: u.deliveredSeq,
            attempts: u.attempts,
            next: u.nextAttemptAt ?? null,
            status: u.lastStatus ?? null,
            error: u.lastError ?? null,
            dead: u.deadLetter ? 1 : 0,
            deadSeq: u.deadLetter ? u.deliveredSeq : null,
          }).changes === 1,
      );
    },
    onAppended(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      flush();
      closed = true;
      listeners.clear();
      db.close();
    },
  };
}

interface ForwardRecordParams {
  uid: string;
  owner: string;
  delivered: number;
  attempts: number;
  next: number | null;
  status: number | null;
  error: string | null;
  dead: number;
  deadSeq: number | null;
}

interface EventRow {
  location_uid: string;
  seq: number;
  event_id: string;
  event_type: string;
  received_at: number;
  body: string;
}

interface ForwarderRow {
  delivered_seq: number;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  dead_letters: number;
  last_dead_seq: number | null;
}

function toEvent(r: EventRow): StoredEvent {
  return { locationUid: r.location_uid, seq: r.seq, eventId: r.event_id, eventType: r.event_type, receivedAt: r.received_at, body: r.body };
}

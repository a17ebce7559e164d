/**
 * The replicated event log: PostgreSQL, for several router replicas behind one load balancer (Podium's request for
 * a location may reach any replica, and its subscriber may watch on another).
 *
 * Why PostgreSQL and not Redis Streams: acknowledging Podium means the event survives a crash, and the router
 * already relies on PostgreSQL for durable state (locations, refresh tokens) while its Redis holds only state that
 * may be lost (budgets, caches, locks expire; "losing Redis loses no data"). PostgreSQL also gives, in one
 * transaction, what the log needs: deduplication by event id (a unique index), a gap-free per-location sequence
 * that commits in order (the head row's lock), reads from any cursor (the primary key), retention (a DELETE), and
 * cross-replica wake-ups (NOTIFY, delivered at commit). Redis Streams would need AOF `appendfsync always` to be
 * durable, a second structure for deduplication, and a Lua script to keep the two consistent.
 *
 * Appends arriving in the same event-loop turn share one transaction (one commit, one WAL flush).
 */
import type { Pool, PoolClient, QueryResultRow } from "pg";
import { EventStoreUnavailableError } from "@podium-router/errors";
import type { AppendEvent, AppendOutcome, EventPage, EventStore, ForwardState, ForwardUpdate, LogHead, StoredEvent } from "../event-store.js";
import { PgEventListener } from "./pg-event-listener.js";
import { ensurePgEventsSchema, openPgPool, unavailable, type PgEventsOptions } from "./pg-events-schema.js";

interface Pending {
  events: readonly AppendEvent[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (err: unknown) => void;
}

/** Opens the PostgreSQL event log; the tables are created (or checked) before it resolves. */
export async function createPgEventStore(options: PgEventsOptions): Promise<EventStore> {
  const pool = openPgPool(options);
  try {
    await ensurePgEventsSchema(pool, options);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return new PgEventStore(pool, options);
}

class PgEventStore implements EventStore {
  readonly #pool: Pool;
  readonly #options: PgEventsOptions;
  readonly #s: string;
  readonly #channel: string;
  readonly #listeners = new Set<(locationUid: string, seq: number) => void>();
  #pending: Pending[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  readonly #listener: PgEventListener;
  #closed = false;

  constructor(pool: Pool, options: PgEventsOptions) {
    this.#pool = pool;
    this.#options = options;
    this.#s = options.schema;
    this.#channel = `${options.schema}_events`;
    this.#listener = new PgEventListener(options.url, this.#channel, (uid, seq) => this.#notify(uid, seq), () => this.#closed);
  }

  append(events: readonly AppendEvent[]): Promise<AppendOutcome[]> {
    if (this.#closed) return Promise.reject(new EventStoreUnavailableError({}, "the event log is closed"));
    if (events.length === 0) return Promise.resolve([]);
    return new Promise<AppendOutcome[]>((resolve, reject) => {
      this.#pending.push({ events, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#flushing = this.#flushing.then(() => this.#flush());
        });
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const all = batch.flatMap((p) => p.events);
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.#transaction("store events", (c) => this.#appendIn(c, all));
    } catch (err) {
      for (const p of batch) p.reject(unavailable(err, this.#options, "store events"));
      return;
    }
    let i = 0;
    for (const p of batch) {
      p.resolve(outcomes.slice(i, i + p.events.length));
      i += p.events.length;
    }
    outcomes.forEach((o, k) => {
      if (o.stored) this.#notify((all[k] as AppendEvent).locationUid, o.seq);
    });
  }

  async #appendIn(c: PoolClient, events: readonly AppendEvent[]): Promise<AppendOutcome[]> {
    const s = this.#s;
    // Head rows locked in one order (sorted), so two batches touching the same locations cannot deadlock.
    const uids = [...new Set(events.map((e) => e.locationUid))].sort();
    await c.query(`INSERT INTO ${s}.event_heads (location_uid) SELECT unnest($1::text[]) ON CONFLICT (location_uid) DO NOTHING`, [uids]);
    await c.query(`SELECT location_uid FROM ${s}.event_heads WHERE location_uid = ANY($1::text[]) ORDER BY location_uid FOR UPDATE`, [uids]);
    const out: AppendOutcome[] = [];
    for (const e of events) {
      const found = await c.query<{ seq: string; request_hash: string }>(`SELECT seq, request_hash FROM ${s}.events WHERE location_uid = $1 AND event_id = $2`, [e.locationUid, e.eventId]);
      const row = found.rows[0];
      if (row !== undefined) {
        out.push({ stored: false, seq: Number(row.seq), replay: row.request_hash === e.requestHash });
        continue;
      }
      const head = await c.query<{ last_seq: string }>(`UPDATE ${s}.event_heads SET last_seq = last_seq + 1 WHERE location_uid = $1 RETURNING last_seq`, [e.locationUid]);
      const seq = Number(head.rows[0]?.last_seq);
      await c.query(
        `INSERT INTO ${s}.events (location_uid, seq, event_id, event_type, received_at, subscription_id, request_hash, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.locationUid, seq, e.eventId, e.eventType, e.receivedAt, e.subscriptionId, e.requestHash, e.body],
      );
      // Delivered to every listening replica when (and only if) this transaction commits.
      await c.query("SELECT pg_notify($1, $2)", [this.#channel, `${seq}:${e.locationUid}`]);
      out.push({ stored: true, seq });
    }
    return out;
  }

  async read(locationUid: string, afterSeq: number, limit: number, eventTypes?: readonly string[]): Promise<EventPage> {
    const s = this.#s;
    const head = await this.#query<{ last_seq: string }>("read events", `SELECT last_seq FROM ${s}.event_heads WHERE location_uid = $1`, [locationUid]);
    const last = Number(head.rows[0]?.last_seq ?? 0);
    if (last <= afterSeq) return { events: [], scannedThrough: afterSeq };
    const filtered = eventTypes !== undefined && eventTypes.length > 0;
    const rows = await this.#query<EventRow>(
      "read events",
      `SELECT location_uid, seq, event_id, event_type, received_at, body FROM ${s}.events
       WHERE location_uid = $1 AND seq > $2 AND seq <= $3 ${filtered ? "AND event_type = ANY($5::text[])" : ""} ORDER BY seq LIMIT $4`,
      filtered ? [locationUid, afterSeq, last, limit, [...eventTypes]] : [locationUid, afterSeq, last, limit],
    );
    const events = rows.rows.map(toEvent);
    return { events, scannedThrough: events.length === limit ? (events.at(-1) as StoredEvent).seq : last };
  }

  async head(locationUid: string): Promise<LogHead> {
    const r = await this.#query<{ last_seq: string; pruned_through: string }>("read the log's head", `SELECT last_seq, pruned_through FROM ${this.#s}.event_heads WHERE location_uid = $1`, [locationUid]);
    const row = r.rows[0];
    return { lastSeq: Number(row?.last_seq ?? 0), prunedThrough: Number(row?.pruned_through ?? 0) };
  }

  async prune(before: number): Promise<number> {
    const s = this.#s;
    return this.#transaction("remove old events", async (c) => {
      await c.query(
        `UPDATE ${s}.event_heads h SET pruned_through = greatest(h.pruned_through, p.max_seq)
         FROM (SELECT location_uid, max(seq) AS max_seq FROM ${s}.events WHERE received_at < $1 GROUP BY location_uid) p
         WHERE h.location_uid = p.location_uid`,
        [before],
      );
      return (await c.query(`DELETE FROM ${s}.events WHERE received_at < $1`, [before])).rowCount ?? 0;
    });
  }

  async forwardState(locationUid: string): Promise<ForwardState> {
    const r = await this.#query<ForwarderRow>("read the forwarder's state", `SELECT * FROM ${this.#s}.event_forwarders WHERE location_uid = $1`, [locationUid]);
    const row = r.rows[0];
    const n = (v: string | number | null | undefined): number | undefined => (v === null || v === undefined ? undefined : Number(v));
    return {
      deliveredSeq: n(row?.delivered_seq) ?? 0,
      attempts: n(row?.attempts) ?? 0,
      nextAttemptAt: n(row?.next_attempt_at),
      lastStatus: n(row?.last_status),
      lastError: row?.last_error ?? undefined,
      deadLetters: n(row?.dead_letters) ?? 0,
      lastDeadSeq: n(row?.last_dead_seq),
    };
  }

  async claimForwarder(locationUid: string, owner: string, ttlMs: number): Promise<boolean> {
    const s = this.#s;
    return this.#transaction("claim the forwarder", async (c) => {
      await c.query(`INSERT INTO ${s}.event_forwarders (location_uid) VALUES ($1) ON CONFLICT (location_uid) DO NOTHING`, [locationUid]);
      // The database's clock decides expiry, so replicas' clocks never disagree about who holds the lease.
      const r = await c.query(
        `UPDATE ${s}.event_forwarders SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
         WHERE location_uid = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at < now())`,
        [locationUid, owner, ttlMs],
      );
      return r.rowCount === 1;
    });
  }

  async recordForward(locationUid: string, owner: string, u: ForwardUpdate): Promise<boolean> {
    const r = await this.#query(
      "record a forwarded event",
      `UPDATE ${this.#s}.event_forwarders SET delivered_seq = $3, attempts = $4, next_attempt_at = $5, last_status = $6, last_error = $7,
         dead_letters = dead_letters + $8, last_dead_seq = coalesce($9, last_dead_seq)
       WHERE location_uid = $1 AND lease_owner = $2`,
      [locationUid, owner, u.deliveredSeq, u.attempts, u.nextAttemptAt ?? null, u.lastStatus ?? null, u.lastError ?? null, u.deadLetter ? 1 : 0, u.deadLetter ? u.deliveredSeq : null],
    );
    return r.rowCount === 1;
  }

  onAppended(listener: (locationUid: string, seq: number) => void): () => void {
    this.#listeners.add(listener);
    this.#listener.start();
    return () => void this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    this.#listeners.clear();
    await this.#listener.stop();
    await this.#pool.end().catch(() => undefined);
  }

  #notify(uid: string, seq: number): void {
    for (const l of this.#listeners) l(uid, seq);
  }

  async #query<R extends object>(what: string, sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
    if (this.#closed) throw new EventStoreUnavailableError({}, "the event log is closed");
    try {
      return await this.#pool.query<R & QueryResultRow>(sql, params);
    } catch (err) {
      throw unavailable(err, this.#options, what);
    }
  }

  async #transaction<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new EventStoreUnavailableError({}, "the event log is closed");
    let c: PoolClient;
    try {
      c = await this.#pool.connect();
    } catch (err) {
      throw unavailable(err, this.#options, what);
    }
    let broken = false;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => (broken = true));
      throw unavailable(err, this.#options, what);
    } finally {
      c.release(broken);
    }
  }
}

interface EventRow {
  location_uid: string;
  seq: string;
  event_id: string;
  event_type: string;
  received_at: string;
  body: string;
}

interface ForwarderRow {
  delivered_seq: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  dead_letters: string;
  last_dead_seq: string | null;
}

function toEvent(r: EventRow): StoredEvent {
  return { locationUid: r.location_uid, seq: Number(r.seq), eventId: r.event_id, eventType: r.event_type, receivedAt: Number(r.received_at), body: r.body };
}

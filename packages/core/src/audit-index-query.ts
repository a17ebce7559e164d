import Database from "better-sqlite3";
import { bloomHas } from "./audit-bloom.js";
import { ridValue, type AuditIndexStore, type Combo } from "./audit-index-store.js";
import type { AuditQuery, AuditRecord } from "./location-router-api.js";

/** Read connections kept open between queries; more are opened while more queries stream at once. */
const IDLE_READERS = 4;
/** Beyond any Date: the open ends of a time range. */
const MIN_TS = -8.64e15;
const MAX_TS = 8.64e15 + 1;

interface Row {
  ts: number;
  loc: number;
  org: number;
  combo: number;
  rid: Buffer | string;
  lat: number | null;
  extra: string | null;
}

interface Reader {
  readonly db: Database.Database;
  readonly statements: Map<string, Database.Statement<Record<string, unknown>, Row>>;
}

/**
 * The query side of the index. Each query streams from its own read connection (WAL readers see the
 * last committed refresh and never block it), taken from a small pool; the statement is picked by the
 * filters present so SQLite can seek: one-location queries seek (seg, loc, ts) once per segment in
 * the time range; request-id queries read only the segments whose Bloom filter may hold the id.
 * @internal
 */
export class AuditIndexReader {
  readonly #path: string;
  readonly #store: AuditIndexStore;
  #idle: Reader[] = [];
  #closed = false;
  /** Bloom filters by segment id, with the row count they were read at (an open segment's filter grows). */
  #blooms = new Map<number, { rows: number; bloom: Uint8Array }>();

  constructor(path: string, store: AuditIndexStore) {
    this.#path = path;
    this.#store = store;
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#idle.splice(0)) r.db.close();
  }

  *query(q: AuditQuery): Generator<AuditRecord, void, undefined> {
    if (q.limit !== undefined && q.limit <= 0) return;
    const params: Record<string, unknown> = { since: q.since ?? MIN_TS, until: q.until ?? MAX_TS };
    let locId: number | undefined;
    if (q.locationUid !== undefined) {
      locId = this.#store.locId(q.locationUid);
      if (locId === undefined) return; // never seen: nothing to find
      params.loc = locId;
    }
    if (q.requestId !== undefined) params.rid = ridValue(q.requestId);
    const reader = this.#acquire();
    try {
      let sql = "SELECT r.ts, r.loc, r.org, r.combo, r.rid, r.lat, r.extra FROM ";
      if (locId !== undefined) {
        sql +=
          "segs s CROSS JOIN rec r ON r.seg = s.id AND r.loc = @loc AND r.ts >= @since AND r.ts < @until " +
          "WHERE s.max_ts >= @since AND s.min_ts < @until";
        if (q.requestId !== undefined) sql += " AND r.rid = @rid";
      } else if (q.requestId !== undefined) {
        params.segs = JSON.stringify(this.#candidates(reader, q.requestId, params.since as number, params.until as number));
        sql += "rec r WHERE r.seg IN (SELECT value FROM json_each(@segs)) AND r.rid = @rid AND r.ts >= @since AND r.ts < @until";
      } else {
        sql += "segs s CROSS JOIN rec r ON r.seg = s.id AND r.ts >= @since AND r.ts < @until WHERE s.max_ts >= @since AND s.min_ts < @until";
      }
      if (q.method !== undefined || q.statusClass !== undefined) {
        sql += " AND r.combo IN (SELECT id FROM combos WHERE 1";
        if (q.method !== undefined) {
          sql += " AND upper(method) = @method";
          params.method = q.method.toUpperCase();
        }
        if (q.statusClass !== undefined) {
          sql += " AND status >= @slo AND status < @shi";
          params.slo = Number(q.statusClass[0]) * 100;
          params.shi = Number(q.statusClass[0]) * 100 + 100;
        }
        sql += ")";
      }
      sql += " ORDER BY r.ts, r.seg, r.k";
      if (q.limit !== undefined) {
        sql += " LIMIT @limit";
        params.limit = q.limit;
      }
      let stmt = reader.statements.get(sql);
      if (stmt === undefined) {
        stmt = reader.db.prepare<Record<string, unknown>, Row>(sql);
        reader.statements.set(sql, stmt);
      }
      for (const row of stmt.iterate(params)) yield this.#record(reader, row);
    } finally {
      this.#release(reader);
    }
  }

  /** Segments in the time range whose filter may hold the request id. */
  #candidates(reader: Reader, requestId: string, since: number, until: number): number[] {
    const out: number[] = [];
    const segs = reader.db.prepare<[number, number], { id: number; rows: number }>("SELECT id, rows FROM segs WHERE max_ts >= ? AND min_ts < ?");
    const bloomOf = reader.db.prepare<[number], { bloom: Buffer }>("SELECT bloom FROM segs WHERE id = ?");
    for (const { id, rows } of segs.all(since, until)) {
      let cached = this.#blooms.get(id);
      if (cached?.rows !== rows) {
        const r = bloomOf.get(id);
        if (r === undefined) continue;
        cached = { rows, bloom: new Uint8Array(r.bloom) };
        this.#blooms.set(id, cached);
      }
      if (bloomHas(cached.bloom, requestId)) out.push(id);
    }
    return out;
  }

  #record(reader: Reader, row: Row): AuditRecord {
    const combo = this.#combo(reader, row.combo);
    const extra = row.extra === null ? undefined : (JSON.parse(row.extra) as { ts?: string; lat?: number });
    const rec: AuditRecord = {
      ts: extra?.ts ?? new Date(row.ts).toISOString(),
      location_uid: this.#str(reader, row.loc),
      org_slug: this.#str(reader, row.org),
      endpoint: combo.endpoint,
      method: combo.method,
      status: combo.status,
      request_id: typeof row.rid === "string" ? row.rid : uuidOf(row.rid),
      latency_ms: row.lat === null ? (extra?.lat ?? 0) : row.lat / 100,
    };
    if (combo.caller !== null) rec.caller = combo.caller;
    if (combo.error_code !== null) rec.error_code = combo.error_code;
    return rec;
  }

  /** Interned strings come from the writer's memory; one added by another process is read from the database. */
  #str(reader: Reader, id: number): string {
    return this.#store.str(id) ?? (reader.db.prepare<[number], { s: string }>("SELECT s FROM strs WHERE id = ?").get(id)?.s ?? "");
  }

  #combo(reader: Reader, id: number): Combo {
    return (
      this.#store.combo(id) ??
      reader.db.prepare<[number], Combo>("SELECT endpoint, method, status, caller, error_code FROM combos WHERE id = ?").get(id) ?? {
        endpoint: "",
        method: "",
        status: 0,
        caller: null,
        error_code: null,
      }
    );
  }

  #acquire(): Reader {
    if (this.#closed) throw new Error("the audit index is closed");
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    const db = new Database(this.#path, { readonly: true, fileMustExist: true, timeout: 5000 });
    db.pragma("cache_size = -16384");
    return { db, statements: new Map() };
  }

  #release(reader: Reader): void {
    if (this.#closed || this.#idle.length >= IDLE_READERS) reader.db.close();
    else this.#idle.push(reader);
  }
}

function uuidOf(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

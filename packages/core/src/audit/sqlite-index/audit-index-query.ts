import Database from "better-sqlite3";
import { bloomHas } from "./audit-bloom.js";
import { ridKey, type AuditIndexStore, type Combo } from "./audit-index-store.js";
import { decodeRun, NO_LAT } from "./audit-run.js";
import type { AuditQuery, AuditRecord } from "../audit-record.js";

/** Read connections kept open between queries; more are opened while more queries stream at once. */
const IDLE_READERS = 4;
/** Beyond any Date: the open ends of a time range. */
const MIN_TS = -8.64e15;
const MAX_TS = 8.64e15 + 1;

/** A record taken from a run, waiting for its turn in (ts, seg, k) order. */
interface Found {
  ts: number;
  seg: number;
  k: number;
  loc: number;
  org: number;
  combo: number;
  lat: number;
  rid: Uint8Array | undefined;
  ridText: string | undefined;
  extra: string | undefined;
}

interface Reader {
  readonly db: Database.Database;
  readonly statements: Map<string, Database.Statement>;
}

const byOrder = (a: Found, b: Found): number => a.ts - b.ts || a.seg - b.seg || a.k - b.k;

/**
 * The query side of the index. Each query streams from its own read connection (WAL readers see the
 * last committed refresh and never block it), taken from a small pool. It visits the segments in its
 * time range in time order (for a request id, only those whose Bloom filter may hold it), reads the
 * runs of the location (or all runs), and emits records in (ts, log order) order: a record is final
 * once the next segment starts after it, so only records of overlapping segments wait in memory.
 * @internal
 */
export class AuditIndexReader {
  readonly #path: string;
  readonly #store: AuditIndexStore;
  #idle: Reader[] = [];
  #closed = false;

  constructor(path: string, store: AuditIndexStore) {
    this.#path = path;
    this.#store = store;
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#idle.splice(0)) r.db.close();
  }

  *query(q: AuditQuery): Generator<AuditRecord, void, undefined> {
    let left = q.limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    const since = q.since ?? MIN_TS;
    const until = q.until ?? MAX_TS;
    let locId: number | undefined;
    if (q.locationUid !== undefined) {
      locId = this.#store.locId(q.locationUid);
      if (locId === undefined) return; // never seen: nothing to find
    }
    const rid = q.requestId === undefined ? undefined : ridKey(q.requestId);
    const reader = this.#acquire();
    // One read transaction: every statement of the query sees the same refresh, however long it streams.
    this.#stmt(reader, "BEGIN").run();
    try {
      const combos = this.#combos(reader, q);
      const segs = this.#stmt(reader, "SELECT id, rows, min_ts FROM segs WHERE max_ts >= ? AND min_ts < ? ORDER BY min_ts, id").all(since, until) as {
        id: number;
        rows: number;
        min_ts: number;
      }[];
      // A request id is looked for in the blobs by SQLite (instr), so only runs holding its bytes reach here.
      const ridFilter = rid === undefined ? "" : " AND instr(data, @needle) > 0";
      const runs = this.#stmt(reader, `SELECT loc, n, data FROM runs WHERE seg = @seg${locId === undefined ? "" : " AND loc = @loc"} AND max_ts >= @since AND min_ts < @until${ridFilter}`);
      const params: Record<string, unknown> = { since, until, loc: locId, needle: rid === undefined ? undefined : typeof rid.value === "string" ? Buffer.from(JSON.stringify(rid.value).slice(1, -1)) : rid.value };
      if (locId === undefined) delete params.loc;
      if (rid === undefined) delete params.needle;
      let waiting: Found[] = [];
      for (const seg of segs) {
        if (rid !== undefined && !this.#mayHold(seg.id, seg.rows, rid.a, rid.b)) continue;
        // Everything before this segment's first ts is final.
        if (waiting.length > 0) {
          waiting.sort(byOrder);
          let cut = 0;
          while (cut < waiting.length && waiting[cut]!.ts < seg.min_ts) cut++;
          for (let i = 0; i < cut; i++) {
            yield this.#record(reader, waiting[i]!);
            if (--left <= 0) return;
          }
          waiting = waiting.slice(cut);
        }
        params.seg = seg.id;
        const rows = runs.iterate(params) as Iterable<{ loc: number; n: number; data: Buffer }>;
        for (const run of rows) {
          decodeRun(
            run.data,
            run.n,
            (r) => {
              if (r.ts < since || r.ts >= until || (combos !== undefined && !combos.has(r.combo))) return;
              waiting.push({ ts: r.ts, seg: seg.id, k: r.k, loc: run.loc, org: r.org, combo: r.combo, lat: r.lat, rid: r.rid, ridText: r.ridText, extra: r.extra });
            },
            rid?.value,
          );
        }
      }
      waiting.sort(byOrder);
      for (const found of waiting) {
        yield this.#record(reader, found);
        if (--left <= 0) return;
      }
    } finally {
      this.#stmt(reader, "COMMIT").run();
      this.#release(reader);
    }
  }

  #stmt(reader: Reader, sql: string): Database.Statement {
    let stmt = reader.statements.get(sql);
    if (stmt === undefined) {
      stmt = reader.db.prepare(sql);
      reader.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** The combos a method or status-class filter lets through; undefined when there is no such filter. */
  #combos(reader: Reader, q: AuditQuery): Set<number> | undefined {
    if (q.method === undefined && q.statusClass === undefined) return undefined;
    const lo = q.statusClass === undefined ? MIN_TS : Number(q.statusClass[0]) * 100;
    const hi = q.statusClass === undefined ? MAX_TS : lo + 100;
    const method = q.method?.toUpperCase();
    const rows = this.#stmt(reader, "SELECT id, method FROM combos WHERE status >= ? AND status < ?").all(lo, hi) as { id: number; method: string }[];
    return new Set(rows.filter((r) => method === undefined || r.method.toUpperCase() === method).map((r) => r.id));
  }

  /** Whether the segment's Bloom filter may hold the request id. */
  #mayHold(seg: number, rows: number, a: number, b: number): boolean {
    return bloomHas(this.#store.bloomOf(seg, rows), a, b);
  }

  #record(reader: Reader, f: Found): AuditRecord {
    const combo = this.#combo(reader, f.combo);
    const extra = f.extra === undefined ? undefined : (JSON.parse(f.extra) as { ts?: string; lat?: number });
    const rec: AuditRecord = {
      ts: extra?.ts ?? new Date(f.ts).toISOString(),
      location_uid: this.#str(reader, f.loc),
      org_slug: this.#str(reader, f.org),
      endpoint: combo.endpoint,
      method: combo.method,
      status: combo.status,
      request_id: f.ridText ?? uuidOf(f.rid!),
      latency_ms: f.lat === NO_LAT ? (extra?.lat ?? 0) : f.lat / 100,
    };
    if (combo.caller !== null) rec.caller = combo.caller;
    if (combo.error_code !== null) rec.error_code = combo.error_code;
    if (combo.phase === "sent") rec.phase = "sent";
    return rec;
  }

  /** Interned strings come from the writer's memory; one added by another process is read from the database. */
  #str(reader: Reader, id: number): string {
    return this.#store.str(id) ?? ((this.#stmt(reader, "SELECT s FROM strs WHERE id = ?").get(id) as { s: string } | undefined)?.s ?? "");
  }

  #combo(reader: Reader, id: number): Combo {
    return (
      this.#store.combo(id) ??
      (this.#stmt(reader, "SELECT endpoint, method, status, caller, error_code, phase FROM combos WHERE id = ?").get(id) as Combo | undefined) ?? {
        endpoint: "",
        method: "",
        status: 0,
        caller: null,
        error_code: null,
        phase: null,
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

function uuidOf(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createAuditLog, type AuditLog, type AuditQuery, type AuditRecord } from "@podium-router/core";
import { generateAuditLog, type AuditLogSpec, type GeneratedAuditLog } from "./audit-generate.js";

/** What `npm run bench:audit` measures. */
export interface AuditBenchOptions extends AuditLogSpec {
  /** Timed one-location, seven-day queries (each after a few appended lines). */
  queries: number;
  /** New lines appended before each timed query, so each includes an incremental refresh. */
  appendPerQuery: number;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

/** Latency figures of one kind of query, in ms. */
export interface QueryFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Records returned per query, on average. */
  rows: number;
}

export interface AuditBenchResult {
  generated: GeneratedAuditLog;
  build: { seconds: number; cpuSeconds: number; linesPerSecond: number; warnings: number };
  index: { bytes: number; jsonlBytes: number; ratio: number };
  oneLocationWeek: QueryFigures;
  requestId: QueryFigures;
  allLocationsHour: QueryFigures;
}

const DAY_MS = 86_400_000;
/** Queries run before the timed ones (see runAuditBench). */
const WARM_UP = 20;

/** Sizes of the index file and its -wal/-shm companions. */
function indexBytes(indexPath: string): number {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += statSync(`${indexPath}${suffix}`).size;
    } catch {
      // absent
    }
  }
  return total;
}

function figures(samples: number[], rows: number): QueryFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, rows: samples.length === 0 ? 0 : rows / samples.length };
}

async function timed(log: AuditLog, q: AuditQuery): Promise<{ ms: number; rows: number }> {
  const t = performance.now();
  let rows = 0;
  for await (const _ of log.query(q)) rows++;
  return { ms: performance.now() - t, rows };
}

/**
 * Generates the log, builds the index from nothing, then times queries through the AuditLog (flush,
 * incremental refresh of the index, SELECT), appending a few lines before each so each pays for a
 * refresh that has something to read.
 */
export async function runAuditBench(o: AuditBenchOptions): Promise<AuditBenchResult> {
  const say = o.log ?? (() => undefined);
  say(`generating ${o.lines.toLocaleString("en")} lines over ${o.days} days and ${o.locations} locations in ${o.dir} ...`);
  const generated = generateAuditLog(o);
  say(`generated ${(generated.bytes / 2 ** 20).toFixed(0)} MiB in ${generated.seconds.toFixed(1)} s (${readdirSync(o.dir).length} files)`);
  const indexPath = join(o.dir, "audit.jsonl.index.sqlite");
  let warnings = 0;
  const options = { path: generated.path, indexPath, fsync: "never" as const, fsyncIntervalMs: 100, onWarning: () => void warnings++ };

  say("building the index ...");
  let log = createAuditLog(options);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const built = await log.refreshIndex();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await log.close(); // checkpoints the WAL into the database file
  const build = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, linesPerSecond: built.lines / seconds, warnings };
  const index = { bytes: indexBytes(indexPath), jsonlBytes: generated.bytes, ratio: indexBytes(indexPath) / generated.bytes };
  say(`built in ${seconds.toFixed(1)} s: ${Math.round(build.linesPerSecond).toLocaleString("en")} lines/s, index ${(index.bytes / 2 ** 20).toFixed(0)} MiB`);

  say(`timing ${o.queries} one-location seven-day queries ...`);
  log = createAuditLog(options);
  const rand = mulberry(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let now = generated.endMs - DAY_MS / 2;
  const appended: string[] = [];
  const append = (): void => {
    for (let k = 0; k < o.appendPerQuery; k++) {
      const rec: AuditRecord = {
        ts: new Date((now += 50)).toISOString(),
        location_uid: pick(generated.locations),
        org_slug: "org-new",
        endpoint: "/v4/messages",
        method: "POST",
        status: 201,
        request_id: randomUUID(),
        latency_ms: 42.5,
        caller: "crm-sync",
      };
      appended.push(rec.request_id);
      log.append(rec);
    }
  };
  const weekQuery = (): AuditQuery => {
    const since = generated.startMs + Math.floor(rand() * (generated.endMs - generated.startMs - 7 * DAY_MS));
    return { locationUid: pick(generated.locations), since, until: since + 7 * DAY_MS };
  };
  // Warm-up, not timed: the first queries open the index and its read connections and get compiled.
  for (let i = 0; i < WARM_UP; i++) {
    append();
    await timed(log, weekQuery());
  }
  const week: number[] = [];
  let weekRows = 0;
  for (let i = 0; i < o.queries; i++) {
    append();
    const r = await timed(log, weekQuery());
    week.push(r.ms);
    weekRows += r.rows;
  }

  const rid: number[] = [];
  let ridRows = 0;
  for (let i = 0; i < Math.max(10, Math.floor(o.queries / 10)); i++) {
    append();
    const r = await timed(log, { requestId: pick(appended) });
    rid.push(r.ms);
    ridRows += r.rows;
  }
  const hour: number[] = [];
  let hourRows = 0;
  for (let i = 0; i < Math.max(5, Math.floor(o.queries / 40)); i++) {
    append();
    const since = generated.startMs + Math.floor(rand() * (generated.endMs - generated.startMs - DAY_MS));
    const r = await timed(log, { since, until: since + 3_600_000 });
    hour.push(r.ms);
    hourRows += r.rows;
  }
  build.warnings = warnings;
  await log.close();
  return {
    generated,
    build,
    index,
    oneLocationWeek: figures(week, weekRows),
    requestId: figures(rid, ridRows),
    allLocationsHour: figures(hour, hourRows),
  };
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The result as a markdown table, goals beside the figures. */
export function formatAuditBench(r: AuditBenchResult, o: Pick<AuditBenchOptions, "lines" | "days" | "locations" | "gzipFiles" | "appendPerQuery">): string {
  const ok = (pass: boolean): string => (pass ? "yes" : "**no**");
  const w = r.oneLocationWeek;
  const lines = [
    `Audit index: ${o.lines.toLocaleString("en")} lines over ${o.days} days and ${o.locations.toLocaleString("en")} locations ` +
      `(${(r.generated.bytes / 2 ** 20).toFixed(0)} MiB of JSONL in ${o.days} daily files, ${o.gzipFiles} gzipped); ` +
      `queries append ${o.appendPerQuery} line(s) first, so each includes an incremental refresh (after ${WARM_UP} untimed warm-up queries).`,
    "",
    "| measure | result | goal | met |",
    "|---|---|---|---|",
    `| index build rate | ${Math.round(r.build.linesPerSecond).toLocaleString("en")} lines/s (${r.build.seconds.toFixed(1)} s wall, ${r.build.cpuSeconds.toFixed(1)} s CPU) | ≥ 250,000 lines/s | ${ok(r.build.linesPerSecond >= 250_000)} |`,
    `| index size / JSONL | ${r.index.ratio.toFixed(3)} (${(r.index.bytes / 2 ** 20).toFixed(0)} MiB / ${(r.index.jsonlBytes / 2 ** 20).toFixed(0)} MiB) | ≤ 0.5 | ${ok(r.index.ratio <= 0.5)} |`,
    `| one location, 7 days: p50 | ${ms(w.p50)} ms (${w.rows.toFixed(0)} records avg, ${w.count} queries) | | |`,
    `| one location, 7 days: p99 | ${ms(w.p99)} ms (max ${ms(w.max)} ms) | < 20 ms | ${ok(w.p99 < 20)} |`,
    `| by request id, all time: p50 / p99 | ${ms(r.requestId.p50)} / ${ms(r.requestId.p99)} ms (${r.requestId.count} queries) | | |`,
    `| all locations, 1 hour: p50 / p99 | ${ms(r.allLocationsHour.p50)} / ${ms(r.allLocationsHour.p99)} ms (${r.allLocationsHour.rows.toFixed(0)} records avg) | | |`,
    `| lines skipped with a warning | ${r.build.warnings} | 0 | ${ok(r.build.warnings === 0)} |`,
  ];
  return lines.join("\n");
}

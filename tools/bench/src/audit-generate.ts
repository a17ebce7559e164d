import { createHash, randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { AUDIT_GENESIS_HASH } from "@podium-router/core";

/** The log to generate. */
export interface AuditLogSpec {
  /** Directory for the files (`audit.jsonl`, `audit.jsonl.1`, …, one file per day as a daily logrotate leaves them). */
  dir: string;
  lines: number;
  days: number;
  locations: number;
  /** How many of the oldest files to gzip (`.N.gz`). */
  gzipFiles: number;
  /** Seed of the location, endpoint and status choices (request ids are random UUIDs). */
  seed?: number;
}

/** What was generated. */
export interface GeneratedAuditLog {
  /** The live file. */
  path: string;
  bytes: number;
  lines: number;
  locations: string[];
  startMs: number;
  endMs: number;
  lastHash: string;
  seconds: number;
}

const DAY_MS = 86_400_000;
const ENDPOINTS: [string, string][] = [
  ["GET", "/v4/contacts/{identifier}"],
  ["POST", "/v4/contacts"],
  ["GET", "/v4/conversations"],
  ["GET", "/v4/conversations/{uid}/messages"],
  ["POST", "/v4/messages"],
  ["GET", "/v4/reviews"],
  ["GET", "/v4/locations/{uid}"],
  ["PATCH", "/v4/contacts/{identifier}"],
  ["POST", "/v4/contacts/campaigns/opt_in"],
  ["GET", "/v4/users"],
  ["POST", "/v4/webhooks"],
  ["DELETE", "/v4/contacts/{identifier}/tags/{uid}"],
];
const CALLERS = ["crm-sync", "reviews-bot", "billing-export"];
const FLUSH_BYTES = 8 * 1024 * 1024;

/** mulberry32: a small seeded generator, so two runs pick the same locations and statuses. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A v4-shaped UUID from the seeded generator (location uids must be the same on every run). */
function seededUuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * Writes a hash-chained audit log as the router writes it (same field order, same hash), fast: each
 * line is a string template, lines are joined into 8 MiB buffers, one write per buffer. Lines are
 * spread evenly over `days` days ending now-ish, one file per day; calls pick a location uniformly.
 */
export function generateAuditLog(spec: AuditLogSpec): GeneratedAuditLog {
  const t0 = performance.now();
  const rand = prng(spec.seed ?? 42);
  const locations = Array.from({ length: spec.locations }, () => seededUuid(rand));
  const orgOf = locations.map((_, i) => `org-${(i % Math.max(1, Math.floor(spec.locations / 10))).toString(36)}`);
  const path = join(spec.dir, "audit.jsonl");
  const endMs = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
  const startMs = endMs - spec.days * DAY_MS;
  const step = (spec.days * DAY_MS) / spec.lines;
  let prev = AUDIT_GENESIS_HASH;
  let bytes = 0;
  let day = -1;
  let fd = -1;
  let buf = "";
  const flush = (): void => {
    if (buf === "") return;
    bytes += writeSync(fd, buf);
    buf = "";
  };
  const fileOf = (d: number): string => (d === spec.days - 1 ? path : `${path}.${spec.days - 1 - d}`);
  for (let i = 0; i < spec.lines; i++) {
    const ts = Math.floor(startMs + i * step + rand() * 1000);
    const d = Math.min(spec.days - 1, Math.floor((i * step) / DAY_MS));
    if (d !== day) {
      if (fd !== -1) {
        flush();
        closeSync(fd);
      }
      day = d;
      fd = openSync(fileOf(d), "w", 0o600);
    }
    const loc = Math.floor(rand() * locations.length);
    const [method, endpoint] = ENDPOINTS[Math.floor(rand() * ENDPOINTS.length)]!;
    const r = rand();
    const status = r < 0.8 ? 200 : r < 0.86 ? 201 : r < 0.9 ? 404 : r < 0.93 ? 429 : r < 0.96 ? 503 : r < 0.98 ? 400 : 0;
    const err = status === 0 ? "ERR_LOC_NOT_IN_SCOPE" : status === 429 ? "ERR_LOC_RATE_LIMITED" : status === 503 ? "ERR_LOC_UPSTREAM_UNAVAILABLE" : undefined;
    const latency = Math.round(rand() * 80000) / 100;
    let line =
      `{"ts":"${new Date(ts).toISOString()}","location_uid":"${locations[loc]}","org_slug":"${orgOf[loc]}",` +
      `"endpoint":"${endpoint}","method":"${method}","status":${status},"request_id":"${randomUUID()}",` +
      `"latency_ms":${latency},"caller":"${CALLERS[loc % CALLERS.length]}"`;
    if (err !== undefined) line += `,"error_code":"${err}"`;
    line += "}";
    prev = createHash("sha256").update(prev).update(line).digest("hex");
    buf += `${line.slice(0, -1)},"hash":"${prev}"}\n`;
    if (buf.length >= FLUSH_BYTES) flush();
  }
  flush();
  if (fd !== -1) closeSync(fd);
  for (let d = 0; d < Math.min(spec.gzipFiles, spec.days - 1); d++) {
    const file = fileOf(d);
    writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 1 }));
    rmSync(file);
  }
  return { path, bytes, lines: spec.lines, locations, startMs, endMs, lastHash: prev, seconds: (performance.now() - t0) / 1000 };
}

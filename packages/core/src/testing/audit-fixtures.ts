/** Test helpers for the audit specs: records, chained lines, and reading a log back. */
import { readFile } from "node:fs/promises";
import { AUDIT_GENESIS_HASH, chainAuditLine } from "../audit/audit-chain.js";
import { auditLine } from "../audit/audit-record.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuditQuery, AuditRecord } from "../audit/audit-record.js";

/** Record `i`: one second apart from 2026-01-01, three locations, alternating methods, four statuses. */
export function auditRecord(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    location_uid: `loc-${i % 3}`,
    org_slug: "acme",
    endpoint: "/v4/contacts/{identifier}",
    method: i % 2 === 0 ? "GET" : "POST",
    status: [200, 201, 404, 503][i % 4]!,
    request_id: `req-${i}`,
    latency_ms: 12.5,
    ...over,
  };
}

/** The chained lines (each with its newline) of `records`, continuing from `prev`, and the last hash. */
export function chainRecords(records: AuditRecord[], prev = AUDIT_GENESIS_HASH): { lines: string[]; last: string } {
  const lines: string[] = [];
  let hash = prev;
  for (const r of records) {
    const chained = chainAuditLine(hash, auditLine(r).slice(0, -1));
    lines.push(chained.line);
    hash = chained.hash;
  }
  return { lines, last: hash };
}

/** Records `from` to `to - 1`. */
export function auditRecords(from: number, to: number): AuditRecord[] {
  return Array.from({ length: to - from }, (_, k) => auditRecord(from + k));
}

/** The non-empty lines of a file, parsed. */
export async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Everything a query yields. */
export async function collectAudit(log: AuditLog, q: AuditQuery = {}): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of log.query(q)) out.push(r);
  return out;
}

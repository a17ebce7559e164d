import { access, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAuditLog } from "./audit-log.js";
import type { AuditLog } from "./audit-log.js";
import { applyAuditRetention } from "./audit-retention.js";
import { verifyAuditChain } from "./audit-verify.js";
import { auditRecords, chainRecords, collectAudit } from "../testing/audit-fixtures.js";

const DAY = 86_400_000;
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe("applyAuditRetention()", () => {
  let dir: string;
  let path: string;
  let log: AuditLog | undefined;

  /** `.3.gz` (records 0-2) and `.2` (3-5) last written 10 days ago, `.1` (6-8) today, the live file (9-11) 10 days ago. */
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-retention-"));
    path = join(dir, "audit.jsonl");
    let prev: string | undefined;
    const write = async (file: string, from: number, ageDays: number, gz = false): Promise<void> => {
      const { lines, last } = chainRecords(auditRecords(from, from + 3), prev);
      prev = last;
      await writeFile(file, gz ? gzipSync(lines.join("")) : lines.join(""));
      const t = (Date.now() - ageDays * DAY) / 1000;
      await utimes(file, t, t);
    };
    await write(`${path}.3.gz`, 0, 10, true);
    await write(`${path}.2`, 3, 10);
    await write(`${path}.1`, 6, 0);
    await write(path, 9, 10);
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("removes whole rotated files past the limit and their index rows at start, never the live file", async () => {
    const warnings: string[] = [];
    const options = { path, fsync: "never" as const, fsyncIntervalMs: 100, onError: (e: Error) => warnings.push(e.message) };
    log = createAuditLog({ ...options, retentionDays: 0 });
    expect(await collectAudit(log)).toHaveLength(12); // the index now holds every file
    await log.close();
    log = createAuditLog({ ...options, retentionDays: 7 });
    await vi.waitFor(async () => expect(await exists(`${path}.2`)).toBe(false));
    expect([await exists(`${path}.3.gz`), await exists(`${path}.1`), await exists(path)]).toEqual([false, true, true]);
    expect((await collectAudit(log)).map((r) => r.request_id)).toEqual(auditRecords(6, 12).map((r) => r.request_id));
    // Forgotten before removal: the index never met a vanished file.
    expect(log.indexWarnings).toBe(0);
    expect(warnings).toEqual([]);
    // What is left still verifies, from its oldest kept line.
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, lines: 6, fromGenesis: false });
  });

  it("drops the index rows of files it removes, so no query returns a record whose file is gone", async () => {
    log = createAuditLog({ path, fsync: "never", fsyncIntervalMs: 100, retentionDays: 0 });
    expect(await collectAudit(log)).toHaveLength(12);
    const index = { forget: vi.fn(async (_file: string) => true) };
    const removed = await applyAuditRetention({ path, retentionDays: 7, index });
    expect(index.forget.mock.calls.map(([p]) => p).sort()).toEqual(removed.sort());
    expect(removed.sort()).toEqual([`${path}.2`, `${path}.3.gz`]);
  });

  it("keeps every file with retention_days 0", async () => {
    expect(await applyAuditRetention({ path, retentionDays: 0 })).toEqual([]);
    log = createAuditLog({ path, fsync: "never", fsyncIntervalMs: 100, retentionDays: 0 });
    expect(await log.applyRetention()).toEqual([]);
    expect(await exists(`${path}.2`)).toBe(true);
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditLog, type AuditLog } from "./audit-log.js";
import type { AuditRecord } from "./audit-record.js";
import { verifyAuditChain } from "./audit-verify.js";
import { pairIntents } from "./audit-intents.js";
import { auditRecord, collectAudit } from "../testing/audit-fixtures.js";

/** A write's two lines share the call's start time; `intent` is what the router writes before sending. */
const intent = (i: number): AuditRecord => auditRecord(i, { method: "POST", status: 0, latency_ms: 0, phase: "sent" });
const outcome = (i: number): AuditRecord => auditRecord(i, { method: "POST", status: 202 });

describe("intent lines (write-ahead)", () => {
  let dir: string;
  let log: AuditLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-intents-"));
    log = createAuditLog({ path: join(dir, "audit.jsonl"), fsync: "never", fsyncIntervalMs: 100 });
    // req-1: intent then outcome; req-3: intent only (a crash in between); req-2, req-4: reads.
    for (const r of [intent(1), auditRecord(2), outcome(1), intent(3), auditRecord(4)]) log.append(r);
    await log.flush();
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("are written with phase sent and status 0, and checked like any line", async () => {
    const result = await verifyAuditChain({ path: join(dir, "audit.jsonl") });
    expect(result).toMatchObject({ ok: true, lines: 5, outcomeUnknown: ["req-3"] });
  });

  it("are answered by their outcome line in a query; one without is returned as outcome unknown", async () => {
    const all = await collectAudit(log);
    expect(all.map((r) => [r.request_id, r.status, r.phase])).toEqual([
      ["req-1", 202, undefined],
      ["req-2", 404, undefined],
      ["req-3", 0, "sent"],
      ["req-4", 200, undefined],
    ]);
    expect(await collectAudit(log, { requestId: "req-3" })).toEqual([intent(3)]);
    expect(await collectAudit(log, { requestId: "req-1" })).toEqual([outcome(1)]);
    // The limit counts calls, not lines.
    expect((await collectAudit(log, { limit: 2 })).map((r) => r.request_id)).toEqual(["req-1", "req-2"]);
  });

  it("pairs a file scan (not in ts order) at its end", async () => {
    const scanned: AuditRecord[] = [];
    for await (const r of pairIntents([intent(5), auditRecord(2), intent(1), outcome(5)], false)) scanned.push(r);
    expect(scanned.map((r) => r.request_id)).toEqual(["req-2", "req-5", "req-1"]);
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditLog, signSeal, verifyAuditChain, type AuditCheckpointStore } from "../../audit/index.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../../testing/services.js";
import { auditRecords } from "../../testing/audit-fixtures.js";
import { createPgAuditCheckpointStore } from "./pg-audit-checkpoints.js";

const postgres = await requirePostgres();
const key = Buffer.from("a-key-of-at-least-sixteen-bytes!");

describe.skipIf(!postgres)(`createPgAuditCheckpointStore()${absentNote("PostgreSQL", postgres)}`, () => {
  let schema: string;
  let dir: string;
  const stores: AuditCheckpointStore[] = [];
  const open = (logId: string): AuditCheckpointStore => {
    const s = createPgAuditCheckpointStore({ url: TEST_POSTGRES_URL, schema, logId });
    stores.push(s);
    return s;
  };
  beforeEach(async () => {
    schema = testSchemaName();
    dir = await mkdtemp(join(tmpdir(), "pg-audit-cp-"));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await dropTestSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every anchor and the last checkpoint of each log apart, signed as written", async () => {
    const a = open("replica-a");
    const b = open("replica-b");
    const anchor = signSeal({ kind: "anchor", ts: "2026-01-01T00:00:00.000Z", prev_hash: "0".repeat(64), first_hash: "a".repeat(64), reason: "file_start" } as const, key);
    await a.add(anchor);
    await a.add(signSeal({ kind: "checkpoint", ts: "2026-01-01T00:01:00.000Z", head_hash: "b".repeat(64), lines: 3, file_head: "a".repeat(64) } as const, key));
    const last = signSeal({ kind: "checkpoint", ts: "2026-01-01T00:02:00.000Z", head_hash: "c".repeat(64), lines: 9, file_head: "a".repeat(64) } as const, key);
    await a.add(last);
    expect(await a.read()).toEqual({ anchors: [anchor], checkpoint: last });
    expect(await b.read()).toEqual({ anchors: [], checkpoint: undefined });
  });

  it("anchors a log written through it, so verify finds cut lines and a regenerated checkpoint", async () => {
    const path = join(dir, "audit.jsonl");
    const log = createAuditLog({ path, fsync: "always", fsyncIntervalMs: 100, checkpoints: open(path), checkpointKey: key });
    for (const r of auditRecords(0, 6)) log.append(r);
    await log.close();
    const seals = await open(path).read();
    expect(seals.anchors).toHaveLength(1);
    expect(seals.checkpoint).toMatchObject({ lines: 6 });
    expect(await verifyAuditChain({ path }, { seals, key })).toMatchObject({ ok: true, lines: 6, checkpoint: { linesAfter: 0 } });
    const text = await readFile(path, "utf8");
    await writeFile(path, text.split("\n").slice(0, 4).map((l) => `${l}\n`).join(""));
    expect(await verifyAuditChain({ path }, { seals, key })).toMatchObject({ ok: false, reason: "missing" });
    expect(await verifyAuditChain({ path }, { seals: { ...seals, checkpoint: { ...seals.checkpoint!, lines: 4 } }, key })).toMatchObject({ ok: false, reason: "forged" });
  });
});

import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createFileCheckpointStore, sealSigned, signSeal, type AuditSeals } from "./audit-checkpoints.js";
import { createAuditLog } from "./audit-log.js";
import { verifyAuditChain } from "./audit-verify.js";
import { auditRecords } from "../testing/audit-fixtures.js";

const key = Buffer.from("sixteen-or-more-bytes-of-key");

describe("createFileCheckpointStore()", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-cp-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps every anchor once and the last checkpoint, in one file replaced whole, 0600", async () => {
    const file = join(dir, "sub", "audit.jsonl.checkpoints");
    const store = createFileCheckpointStore(file);
    const anchor = signSeal({ kind: "anchor", ts: "2026-01-01T00:00:00.000Z", prev_hash: "0".repeat(64), first_hash: "a".repeat(64), reason: "file_start" } as const, key);
    await Promise.all([
      store.add(anchor),
      store.add(anchor),
      store.add({ kind: "checkpoint", ts: "2026-01-01T00:01:00.000Z", head_hash: "b".repeat(64), lines: 2, file_head: "a".repeat(64) }),
    ]);
    const last = signSeal({ kind: "checkpoint", ts: "2026-01-01T00:02:00.000Z", head_hash: "c".repeat(64), lines: 3, file_head: "a".repeat(64) } as const, key);
    await store.add(last);
    const read: AuditSeals = await createFileCheckpointStore(file).read();
    expect(read).toEqual({ anchors: [anchor], checkpoint: last });
    expect(sealSigned(read.anchors[0]!, key)).toBe(true);
    expect(sealSigned({ ...read.anchors[0]!, first_hash: "d".repeat(64) }, key)).toBe(false);
    expect(sealSigned(read.checkpoint!, Buffer.from("another-key-of-sixteen-bytes"))).toBe(false);
    const { stat } = await import("node:fs/promises");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("refuses a checkpoint file that is not JSON instead of reading it as empty", async () => {
    const file = join(dir, "cp");
    await writeFile(file, "{ not json");
    await expect(createFileCheckpointStore(file).read()).rejects.toThrow(/is not JSON/);
  });
});

describe("anchors written by the audit log", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-anchor-"));
    path = join(dir, "audit.jsonl");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("anchors each file it starts, records one lost to a crash at the next start, and lets logrotate drop old files", async () => {
    const cpFile = `${path}.checkpoints`;
    const log = createAuditLog({ path, fsync: "always", fsyncIntervalMs: 100, checkpoints: createFileCheckpointStore(cpFile), checkpointKey: key });
    for (const r of auditRecords(0, 3)) log.append(r);
    await log.flush();
    await rename(path, `${path}.1`);
    await log.reopen();
    for (const r of auditRecords(3, 6)) log.append(r);
    await log.close();
    const doc = JSON.parse(await readFile(cpFile, "utf8")) as { anchors: { first_hash: string }[]; checkpoint: unknown };
    expect(doc.anchors).toHaveLength(2);
    // A crash between the live file's first line and its anchor: the anchor is missing.
    await writeFile(cpFile, JSON.stringify({ ...doc, anchors: doc.anchors.slice(0, 1) }));
    const again = createAuditLog({ path, fsync: "always", fsyncIntervalMs: 100, checkpoints: createFileCheckpointStore(cpFile), checkpointKey: key });
    await vi.waitFor(async () => expect((await createFileCheckpointStore(cpFile).read()).anchors).toHaveLength(2));
    await again.close();
    // logrotate's `rotate N` dropped the oldest file: the kept trail starts at its anchor.
    await rm(`${path}.1`);
    const seals = await createFileCheckpointStore(cpFile).read();
    expect(await verifyAuditChain({ path }, { seals, key })).toMatchObject({ ok: true, anchored: true, lines: 3, checkpoint: { linesAfter: 0 } });
  });
});

/**
 * `audit verify` against a trail the real writer made (rotated files, anchors and checkpoints in the checkpoint
 * file, signed with an HMAC key from the settings), then tampered with: each edit is reported, exit 1.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditCheckpoints, createAuditLog, validateSettings, type AuditRecord } from "@podium-router/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";

const KEY_ENV = "AUDIT_HMAC_KEY";
const env = { [KEY_ENV]: "k3y-for-the-audit-checkpoints-0123456789" };

const record = (i: number): AuditRecord => ({
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  location_uid: `loc-${i % 3}`,
  org_slug: "org",
  endpoint: "/v4/contacts",
  method: "POST",
  status: 202,
  request_id: `r-${i}`,
  latency_ms: 1.5,
});

/** Lines of a plain file, without their newlines. */
const linesOf = async (file: string): Promise<string[]> => (await readFile(file, "utf8")).split("\n").slice(0, -1);
const writeLines = (file: string, lines: string[]): Promise<void> => writeFile(file, lines.map((l) => `${l}\n`).join(""));

describe("podium-router audit verify: anchors, checkpoints, tampering", () => {
  let dir: string;
  let path: string;
  let settingsFile: string;

  /** Writes `.2` (r-0..3), `.1` (r-4..7) and the live file (r-8..11) through the writer, as logrotate's create would. */
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-tamper-"));
    path = join(dir, "audit.jsonl");
    settingsFile = join(dir, "settings.yaml");
    await writeFile(settingsFile, `audit:\n  path: ${path}\n  retention_days: 7\n  checkpoints:\n    hmac_key: env:${KEY_ENV}\n`);
    const settings = validateSettings({ audit: { path, retention_days: 7, checkpoints: { hmac_key: `env:${KEY_ENV}` } } });
    const { store, key } = await createAuditCheckpoints(settings, env);
    const log = createAuditLog({ path, fsync: "always", fsyncIntervalMs: 100, checkpoints: store, checkpointKey: key });
    for (let file = 0; file < 3; file++) {
      for (let i = file * 4; i < file * 4 + 4; i++) log.append(record(i));
      await log.flush();
      if (file === 0) await rename(path, `${path}.1`);
      if (file === 1) {
        await rename(`${path}.1`, `${path}.2`);
        await rename(path, `${path}.1`);
      }
      if (file < 2) await log.reopen();
    }
    await log.close(); // writes the last checkpoint
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const verify = async (): Promise<{ code: number; out: string; err: string }> => {
    const m = createMemoryIo({ cwd: dir, env });
    const code = await main(["audit", "verify", "--settings", settingsFile], m.io);
    return { code, out: m.stdout(), err: m.stderr() };
  };

  it("is intact as written: it prints every file it read and the last checkpoint", async () => {
    const r = await verify();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`read ${path}.2\nread ${path}.1\nread ${path}\n`);
    expect(r.out).toContain("audit chain intact: 12 line(s) in 3 file(s), from the first line of the log");
    expect(r.out).toMatch(/last checkpoint: .*, found; 0 line\(s\) after it/);
  });

  it("reports an edited first line of the oldest file", async () => {
    const lines = await linesOf(`${path}.2`);
    lines[0] = lines[0]!.replace('"status":202', '"status":299');
    await writeLines(`${path}.2`, lines);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain broken: edited: .*audit\.jsonl\.2 line 1 /);
  });

  it("reports a deleted first line of the oldest file", async () => {
    await writeLines(`${path}.2`, (await linesOf(`${path}.2`)).slice(1));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain broken: deleted: .*audit\.jsonl\.2 line 1 /);
  });

  it("reports a line inserted before the first line of the oldest file", async () => {
    const lines = await linesOf(`${path}.2`);
    const forged = lines[0]!.replace('"request_id":"r-0"', '"request_id":"r-forged"');
    await writeLines(`${path}.2`, [forged, ...lines]);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain broken: (inserted|edited): .*audit\.jsonl\.2 line 1 /);
  });

  it("reports lines cut from the end of the newest file (the last checkpoint's line is gone)", async () => {
    await writeLines(path, (await linesOf(path)).slice(0, -2));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain broken: missing: the log ends before the last checkpoint/);
  });

  it("reports a whole middle file removed", async () => {
    await rm(`${path}.1`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit chain broken: deleted: .*audit\.jsonl line 1 does not chain from the last line of the file before it/);
  });

  it("reports a chain regenerated after an edit by someone without the HMAC key", async () => {
    // The whole trail rewritten from genesis with one status changed, every hash recomputed, so the chain itself
    // verifies; the checkpoint still names the old head.
    const files = [`${path}.2`, `${path}.1`, path];
    let prev = "0".repeat(64);
    for (const file of files) {
      const out: string[] = [];
      for (const line of await linesOf(file)) {
        const canonical = line.replace(/,"hash":"[0-9a-f]{64}"\}$/, "}").replace('"request_id":"r-5"', '"request_id":"r-5x"');
        prev = createHash("sha256").update(prev).update(canonical).digest("hex");
        out.push(`${canonical.slice(0, -1)},"hash":"${prev}"}`);
      }
      await writeLines(file, out);
    }
    const stale = await verify();
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/missing: the log ends before the last checkpoint/);
    // And with the checkpoint rewritten to the new head, without the key: its HMAC does not match.
    const cpFile = `${path}.checkpoints`;
    const doc = JSON.parse(await readFile(cpFile, "utf8")) as { anchors: unknown[]; checkpoint: Record<string, unknown> };
    doc.checkpoint = { ...doc.checkpoint, head_hash: prev, hmac: createHash("sha256").update(prev).digest("hex") };
    await writeFile(cpFile, JSON.stringify(doc));
    const forged = await verify();
    expect(forged.code).toBe(1);
    expect(forged.err).toMatch(/audit chain broken: forged: .*checkpoint .* without the HMAC of audit\.checkpoints\.hmac_key/);
  });

  it("checks the first kept line against the anchor retention recorded when it removed the oldest file", async () => {
    const old = (Date.now() - 30 * 86_400_000) / 1000;
    await utimes(`${path}.2`, old, old);
    const settings = validateSettings({ audit: { path, retention_days: 7, checkpoints: { hmac_key: `env:${KEY_ENV}` } } });
    const { store, key } = await createAuditCheckpoints(settings, env);
    const log = createAuditLog({ path, fsync: "always", fsyncIntervalMs: 100, retentionDays: 7, checkpoints: store, checkpointKey: key });
    expect(await log.applyRetention()).toEqual([`${path}.2`]);
    await log.close();
    const kept = await verify();
    expect(kept.code).toBe(0);
    expect(kept.out).toContain("audit chain intact: 8 line(s) in 2 file(s), from the anchored start of the kept trail");
    // The first kept line edited (its hash left as it was), or deleted: both reported.
    const lines = await linesOf(`${path}.1`);
    await writeLines(`${path}.1`, [lines[0]!.replace('"status":202', '"status":299'), ...lines.slice(1)]);
    expect(await verify()).toMatchObject({ code: 1, err: expect.stringMatching(/edited: .*audit\.jsonl\.1 line 1 /) });
    await writeLines(`${path}.1`, lines.slice(1));
    expect(await verify()).toMatchObject({ code: 1, err: expect.stringMatching(/deleted: .*audit\.jsonl\.1 line 1 /) });
  });

  it("exits 2 naming the path when there is no log, and finds dev's log with --state-dir", async () => {
    const empty = await mkdtemp(join(tmpdir(), "audit-none-"));
    try {
      const m = createMemoryIo({ cwd: empty, env });
      expect(await main(["audit", "verify"], m.io)).toBe(2);
      expect(m.stderr()).toContain(`no audit log at ${join(empty, "state/audit/audit.jsonl")}`);
      expect(m.stdout()).toBe("");
      const d = createMemoryIo({ cwd: empty, env });
      expect(await main(["audit", "verify", "--state-dir", "dev-state"], d.io)).toBe(2);
      expect(d.stderr()).toContain(`no audit log at ${join(empty, "dev-state/audit/audit.jsonl")}`);
      // Where dev keeps its log, --state-dir finds it.
      const devLog = createAuditLog({ path: join(empty, "dev-state/audit/audit.jsonl"), fsync: "never", fsyncIntervalMs: 100 });
      devLog.append(record(1));
      await devLog.close();
      const found = createMemoryIo({ cwd: empty, env });
      expect(await main(["audit", "verify", "--state-dir", "dev-state"], found.io)).toBe(0);
      expect(found.stdout()).toContain(`read ${join(empty, "dev-state/audit/audit.jsonl")}`);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

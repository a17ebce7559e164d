import { copyFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditLog } from "./audit-log.js";
import type { AuditLog, AuditLogOptions } from "./audit-log.js";
import { verifyAuditChain } from "./audit-verify.js";
import { auditRecord as rec, collectAudit, readJsonLines } from "../testing/audit-fixtures.js";

describe("createAuditLog() rotation and the hash chain", () => {
  let dir: string;
  let path: string;
  let warnings: Error[];
  let log: AuditLog | undefined;
  const make = (over: Partial<AuditLogOptions> = {}): AuditLog => {
    log = createAuditLog({ path, fsync: "never", fsyncIntervalMs: 50, onError: (e) => warnings.push(e), ...over });
    return log;
  };
  const ids = async (file: string): Promise<unknown[]> => (await readJsonLines(file)).map((l) => l.request_id);
  const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `req-${from + k}`);
  const appendRange = (a: AuditLog, from: number, to: number): void => {
    for (let i = from; i < to; i++) a.append(rec(i));
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-rotation-"));
    path = join(dir, "audit.jsonl");
    warnings = [];
  });
  afterEach(async () => {
    await log?.close().catch(() => undefined);
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("continues the chain from the last line of the file after a restart", async () => {
    const a = make();
    appendRange(a, 0, 3);
    await a.close();
    const b = make();
    appendRange(b, 3, 5);
    await b.close();
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, lines: 5, fromGenesis: true });
  });

  it("continues the chain from the newest rotated file when the live file is empty or missing, gzipped or not", async () => {
    const a = make();
    appendRange(a, 0, 3);
    await a.close();
    await rename(path, `${path}.2`);
    const b = make();
    appendRange(b, 3, 6);
    await b.close();
    await writeFile(`${path}.1.gz`, gzipSync(await readFile(path)));
    await writeFile(path, ""); // logrotate `create` leaves an empty file
    const c = make();
    appendRange(c, 6, 8);
    await c.close();
    await rm(`${path}.1.gz`);
    await rename(path, `${path}.1`);
    const d = make();
    appendRange(d, 8, 9);
    await d.close();
    expect(await ids(`${path}.2`)).toEqual(range(0, 3));
    expect(await ids(`${path}.1`)).toEqual(range(6, 8));
    // .1.gz (3-5) is gone, so verify the files that are left, naming the gap, and then the whole story.
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: `${path}.1`, line: 1, reason: "deleted" });
    expect(await verifyAuditChain([`${path}.1`, path])).toMatchObject({ ok: true, lines: 3, fromGenesis: false });
  });

  it("removes a last line cut by a crash before writing on, so the chain stays whole", async () => {
    const a = make();
    appendRange(a, 0, 3);
    await a.close();
    const cut = '{"ts":"2026-01-01T00:00:03.000Z","location_uid":"lo';
    await writeFile(path, `${await readFile(path, "utf8")}${cut}`);
    const b = make();
    appendRange(b, 3, 5);
    await b.close();
    expect(await ids(path)).toEqual(range(0, 5));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, lines: 5 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining(`removed an incomplete last line (${cut.length} bytes)`)]);
  });

  it("reopen() (SIGHUP after logrotate `create`) moves to the new file; lines written before it go to the renamed one", async () => {
    const a = make({ rotationCheckMs: 60_000 }); // only the signal, not the periodic look
    appendRange(a, 0, 5);
    await a.flush();
    await rename(path, `${path}.1`);
    await writeFile(path, "");
    appendRange(a, 5, 8); // before the signal: still the old handle, now the rotated file
    await a.flush();
    const onHup = (): void => void a.reopen();
    process.on("SIGHUP", onHup);
    try {
      const reopened = new Promise<void>((resolve) => process.once("SIGHUP", () => setImmediate(resolve)));
      process.kill(process.pid, "SIGHUP");
      await reopened;
      await a.reopen(); // and once more directly: idempotent
    } finally {
      process.off("SIGHUP", onHup);
    }
    appendRange(a, 8, 12);
    await a.close();
    expect(await ids(`${path}.1`)).toEqual(range(0, 8));
    expect(await ids(path)).toEqual(range(8, 12));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, files: 2, lines: 12, fromGenesis: true });
  });

  it("notices on its own that logrotate renamed the file (`create`) and writes to the new one", async () => {
    const a = make({ rotationCheckMs: 0 });
    appendRange(a, 0, 5);
    await a.flush();
    await rename(path, `${path}.1`);
    appendRange(a, 5, 7); // no file at the path yet: created
    await a.flush();
    await rename(path, `${path}.2`);
    await writeFile(path, ""); // this time logrotate creates the new file itself
    appendRange(a, 7, 9);
    await a.close();
    expect([await ids(`${path}.1`), await ids(`${path}.2`), await ids(path)]).toEqual([range(0, 5), range(5, 7), range(7, 9)]);
    expect(await verifyAuditChain([`${path}.1`, `${path}.2`, path])).toMatchObject({ ok: true, lines: 9, fromGenesis: true });
  });

  it("notices on its own that logrotate truncated the file (`copytruncate`) and writes on at its new end", async () => {
    const a = make({ rotationCheckMs: 0 });
    appendRange(a, 0, 5);
    await a.flush();
    await copyFile(path, `${path}.1`);
    await truncate(path, 0);
    appendRange(a, 5, 8);
    await a.close();
    expect(await ids(`${path}.1`)).toEqual(range(0, 5));
    expect(await ids(path)).toEqual(range(5, 8));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, files: 2, lines: 8 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/shrank from \d+ to 0 bytes \(logrotate copytruncate\?\)/)]);
  });

  it("loses no line while records keep coming through a rotation and a reopen", async () => {
    const a = make({ rotationCheckMs: 0 });
    let n = 0;
    /** Appends a few records per turn of the event loop, for `turns` turns, while the rotation goes on. */
    const produce = async (turns: number): Promise<void> => {
      for (let t = 0; t < turns; t++) {
        for (let k = 0; k < 7; k++) a.append(rec(n++));
        await new Promise((r) => setImmediate(r));
      }
    };
    await produce(40);
    await a.flush(); // the file exists
    await Promise.all([produce(40), rename(path, `${path}.2`)]);
    await produce(40);
    await a.flush(); // the writer noticed and created the file again
    // As logrotate `create` does: rename, create the new file unless the writer already did (O_EXCL), signal.
    const create = (): Promise<void> => writeFile(path, "", { flag: "wx" }).catch((err: NodeJS.ErrnoException) => void expect(err.code).toBe("EEXIST"));
    await Promise.all([produce(40), rename(path, `${path}.1`).then(create).then(() => a.reopen())]);
    await produce(40);
    await a.close();
    const all = [...(await ids(`${path}.2`)), ...(await ids(`${path}.1`)), ...(await ids(path))];
    expect(all).toEqual(range(0, n));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, lines: n });
    // And the index finds every one of them across the three files.
    const b = make();
    expect((await collectAudit(b, { locationUid: "loc-1" })).length).toBe(all.filter((_, i) => i % 3 === 1).length);
  });
});

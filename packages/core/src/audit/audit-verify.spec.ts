import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditChainHash, chainAuditLine } from "./audit-chain.js";
import { auditLine } from "./audit-record.js";
import { runAuditVerify, verifyAuditChain } from "./audit-verify.js";
import { auditRecord, auditRecords, chainRecords } from "../testing/audit-fixtures.js";

describe("verifyAuditChain()", () => {
  let dir: string;
  let path: string;
  /** The log: `.2.gz` holds records 0-4, `.1` 5-9, the live file 10-14, chained throughout. */
  let last: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-verify-"));
    path = join(dir, "audit.jsonl");
    const a = chainRecords(auditRecords(0, 5));
    const b = chainRecords(auditRecords(5, 10), a.last);
    const c = chainRecords(auditRecords(10, 15), b.last);
    last = c.last;
    await writeFile(`${path}.2.gz`, gzipSync(a.lines.join("")));
    await writeFile(`${path}.1`, b.lines.join(""));
    await writeFile(path, c.lines.join(""));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Rewrites the lines of a plain file. */
  const edit = async (file: string, change: (lines: string[]) => string[]): Promise<void> => {
    const lines = (await readFile(file, "utf8")).split("\n").slice(0, -1);
    await writeFile(file, change(lines).map((l) => `${l}\n`).join(""));
  };

  it("accepts a chain that runs across rotated files, gzipped ones included", async () => {
    expect(await verifyAuditChain({ path })).toEqual({
      ok: true,
      files: 3,
      lines: 15,
      lastHash: last,
      fromGenesis: true,
      cutLines: [],
      paths: [`${path}.2.gz`, `${path}.1`, path],
      anchored: false,
      checkpoint: undefined,
      outcomeUnknown: [],
    });
    const listed = await verifyAuditChain([`${path}.2.gz`, `${path}.1`, path]);
    expect(listed).toMatchObject({ ok: true, lines: 15, lastHash: last });
  });

  it("names the first edited line, not a later one", async () => {
    await edit(`${path}.1`, (l) => l.map((line, i) => (i === 2 ? line.replace('"status":503', '"status":200') : line)));
    await edit(path, (l) => l.map((line, i) => (i === 4 ? line.replace("loc-2", "loc-0") : line)));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: `${path}.1`, line: 3, reason: "edited", lines: 7 });
  });

  it("names an inserted line, whether its hash is junk or made to fit", async () => {
    const junk = chainAuditLine("f".repeat(64), auditLine(auditRecord(99)).slice(0, -1)).line.slice(0, -1);
    await edit(path, (l) => [...l.slice(0, 3), junk, ...l.slice(3)]);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: path, line: 4, reason: "inserted" });

    await edit(path, (l) => {
      const kept = [...l.slice(0, 3), ...l.slice(4)];
      const prev = (JSON.parse(kept[1]!) as { hash: string }).hash;
      const fitted = chainAuditLine(prev, auditLine(auditRecord(98)).slice(0, -1)).line.slice(0, -1);
      return [...kept.slice(0, 2), fitted, ...kept.slice(2)];
    });
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: path, line: 3, reason: "inserted" });
  });

  it("names the line where lines were deleted", async () => {
    // The last line of .1 removed: the live file no longer chains from the file before it.
    await edit(`${path}.1`, (l) => l.slice(0, -1));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: path, line: 1, reason: "deleted", lines: 9 });
  });

  it("names the line after a line deleted inside a file, saying a deletion looks like an edit there", async () => {
    await edit(path, (l) => [...l.slice(0, 2), ...l.slice(3)]);
    const result = await verifyAuditChain({ path });
    expect(result).toMatchObject({ ok: false, file: path, line: 3, reason: "edited", lines: 12 });
    expect(result.ok === false && result.message).toMatch(/or the line before it was removed/);
  });

  it("names a line that is not a chained record as malformed", async () => {
    await edit(path, (l) => [l[0]!, "not json at all", ...l.slice(1)]);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: path, line: 2, reason: "malformed" });
    await edit(path, (l) => [l[0]!, auditLine(auditRecord(50)).slice(0, -1), ...l.slice(2)]);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: path, line: 2, reason: "malformed" });
  });

  it("starts from the oldest kept line when older files were removed, and checks every line after it", async () => {
    await rm(`${path}.2.gz`);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, files: 2, lines: 10, lastHash: last, fromGenesis: false });
    await edit(`${path}.1`, (l) => l.map((line, i) => (i === 1 ? line.replace("req-6", "req-X") : line)));
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: false, file: `${path}.1`, line: 2, reason: "edited" });
  });

  it("notes a last line cut by an interrupted write without calling it a break", async () => {
    await writeFile(path, `${await readFile(path, "utf8")}{"ts":"2026-01-01T00:01:00.000Z","locat`);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, lines: 15, cutLines: [{ file: path, line: 6 }] });
  });

  it("hashes the previous hash and the canonical record, so anyone can recompute a line", async () => {
    const [line] = chainRecords([auditRecord(1)]).lines;
    const { hash, ...record } = JSON.parse(line!) as Record<string, unknown>;
    expect(hash).toBe(auditChainHash("0".repeat(64), JSON.stringify(record)));
  });
});

describe("runAuditVerify()", () => {
  let dir: string;
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-verify-run-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 with the line count and last hash when intact, 1 naming the broken line, 2 when a file cannot be read", async () => {
    const file = join(dir, "audit.jsonl");
    const { lines, last } = chainRecords(auditRecords(0, 4));
    await writeFile(file, lines.join(""));
    const ok = io();
    expect(await runAuditVerify([file], ok.io)).toBe(0);
    expect(ok.out.stdout).toContain("audit chain intact: 4 line(s) in 1 file(s)");
    expect(ok.out.stdout).toContain(last);

    await writeFile(file, lines.map((l, i) => (i === 2 ? l.replace("req-2", "req-two") : l)).join(""));
    const broken = io();
    expect(await runAuditVerify({ path: file }, broken.io)).toBe(1);
    expect(broken.out.stderr).toMatch(/^podium-router: audit chain broken: edited: .*audit\.jsonl line 3 /);

    const missing = io();
    expect(await runAuditVerify([join(dir, "nope.jsonl")], missing.io)).toBe(2);
    expect(missing.out.stderr).toMatch(/ENOENT/);
  });
});

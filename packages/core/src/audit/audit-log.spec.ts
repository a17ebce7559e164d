import { chmod, mkdir, mkdtemp, open, readFile, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAuditLog } from "./audit-log.js";
import type { AuditLog, AuditLogOptions } from "./audit-log.js";
import type { AuditQuery, AuditRecord } from "./audit-record.js";
import { chainRecords } from "../testing/audit-fixtures.js";

const FIELD_ORDER = ["ts", "location_uid", "org_slug", "endpoint", "method", "status", "request_id", "latency_ms"];

function rec(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
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

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((l) => l !== "");
}

async function collect(log: AuditLog, q: AuditQuery): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of log.query(q)) out.push(r);
  return out;
}

/** The FileHandle prototype, so a test can watch `datasync` on the handles the log opens. */
async function fileHandleProto(dir: string): Promise<FileHandle> {
  const fh = await open(join(dir, "probe"), "w");
  await fh.close();
  return Object.getPrototypeOf(fh) as FileHandle;
}

describe("createAuditLog()", () => {
  let dir: string;
  let path: string;
  let errors: Error[];
  let log: AuditLog | undefined;
  const make = (over: Partial<AuditLogOptions> = {}): AuditLog => {
    log = createAuditLog({ path, fsync: "interval", fsyncIntervalMs: 50, onError: (e) => errors.push(e), ...over });
    return log;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-log-"));
    path = join(dir, "state", "audit", "audit.jsonl");
    errors = [];
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await log?.close().catch(() => undefined);
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the fixed fields in their fixed order, then caller and error_code when present, then the chained hash", async () => {
    const a = make();
    a.append(rec(1));
    a.append(rec(2, { caller: "crm-sync", error_code: "ERR_LOC_RATE_LIMITED", status: 0 }));
    await a.flush();
    const [first, second] = await lines(path);
    expect(first).toMatch(
      new RegExp(
        /^\{"ts":"2026-01-01T00:00:01.000Z","location_uid":"loc-1","org_slug":"acme","endpoint":"\/v4\/contacts\/\{identifier\}",/.source +
        /"method":"POST","status":201,"request_id":"req-1","latency_ms":12.5,"hash":"[0-9a-f]{64}"\}$/.source,
      ),
    );
    // The first line of a fresh log chains from the genesis hash; each next line from the one before.
    expect(`${first}\n${second}\n`).toBe(chainRecords([rec(1), rec(2, { caller: "crm-sync", error_code: "ERR_LOC_RATE_LIMITED", status: 0 })]).lines.join(""));
    expect(Object.keys(JSON.parse(second!))).toEqual([...FIELD_ORDER, "caller", "error_code", "hash"]);
    expect(JSON.parse(second!)).toMatchObject({ caller: "crm-sync", error_code: "ERR_LOC_RATE_LIMITED", status: 0 });
  });

  it("never writes a field outside the fixed set, such as a token or a body", async () => {
    const a = make();
    const leaky = { ...rec(1), token: "at-SECRET-123", body: '{"phone":"+15550001111"}', authorization: "Bearer at-SECRET-123" };
    a.append(leaky as AuditRecord);
    await a.flush();
    const text = await readFile(path, "utf8");
    expect(text).not.toMatch(/SECRET|phone|token|body|authorization/);
    expect(Object.keys(JSON.parse(text))).toEqual([...FIELD_ORDER, "hash"]);
  });

  it("keeps append order when appends interleave across concurrent tasks", async () => {
    const a = make();
    let seq = 0;
    const task = async (name: string): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        a.append(rec(i, { request_id: `${seq++}`, caller: name }));
        if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        else await Promise.resolve();
      }
    };
    await Promise.all(["t1", "t2", "t3", "t4"].map(task));
    await a.flush();
    const written = (await lines(path)).map((l) => JSON.parse(l) as AuditRecord);
    expect(written.map((r) => Number(r.request_id))).toEqual([...Array(200).keys()]);
    for (const name of ["t1", "t2", "t3", "t4"]) {
      expect(written.filter((r) => r.caller === name).map((r) => r.ts)).toEqual([...Array(50).keys()].map((i) => rec(i).ts));
    }
  });

  it("with fsync 'always', flush() resolves only after fdatasync", async () => {
    const proto = await fileHandleProto(dir);
    const events: string[] = [];
    const original = proto.datasync;
    vi.spyOn(proto, "datasync").mockImplementation(async function (this: FileHandle) {
      await original.call(this);
      events.push("synced");
    });
    const a = make({ fsync: "always" });
    a.append(rec(1));
    a.append(rec(2));
    await a.flush();
    events.push("flushed");
    expect(events).toEqual(["synced", "flushed"]);
    expect(await lines(path)).toHaveLength(2);
  });

  it("with fsync 'interval', syncs at most once per interval, and flush() syncs what is written", async () => {
    const proto = await fileHandleProto(dir);
    const spy = vi.spyOn(proto, "datasync");
    const a = make({ fsync: "interval", fsyncIntervalMs: 100 });
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) {
      a.append(rec(i));
      await new Promise((r) => setTimeout(r, 10));
    }
    const syncsDuringRun = spy.mock.calls.length;
    const elapsed = performance.now() - t0;
    // Synced in the background, without a flush, but not once per write.
    expect(syncsDuringRun).toBeGreaterThanOrEqual(1);
    expect(syncsDuringRun).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 1);
    await a.flush();
    expect(await lines(path)).toHaveLength(30);
  });

  it("with fsync 'never', flush() resolves once written and never syncs", async () => {
    const proto = await fileHandleProto(dir);
    const spy = vi.spyOn(proto, "datasync");
    const a = make({ fsync: "never" });
    a.append(rec(1));
    await a.flush();
    expect(await lines(path)).toHaveLength(1);
    await a.close();
    expect(spy).not.toHaveBeenCalled();
  });

  it("close() writes every record appended before it, and reports appends after it", async () => {
    const a = make();
    for (let i = 0; i < 1000; i++) a.append(rec(i));
    await a.close();
    expect(await lines(path)).toHaveLength(1000);
    a.append(rec(1001));
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/closed.*req-1001/)]);
    expect(await lines(path)).toHaveLength(1000);
  });

  it("creates the directory, and the file with mode 0600, tightening an existing looser file", async () => {
    const a = make();
    a.append(rec(1));
    await a.flush();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await a.close();
    await chmod(path, 0o644);
    const b = make();
    b.append(rec(2));
    await b.flush();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("keeps the records when the file cannot be written, and writes them once it can", async () => {
    path = join(dir, "blocker", "audit.jsonl");
    await writeFile(join(dir, "blocker"), "a file where the directory should be");
    const a = make();
    a.append(rec(1));
    a.append(rec(2));
    await expect(a.flush()).rejects.toThrow(/2 record\(s\) kept/);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    await rm(join(dir, "blocker"));
    a.append(rec(3));
    await a.flush();
    expect((await lines(path)).map((l) => (JSON.parse(l) as AuditRecord).request_id)).toEqual(["req-1", "req-2", "req-3"]);
  });

  it("query() skips bad lines with a warning and keeps the good lines after them; a cut last line is removed before the next write", async () => {
    await mkdir(join(dir, "state", "audit"), { recursive: true });
    const good = (i: number): string => JSON.stringify(rec(i));
    await writeFile(path, `${good(1)}\nnot json at all\n${good(2)}\n{"ts":"2026-01-01T00:00:09.000Z","location_`);
    const a = make();
    expect((await collect(a, {})).map((r) => r.request_id)).toEqual(["req-1", "req-2"]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/line 2: not JSON; skipped/)]);
    expect(a.indexWarnings).toBe(1);
    // The writer cuts the partial line off, so it neither swallows the next record nor breaks the chain.
    a.append(rec(3));
    expect((await collect(a, {})).map((r) => r.request_id)).toEqual(["req-1", "req-2", "req-3"]);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/removed an incomplete last line \(\d+ bytes\)/));
    expect((await lines(path)).slice(-1)[0]).toMatch(/"request_id":"req-3"/);
  });

  it("query() filters by location, time range, method, status class and request id, up to limit", async () => {
    const a = make();
    for (let i = 0; i < 12; i++) a.append(rec(i));
    const ids = async (q: AuditQuery): Promise<string[]> => (await collect(a, q)).map((r) => r.request_id);
    expect(await ids({ locationUid: "loc-1" })).toEqual(["req-1", "req-4", "req-7", "req-10"]);
    const t = (s: number): number => Date.UTC(2026, 0, 1, 0, 0, s);
    expect(await ids({ since: t(3), until: t(6) })).toEqual(["req-3", "req-4", "req-5"]);
    expect(await ids({ method: "post", statusClass: "2xx" })).toEqual(["req-1", "req-5", "req-9"]);
    expect(await ids({ statusClass: "5xx" })).toEqual(["req-3", "req-7", "req-11"]);
    expect(await ids({ requestId: "req-8" })).toEqual(["req-8"]);
    expect(await ids({ locationUid: "loc-2", limit: 2 })).toEqual(["req-2", "req-5"]);
    expect(await ids({ locationUid: "loc-none" })).toEqual([]);
  });

  it("query() reads rotated files first, oldest first, and yields nothing before the first write", async () => {
    const a = make();
    expect(await collect(a, {})).toEqual([]);
    await mkdir(join(dir, "state", "audit"), { recursive: true });
    await writeFile(`${path}.2`, `${JSON.stringify(rec(1))}\n`);
    await writeFile(`${path}.1`, `${JSON.stringify(rec(2))}\n`);
    a.append(rec(3));
    expect((await collect(a, {})).map((r) => r.request_id)).toEqual(["req-1", "req-2", "req-3"]);
  });
});

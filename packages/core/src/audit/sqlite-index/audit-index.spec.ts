import { appendFile, copyFile, mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditIndex } from "./audit-index.js";
import type { AuditIndex, AuditIndexOptions } from "./audit-index.js";
import { compileAuditQuery, parseAuditLine } from "../audit-record.js";
import type { AuditQuery, AuditRecord } from "../audit-record.js";
import { auditRecord as rec, auditRecords, chainRecords } from "../../testing/audit-fixtures.js";

/** What a scan of the lines finds: records matching `q`, ordered by ts (ties in log order), up to the limit. */
function bruteForce(lines: string[], q: AuditQuery): AuditRecord[] {
  const filter = compileAuditQuery(q);
  const found = lines
    .map((l) => parseAuditLine(l))
    .filter((r): r is AuditRecord => r !== undefined && filter.matches(r))
    .map((r, i) => ({ r, i, t: Date.parse(r.ts) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map(({ r }) => r);
  return q.limit === undefined ? found : found.slice(0, Math.max(0, q.limit));
}

describe("createAuditIndex()", () => {
  let dir: string;
  let path: string;
  let warnings: string[];
  let index: AuditIndex | undefined;
  const open = (over: Partial<AuditIndexOptions> = {}): AuditIndex => {
    index?.close();
    index = createAuditIndex({ path, indexPath: join(dir, "index.sqlite"), onWarning: (e) => warnings.push(e.message), ...over });
    return index;
  };
  const query = (ix: AuditIndex, q: AuditQuery = {}): AuditRecord[] => [...ix.query(q)];
  const ids = (records: AuditRecord[]): string[] => records.map((r) => r.request_id);
  const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `req-${from + k}`);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-index-"));
    path = join(dir, "audit.jsonl");
    warnings = [];
  });
  afterEach(async () => {
    index?.close();
    index = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("indexes rotated files (gzipped or not) and the live file, and rebuilds each record as written", async () => {
    const a = chainRecords(auditRecords(0, 4));
    const b = chainRecords(auditRecords(4, 8), a.last);
    const c = chainRecords([...auditRecords(8, 11), rec(11, { caller: "crm-sync", error_code: "ERR_LOC_RATE_LIMITED", status: 0 })], b.last);
    await writeFile(`${path}.2.gz`, gzipSync(a.lines.join("")));
    await writeFile(`${path}.1`, b.lines.join(""));
    await writeFile(path, c.lines.join(""));
    const ix = open();
    expect(await ix.refresh()).toEqual({ files: 3, lines: 12, bytes: [...a.lines, ...b.lines, ...c.lines].join("").length });
    expect(query(ix)).toEqual([...auditRecords(0, 11), rec(11, { caller: "crm-sync", error_code: "ERR_LOC_RATE_LIMITED", status: 0 })]);
    expect(warnings).toEqual([]);
  });

  it("reads only what was appended since the last refresh, and a query then sees it", async () => {
    const a = chainRecords(auditRecords(0, 5));
    await writeFile(path, a.lines.join(""));
    const ix = open({ segmentLines: 4 });
    expect((await ix.refresh()).lines).toBe(5);
    expect(await ix.refresh()).toEqual({ files: 0, lines: 0, bytes: 0 });
    const b = chainRecords(auditRecords(5, 7), a.last);
    await appendFile(path, b.lines.join(""));
    expect(await ix.refresh()).toEqual({ files: 1, lines: 2, bytes: b.lines.join("").length });
    expect(ids(query(ix, { locationUid: "loc-2" }))).toEqual(["req-2", "req-5"]);
    // A line still being written waits for its newline, silently.
    await appendFile(path, '{"ts":"2026-01-01T00:00:07.000Z","loca');
    expect((await ix.refresh()).lines).toBe(0);
    await appendFile(path, (chainRecords([rec(7)], b.last).lines[0] ?? "").slice(38));
    expect((await ix.refresh()).lines).toBe(1);
    expect(ids(query(ix))).toEqual(range(0, 8));
    expect(warnings).toEqual([]);
  });

  it("knows a file again by its first line after logrotate renames and gzips it, so nothing is read twice", async () => {
    const a = chainRecords(auditRecords(0, 4));
    await writeFile(path, a.lines.join(""));
    const ix = open();
    await ix.refresh();
    await rename(path, `${path}.1`);
    const b = chainRecords(auditRecords(4, 6), a.last);
    await writeFile(path, b.lines.join(""));
    expect((await ix.refresh()).lines).toBe(2);
    await writeFile(`${path}.2.gz`, gzipSync(await readFile(`${path}.1`)));
    await rm(`${path}.1`);
    expect((await ix.refresh()).lines).toBe(0);
    expect(ids(query(ix))).toEqual(range(0, 6));
    // A new process finds it all again from the database.
    const again = open();
    expect((await again.refresh()).lines).toBe(0);
    expect(ids(query(again))).toEqual(range(0, 6));
  });

  it("after copytruncate, knows the copy by its first line and reads the emptied live file afresh", async () => {
    const a = chainRecords(auditRecords(0, 4));
    await writeFile(path, a.lines.join(""));
    const ix = open();
    await ix.refresh();
    await copyFile(path, `${path}.1`);
    await truncate(path, 0);
    expect((await ix.refresh()).lines).toBe(0);
    const b = chainRecords(auditRecords(4, 9), a.last);
    await writeFile(path, b.lines.join("")); // longer than before: the size alone would not tell
    expect((await ix.refresh()).lines).toBe(5);
    expect(ids(query(ix))).toEqual(range(0, 9));
    expect(warnings).toEqual([]);
  });

  it("skips a line that is not JSON or not a record with a warning and a count, and keeps the lines after it", async () => {
    const { lines } = chainRecords(auditRecords(0, 6));
    const bad = ["not json at all", "[1,2,3]", '{"ts":"2026-01-01T00:00:00.000Z","status":"200"}', '{"ts":"yesterday","location_uid":"x","org_slug":"","endpoint":"","method":"GET","status":200,"request_id":"r","latency_ms":1}'];
    await writeFile(path, [lines[0], bad[0], lines[1], bad[1], lines[2], bad[2], lines[3], bad[3], lines[4], "\n", lines[5]].map((l) => l!.replace(/\n$/, "")).join("\n") + "\n");
    const ix = open();
    await ix.refresh();
    expect(ids(query(ix))).toEqual(range(0, 6));
    expect(warnings).toEqual([
      expect.stringMatching(/line 2: not JSON; skipped$/),
      expect.stringMatching(/line 4: JSON but not an audit record; skipped$/),
      expect.stringMatching(/line 6: JSON but not an audit record; skipped$/),
      expect.stringMatching(/line 8: its ts is not a date; skipped$/),
    ]);
    expect(ix.warnings).toBe(4);
    expect(warnings.join("\n")).not.toMatch(/yesterday|"status"/); // never the content
  });

  it("indexes the known fields of a line with unknown fields, with a warning", async () => {
    const odd = { ...rec(1), token: "at-SECRET", extra: { nested: true } };
    await writeFile(path, `${JSON.stringify(rec(0))}\n${JSON.stringify(odd)}\n${JSON.stringify(rec(2))}\n`);
    const ix = open();
    await ix.refresh();
    expect(query(ix)).toEqual(auditRecords(0, 3));
    expect(warnings).toEqual([expect.stringMatching(/line 2: 2 unknown field\(s\) not indexed/)]);
    expect(warnings.join()).not.toMatch(/SECRET|token/);
  });

  it("skips a cut last line of a rotated file once with a warning, and a line over 1 MiB", async () => {
    const { lines } = chainRecords(auditRecords(0, 3));
    await writeFile(`${path}.1`, `${lines[0]}${"x".repeat(1024 * 1024 + 10)}\n${lines[1]}{"ts":"2026-01-01T00:`);
    await writeFile(path, lines[2]!);
    const ix = open();
    await ix.refresh();
    await ix.refresh();
    expect(ids(query(ix))).toEqual(range(0, 3));
    expect(warnings).toEqual([expect.stringMatching(/\.1 line 2: longer than 1048576 bytes; skipped/), expect.stringMatching(/\.1 line 4: cut short \(21 bytes/)]);
  });

  it("drops the rows of a file deleted between two refreshes, with a warning, and keeps the rest", async () => {
    const a = chainRecords(auditRecords(0, 3));
    const b = chainRecords(auditRecords(3, 6), a.last);
    await writeFile(`${path}.1`, a.lines.join(""));
    await writeFile(path, b.lines.join(""));
    const ix = open();
    await ix.refresh();
    await rm(`${path}.1`);
    await ix.refresh();
    expect(ids(query(ix))).toEqual(range(3, 6));
    expect(warnings).toEqual([expect.stringMatching(/last seen as audit\.jsonl\.1 is gone; its 3 line\(s\) are no longer in the index/)]);
    expect(ix.warnings).toBe(1);
  });

  it("forget() drops a file's rows before retention removes it", async () => {
    const a = chainRecords(auditRecords(0, 3));
    await writeFile(`${path}.1.gz`, gzipSync(a.lines.join("")));
    await writeFile(path, chainRecords(auditRecords(3, 4), a.last).lines.join(""));
    const ix = open();
    await ix.refresh();
    expect(await ix.forget(`${path}.1.gz`)).toBe(true);
    expect(ids(query(ix))).toEqual(["req-3"]);
    expect(await ix.forget(join(dir, "never-seen"))).toBe(false);
  });

  it("gives back odd values exactly: timestamps, latencies, request ids and escaped text", async () => {
    const odd: AuditRecord[] = [
      rec(0, { ts: "2026-01-01T00:00:00Z", latency_ms: 12.345 }),
      rec(1, { request_id: "0f8fad5b-d9cb-469f-a165-70867728950e", latency_ms: 0.1 }),
      rec(2, { request_id: "0F8FAD5B-D9CB-469F-A165-70867728950E", caller: 'he said "hi"\n', latency_ms: 1e21 }),
      rec(3, { location_uid: "lieu-été-✓", org_slug: "", error_code: "ERR_LOC_UNKNOWN", status: 0, latency_ms: -3 }),
      rec(4, { ts: "2026-01-01T01:00:04.000+01:00" }),
    ];
    await writeFile(path, chainRecords(odd).lines.join(""));
    const ix = open();
    await ix.refresh();
    const byTs = [...odd].sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts));
    expect(query(ix)).toEqual(byTs);
    expect(query(ix, { requestId: "0f8fad5b-d9cb-469f-a165-70867728950e" })).toEqual([odd[1]]);
    expect(query(ix, { requestId: "0F8FAD5B-D9CB-469F-A165-70867728950E" })).toEqual([odd[2]]);
    expect(query(ix, { locationUid: "lieu-été-✓" })).toEqual([odd[3]]);
  });

  it("replaces an index file that is not a database", async () => {
    await writeFile(join(dir, "index.sqlite"), "not a database, just junk bytes that are long enough to look like a header");
    await writeFile(path, chainRecords(auditRecords(0, 2)).lines.join(""));
    const ix = open();
    await ix.refresh();
    expect(ids(query(ix))).toEqual(range(0, 2));
  });

  it("answers every query like a scan of the files (generated logs)", async () => {
    const record = fc.record({
      t: fc.integer({ min: 0, max: 3 * 86_400_000 }),
      loc: fc.constantFrom("loc-a", "loc-b", "loc-c", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
      method: fc.constantFrom("GET", "POST", "get", "RPC"),
      status: fc.constantFrom(0, 200, 201, 301, 404, 429, 500, 503),
      uuid: fc.boolean(),
      n: fc.nat(40),
      caller: fc.option(fc.constantFrom("crm", "billing"), { nil: undefined }),
      err: fc.option(fc.constantFrom("ERR_LOC_UNKNOWN", "ERR_LOC_AUTH"), { nil: undefined }),
    });
    const queryArb = fc.record(
      {
        locationUid: fc.constantFrom("loc-a", "loc-b", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "loc-none"),
        since: fc.integer({ min: 0, max: 3 * 86_400_000 }),
        span: fc.integer({ min: 0, max: 2 * 86_400_000 }),
        method: fc.constantFrom("GET", "post", "RPC"),
        statusClass: fc.constantFrom("2xx" as const, "4xx" as const, "5xx" as const),
        requestId: fc.constantFrom("req-3", "req-17", "00000000-0000-4000-8000-000000000007"),
        limit: fc.integer({ min: 0, max: 20 }),
      },
      { requiredKeys: [] },
    );
    const base = Date.UTC(2026, 2, 1);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 120 }), fc.integer({ min: 0, max: 3 }), fc.array(queryArb, { minLength: 6, maxLength: 6 }), async (gen, rotated, queries) => {
        const records: AuditRecord[] = gen.map((g, i) => ({
          ts: new Date(base + g.t).toISOString(),
          location_uid: g.loc,
          org_slug: g.loc === "loc-c" ? "other" : "acme",
          endpoint: "/v4/messages",
          method: g.method,
          status: g.status,
          request_id: g.uuid ? `00000000-0000-4000-8000-${String(g.n).padStart(12, "0")}` : `req-${g.n}`,
          latency_ms: (i * 37) / 100,
          ...(g.caller === undefined ? {} : { caller: g.caller }),
          ...(g.err === undefined ? {} : { error_code: g.err }),
        }));
        const { lines } = chainRecords(records);
        // Spread over `rotated` rotated files (the oldest gzipped) and the live file, in a fresh directory.
        const sub = join(dir, `run-${run++}`);
        const live = join(sub, "audit.jsonl");
        await rm(sub, { recursive: true, force: true });
        await mkdir(sub);
        const per = Math.ceil(lines.length / (rotated + 1));
        for (let f = 0; f <= rotated; f++) {
          const text = lines.slice(f * per, (f + 1) * per).join("");
          const rank = rotated - f;
          if (rank === 0) await writeFile(live, text);
          else if (rank === rotated && rank > 1) await writeFile(`${live}.${rank}.gz`, gzipSync(text));
          else await writeFile(`${live}.${rank}`, text);
        }
        const ix = createAuditIndex({ path: live, indexPath: join(sub, "ix.sqlite"), segmentLines: 16, onWarning: (e) => warnings.push(e.message) });
        try {
          await ix.refresh();
          const plain = lines.map((l) => l.slice(0, -1));
          for (const gq of queries) {
            const q: AuditQuery = { ...gq };
            delete (q as { span?: number }).span;
            if (q.since !== undefined) q.since += base;
            if (gq.since !== undefined && gq.span !== undefined) q.until = base + gq.since + gq.span;
            expect([...ix.query(q)]).toEqual(bruteForce(plain, q));
          }
        } finally {
          ix.close();
        }
      }),
      { numRuns: 40 },
    );
    expect(warnings).toEqual([]);
  });
});

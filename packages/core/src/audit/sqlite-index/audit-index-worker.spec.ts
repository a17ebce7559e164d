import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuditIndex } from "./audit-index.js";
import type { AuditQuery, AuditRecord } from "../audit-record.js";
import { buildCore, REPO_ROOT } from "../../testing/build-core.js";
import { chainRecords } from "../../testing/audit-fixtures.js";

/** A varied log: UUID and text request ids, odd timestamps and latencies, escapes, callers, errors. */
function records(n: number): AuditRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: i % 97 === 0 ? `2026-02-0${1 + (i % 5)}T10:00:00Z` : new Date(Date.UTC(2026, 1, 1) + i * 61_000).toISOString(),
    location_uid: i % 5 === 0 ? `loc "${i % 7}"\n` : `3f2504e0-4f89-41d3-9a0c-${String(i % 40).padStart(12, "0")}`,
    org_slug: `org-${i % 4}`,
    endpoint: ["/v4/messages", "/v4/contacts/{identifier}", "router:QueryAudit"][i % 3]!,
    method: ["GET", "POST", "RPC"][i % 3]!,
    status: [200, 201, 404, 429, 503, 0][i % 6]!,
    request_id: i % 3 === 0 ? `req-${i}` : `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    latency_ms: i % 11 === 0 ? i / 7 : i / 4,
    ...(i % 2 === 0 ? { caller: ["crm", "bot"][i % 4 === 0 ? 0 : 1]! } : {}),
    ...(i % 6 === 5 ? { error_code: "ERR_LOC_NOT_IN_SCOPE" } : {}),
  }));
}

describe("createAuditIndex() in a worker thread", () => {
  let dir: string;
  let built: typeof import("./audit-index.js");

  beforeAll(async () => {
    // The worker thread runs compiled code (a worker cannot use vitest's TypeScript), so build it.
    await buildCore();
    built = (await import(pathToFileURL(join(REPO_ROOT, "packages/core/dist/audit/sqlite-index/audit-index.js")).href)) as typeof import("./audit-index.js");
    dir = await mkdtemp(join(tmpdir(), "audit-index-worker-"));
  }, 180_000);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("indexes a big refresh exactly as the main thread does, bad lines and gzipped files included", async () => {
    const path = join(dir, "audit.jsonl");
    const { lines } = chainRecords(records(6000));
    const bad = ["not json\n", '{"ts":"2026-02-01T00:00:00.000Z"}\n', `${JSON.stringify({ ...records(1)[0], extra: 1 })}\n`];
    await writeFile(`${path}.2.gz`, gzipSync([...lines.slice(0, 2000), bad[0]!].join("")));
    await writeFile(`${path}.1`, [...lines.slice(2000, 4000), bad[1]!, bad[2]!].join(""));
    await writeFile(path, lines.slice(4000).join(""));
    const warnings: { main: string[]; worker: string[] } = { main: [], worker: [] };
    const onMain = createAuditIndex({ path, indexPath: join(dir, "main.sqlite"), segmentLines: 700, onWarning: (e) => warnings.main.push(e.message) });
    const inWorker = built.createAuditIndex({ path, indexPath: join(dir, "worker.sqlite"), segmentLines: 700, workerMinBytes: 0, onWarning: (e) => warnings.worker.push(e.message) });
    try {
      expect(await inWorker.refresh()).toEqual(await onMain.refresh());
      const queries: AuditQuery[] = [
        {},
        { locationUid: "3f2504e0-4f89-41d3-9a0c-000000000007" },
        { locationUid: 'loc "3"\n', method: "post" },
        { requestId: "req-3000" },
        { requestId: "00000000-0000-4000-8000-000000004001" },
        { statusClass: "5xx", since: Date.UTC(2026, 1, 2), until: Date.UTC(2026, 1, 4), limit: 50 },
      ];
      for (const q of queries) {
        const expected = [...onMain.query(q)];
        expect(expected.length).toBeGreaterThan(0);
        expect([...inWorker.query(q)]).toEqual(expected);
      }
      expect(warnings.worker).toEqual(warnings.main);
      expect(inWorker.warnings).toBe(3);
    } finally {
      onMain.close();
      inWorker.close();
    }
  });
});

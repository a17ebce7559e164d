import { describe, expect, it } from "vitest";
import type { FakeAuditRecord } from "@podium-router/client/testing";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const audit: FakeAuditRecord[] = [
  { ts: "2026-01-05T10:00:00.000Z", locationUid: "loc-sydney", orgSlug: "coastal-smiles", endpoint: "/v4/contacts", method: "POST", status: 202, requestId: "r-1", latencyMs: 12.5, caller: "crm" },
  { ts: "2026-01-05T11:00:00.000Z", locationUid: "loc-sydney", orgSlug: "coastal-smiles", endpoint: "/v4/contacts/{identifier}", method: "GET", status: 404, requestId: "r-2", latencyMs: 8 },
  { ts: "2026-01-05T12:00:00.000Z", locationUid: "loc-nowhere", orgSlug: "", endpoint: "/v4/contacts", method: "GET", status: 0, requestId: "r-3", latencyMs: 0.2, errorCode: "ERR_LOC_UNKNOWN" },
  { ts: "2026-01-07T09:00:00.000Z", locationUid: "loc-sydney", orgSlug: "coastal-smiles", endpoint: "/v4/messages", method: "POST", status: 200, requestId: "r-4", latencyMs: 30 },
  // An intent line no outcome line follows: the router stopped between sending the write and recording the answer.
  { ts: "2026-01-08T09:00:00.000Z", locationUid: "loc-sydney", orgSlug: "coastal-smiles", endpoint: "/v4/contacts", method: "POST", status: 0, requestId: "r-5", latencyMs: 0, phase: "sent" },
];

const audited = (argv: string[]) => runWithFakeRouter(["audit", ...argv], { router: { audit } });

describe("auditCommand()", () => {
  it("prints ndjson lines in the audit file's shape", async () => {
    const run = await audited(["--location-uid", "loc-sydney", "--since", "2026-01-05", "--until", "2026-01-06", "--output", "ndjson"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      { ts: "2026-01-05T10:00:00.000Z", location_uid: "loc-sydney", org_slug: "coastal-smiles", endpoint: "/v4/contacts", method: "POST", status: 202, request_id: "r-1", latency_ms: 12.5, caller: "crm" },
      { ts: "2026-01-05T11:00:00.000Z", location_uid: "loc-sydney", org_slug: "coastal-smiles", endpoint: "/v4/contacts/{identifier}", method: "GET", status: 404, request_id: "r-2", latency_ms: 8 },
    ]);
  });

  it("passes the method, status class and request id filters", async () => {
    const run = await audited(["--method", "get", "--status-class", "4xx", "--output", "json"]);
    expect((JSON.parse(run.stdout) as { request_id: string }[]).map((r) => r.request_id)).toEqual(["r-2"]);
    const byId = await audited(["--request-id", "r-3", "--output", "json"]);
    expect(JSON.parse(byId.stdout)).toMatchObject([{ request_id: "r-3", error_code: "ERR_LOC_UNKNOWN", status: 0 }]);
  });

  it("prints csv with a header row", async () => {
    const run = await audited(["--location-uid", "loc-nowhere", "--output", "csv"]);
    expect(run.stdout).toBe(
      "ts,location_uid,org_slug,endpoint,method,status,request_id,latency_ms,caller,error_code,phase\n" +
        "2026-01-05T12:00:00.000Z,loc-nowhere,,/v4/contacts,GET,0,r-3,0.2,,ERR_LOC_UNKNOWN,\n",
    );
  });

  it("prints a table by default", async () => {
    const run = await audited(["--limit", "2"]);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^TS\s+LOCATION_UID\s+ORG_SLUG\s+ENDPOINT\s+METHOD\s+STATUS\s+REQUEST_ID\s+LATENCY_MS\s+CALLER\s+ERROR_CODE\s+PHASE$/);
    expect(lines[1]).toMatch(/^2026-01-05T10:00:00\.000Z\s+loc-sydney\s+coastal-smiles\s+\/v4\/contacts\s+POST\s+202\s+r-1\s+12\.5\s+crm$/);
  });

  it("reports a write whose outcome is unknown (an intent line without its outcome line)", async () => {
    const json = await audited(["--request-id", "r-5", "--output", "json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      { ts: "2026-01-08T09:00:00.000Z", location_uid: "loc-sydney", org_slug: "coastal-smiles", endpoint: "/v4/contacts", method: "POST", status: 0, request_id: "r-5", latency_ms: 0, phase: "sent" },
    ]);
    expect(json.stderr).toMatch(/1 write\(s\) with outcome unknown/);
    const table = await audited(["--request-id", "r-5"]);
    expect(table.stdout).toMatch(/r-5\s+0\s+sent, outcome unknown$/m);
  });

  it("says so on stderr when nothing matches, exit 0", async () => {
    const run = await audited(["--since", "2027-01-01"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("no audit records match\n");
  });

  it("prints an empty JSON array when nothing matches", async () => {
    const run = await audited(["--since", "2027-01-01", "--output", "json"]);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallRequest } from "@podium-router/client";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const locations = [{ locationUid: "loc-sydney", orgSlug: "coastal-smiles" }];

describe("callCommand()", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-router-call-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the response body and exits 0 for a 2xx answer", async () => {
    const seen: CallRequest[] = [];
    const run = await runWithFakeRouter(["call", "POST", "/v4/contacts", "--location-uid", "loc-sydney", "--data", '{"name":"Ada"}', "--request-id", "r-7"], {
      router: {
        locations,
        onCall: (req) => {
          seen.push(req);
          return { status: 202, body: '{"data":{"identifier":"c-1"}}' };
        },
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{"data":{"identifier":"c-1"}}\n');
    expect(seen[0]).toMatchObject({ locationUid: "loc-sydney", method: "POST", path: "/v4/contacts", body: '{"name":"Ada"}', requestId: "r-7" });
  });

  it("reads --data @file relative to the working directory", async () => {
    await writeFile(join(dir, "body.json"), '{"name":"Grace"}');
    let body = "";
    const run = await runWithFakeRouter(["call", "POST", "/v4/contacts", "--location-uid", "loc-sydney", "--data", "@body.json"], {
      cwd: dir,
      router: { locations, onCall: (req) => ((body = req.body), { status: 202, body: "{}" }) },
    });
    expect(run.code).toBe(0);
    expect(body).toBe('{"name":"Grace"}');
  });

  it("prints the body, the status and the request id, and exits 1 for a non-2xx answer", async () => {
    const run = await runWithFakeRouter(["call", "GET", "/v4/contacts/nobody", "--location-uid", "loc-sydney"], {
      router: { locations, onCall: () => ({ status: 404, body: '{"code":"resource_not_found"}' }) },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('{"code":"resource_not_found"}\n');
    expect(run.stderr).toBe("podium-router: Podium answered 404 (request id req-fake-1)\n");
  });

  it("exits 1 when the router refuses an unknown location", async () => {
    const run = await runWithFakeRouter(["call", "GET", "/v4/contacts", "--location-uid", "loc-nowhere"], { router: { locations } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^podium-router: .*\(ERR_LOC_UNKNOWN\)\n$/);
  });

  it("refuses --data that is not JSON before sending anything, exit 2", async () => {
    const run = await runWithFakeRouter(["call", "POST", "/v4/contacts", "--location-uid", "loc-sydney", "--data", "{name: Ada}"], { router: { locations } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^podium-router: --data is not valid JSON/);
    expect(run.fake.received).toEqual([]);
  });

  it("refuses an unreadable --data file, naming it", async () => {
    const run = await runWithFakeRouter(["call", "POST", "/v4/contacts", "--location-uid", "loc-sydney", "--data", "@missing.json"], { cwd: dir, router: { locations } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("podium-router: cannot read missing.json: ENOENT\n");
  });
});

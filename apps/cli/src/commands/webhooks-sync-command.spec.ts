import { describe, expect, it } from "vitest";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const locations = [
  { locationUid: "loc-sydney", orgSlug: "coastal-smiles" },
  { locationUid: "loc-burleigh", orgSlug: "coastal-smiles" },
];

describe("webhooksSyncCommand()", () => {
  it("syncs every registered location and prints one row each", async () => {
    const run = await runWithFakeRouter(["webhooks", "sync"], { router: { locations } });
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toMatch(/^LOCATION_UID\s+OUTCOME\s+SCOPE\s+PODIUM_WEBHOOK\s+MESSAGE$/);
    expect(run.stdout).toMatch(/loc-burleigh\s+created\s+location\s+wh-eigh/);
    expect(run.stdout).toMatch(/loc-sydney\s+created\s+location/);
  });

  it("names locations with --location-uid (comma-separated) and exits 1 when any failed", async () => {
    const run = await runWithFakeRouter(["webhooks", "sync", "--location-uid", "loc-sydney,loc-nowhere", "--output", "json"], { router: { locations } });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject([
      { location_uid: "loc-sydney", outcome: "created", scope: "location" },
      { location_uid: "loc-nowhere", outcome: "failed", error_code: "ERR_LOC_UNKNOWN" },
    ]);
    expect(run.fake.received.map((r) => r.method)).toEqual(["SyncWebhooks"]);
  });
});

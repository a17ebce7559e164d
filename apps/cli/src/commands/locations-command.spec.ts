import { describe, expect, it } from "vitest";
import { createFakeRouter } from "@podium-router/client/testing";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const locations = [
  { locationUid: "loc-sydney", orgSlug: "coastal-smiles", name: "Coastal Smiles Sydney", organizationUid: "org-cs" },
  { locationUid: "loc-fremantle", orgSlug: "harbour-auto", name: "Harbour Auto Fremantle", organizationUid: "org-ha" },
];

describe("locationsCommand()", () => {
  it("lists the registered locations as a table", async () => {
    const run = await runWithFakeRouter(["locations", "list"], { router: { locations } });
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toMatch(/^LOCATION_UID\s+NAME\s+ORG_SLUG\s+ORGANIZATION_UID\s+STATE\s+VERIFIED_AT$/);
    expect(run.stdout).toMatch(/\nloc-fremantle\s+Harbour Auto Fremantle\s+harbour-auto\s+org-ha\s+active\s+2026-01-01T00:00:00\.000Z\nloc-sydney\s+Coastal Smiles Sydney\s+coastal-smiles\s+org-cs\s+active/);
  });

  it("lists one organization as JSON", async () => {
    const run = await runWithFakeRouter(["locations", "list", "--org-slug", "harbour-auto", "--output", "json"], { router: { locations } });
    expect(JSON.parse(run.stdout)).toEqual([
      { location_uid: "loc-fremantle", name: "Harbour Auto Fremantle", org_slug: "harbour-auto", organization_uid: "org-ha", oauth_app: "", state: "active", verified_at: "2026-01-01T00:00:00.000Z" },
    ]);
  });

  it("shows one location's status", async () => {
    const run = await runWithFakeRouter(["locations", "status", "--location-uid", "loc-sydney", "--output", "json"], { router: { locations } });
    expect(JSON.parse(run.stdout)).toMatchObject({
      location_uid: "loc-sydney",
      name: "Coastal Smiles Sydney",
      organization_uid: "org-cs",
      state: "active",
      verification_state: "verified",
      auth_state: "valid",
      budget_capacity: 20,
      quota_group: "credential:coastal-smiles",
    });
  });

  it("shows the location's webhook, event log and forwarder, dead letters included", async () => {
    const eventsStatus = {
      "loc-sydney": {
        subscriptionId: "sub_x",
        podiumWebhookUid: "wh-1",
        webhookScope: 1,
        lastCursor: "12",
        prunedThrough: "0",
        forwarder: { target: "https://app.example", state: 3, deliveredCursor: "12", pending: 0n, attempts: 0, lastStatus: 500, lastError: "HTTP 500", deadLetters: 2n, lastDeadCursor: "9" },
      },
    };
    const run = await runWithFakeRouter(["locations", "status", "--location-uid", "loc-sydney", "--output", "json"], { router: { locations, eventsStatus } });
    expect(JSON.parse(run.stdout)).toMatchObject({
      webhook_subscription_id: "sub_x",
      webhook_scope: "location",
      events_last_cursor: "12",
      forwarder_state: "dead_lettered",
      forwarder_dead_letters: 2,
      forwarder_last_dead_cursor: "9",
      forwarder_last_error: "HTTP 500",
    });
  });

  it("removes a location", async () => {
    const fake = createFakeRouter({ locations });
    const run = await runWithFakeRouter(["locations", "remove", "--location-uid", "loc-sydney"], { router: fake });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("removed loc-sydney\n");
    expect([...fake.locations.keys()]).toEqual(["loc-fremantle"]);
  });

  it("exits 1 for the status of an unknown location", async () => {
    const run = await runWithFakeRouter(["locations", "status", "--location-uid", "loc-nope"], { router: { locations } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^podium-router: .*\(ERR_LOC_UNKNOWN\)\n$/);
  });
});

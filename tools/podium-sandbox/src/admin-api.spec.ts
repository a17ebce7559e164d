import { afterEach, describe, expect, it } from "vitest";
import { call, refreshGrant, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;

let sandbox: Sandbox;
afterEach(() => sandbox?.close());

describe("handleAdmin()", () => {
  it("GET /_sandbox/fixture lists orgs, grants with credentials, and locations", async () => {
    sandbox = await startSandbox();
    const { status, body } = await call(sandbox, "GET", "/_sandbox/fixture");
    expect(status).toBe(200);
    expect(body.orgs.map((o: { slug: string }) => o.slug)).toEqual([cs.slug, ha.slug]);
    expect(body.grants).toContainEqual({
      grantId: cs.sydneyGrant.grantId,
      orgSlug: cs.slug,
      organizationUid: cs.organizationUid,
      userUid: cs.users.sydneyFrontDesk,
      clientId: cs.app.clientId,
      clientSecret: cs.app.clientSecret,
      refreshToken: cs.sydneyGrant.refreshToken,
      scopes: expect.arrayContaining(["read_locations", "write_messages"]),
      locations: [{ uid: cs.locations.sydney, name: "Sydney", organizationUid: cs.organizationUid }],
    });
    expect(body.locations).toHaveLength(6);
    expect(body).toEqual(JSON.parse(JSON.stringify(sandbox.fixture)));
  });

  it("POST /_sandbox/grants creates locations and a grant whose refresh token works", async () => {
    sandbox = await startSandbox();
    const created = await call(sandbox, "POST", "/_sandbox/grants", { body: { orgSlug: cs.slug, locations: ["Sydney", "Parramatta"], scopes: ["read_locations"] } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ orgSlug: cs.slug, organizationUid: cs.organizationUid, scopes: ["read_locations"] });
    expect(created.body.locations.map((l: { name: string }) => l.name)).toEqual(["Sydney", "Parramatta"]);
    expect(created.body.locations[0].uid).toBe(cs.locations.sydney);
    const tokens = await call(sandbox, "POST", "/oauth/token", {
      body: { grant_type: "refresh_token", refresh_token: created.body.refreshToken, client_id: created.body.clientId, client_secret: created.body.clientSecret },
    });
    expect(tokens.body.scope).toBe("read_locations");
    expect(await call(sandbox, "POST", "/_sandbox/grants", { body: { locations: "many" } })).toMatchObject({ status: 400, body: { error: expect.stringContaining("locations") } });
  });

  it("addGrant() makes a 1000-location grant and can share an existing app", async () => {
    sandbox = await startSandbox();
    const grant = sandbox.addGrant({ orgSlug: "mega-org", locations: 1000, clientId: ha.app.clientId });
    expect(grant.locations).toHaveLength(1000);
    expect(new Set(grant.locations.map((l) => l.uid)).size).toBe(1000);
    expect(grant.clientSecret).toBe(ha.app.clientSecret);
    const token = await tokenFor(sandbox, grant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations?limit=100", { token })).body.metadata.totalItems).toBe(1000);
  });

  it("PUT/GET/DELETE /_sandbox/faults merge, read and reset faults; bad patches answer 400", async () => {
    sandbox = await startSandbox();
    const put = await call(sandbox, "PUT", "/_sandbox/faults", { body: { errorRate: 1, rateLimit: { perMinute: 10, headers: true } } });
    expect(put).toMatchObject({ status: 200, body: { errorRate: 1, rateLimit: { perMinute: 10, key: "token", headers: true } } });
    expect((await call(sandbox, "PUT", "/_sandbox/faults", { body: { latencyMs: 0 } })).body.errorRate).toBe(1);
    expect((await call(sandbox, "GET", "/_sandbox/faults")).body.errorRate).toBe(1);
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(500);
    expect((await call(sandbox, "DELETE", "/_sandbox/faults")).body).toMatchObject({ errorRate: 0, rateLimit: false });
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
    expect(await call(sandbox, "PUT", "/_sandbox/faults", { body: { errorRate: 3 } })).toMatchObject({ status: 400, body: { error: "faults.errorRate must be a number between 0 and 1" } });
    expect(await call(sandbox, "PUT", "/_sandbox/faults", { body: "{oops" })).toMatchObject({ status: 400 });
  });

  it("GET /_sandbox/ledger?since and DELETE /_sandbox/ledger read and clear the ledger", async () => {
    sandbox = await startSandbox();
    await call(sandbox, "GET", "/v4/locations");
    await call(sandbox, "GET", "/v4/locations");
    expect((await call(sandbox, "GET", "/_sandbox/ledger")).body.entries).toHaveLength(2);
    expect((await call(sandbox, "GET", "/_sandbox/ledger?since=1")).body.entries.map((e: { seq: number }) => e.seq)).toEqual([2]);
    expect(await call(sandbox, "GET", "/_sandbox/ledger?since=x")).toMatchObject({ status: 400 });
    expect((await call(sandbox, "DELETE", "/_sandbox/ledger")).body).toEqual({ cleared: 2 });
    expect((await call(sandbox, "GET", "/_sandbox/ledger")).body.entries).toEqual([]);
  });

  it("GET /_sandbox/stats counts refreshes per grant and Podium requests", async () => {
    sandbox = await startSandbox();
    await refreshGrant(sandbox, cs.ownerGrant.grantId);
    await refreshGrant(sandbox, cs.ownerGrant.grantId);
    await refreshGrant(sandbox, ha.ownerGrant.grantId);
    await call(sandbox, "GET", "/v4/locations");
    expect((await call(sandbox, "GET", "/_sandbox/stats")).body).toEqual({ tokenRefreshes: { [cs.ownerGrant.grantId]: 2, [ha.ownerGrant.grantId]: 1 }, requests: 4 });
  });

  it("answers unknown admin routes 404", async () => {
    sandbox = await startSandbox();
    expect(await call(sandbox, "GET", "/_sandbox/nothing")).toMatchObject({ status: 404 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;

let sandbox: Sandbox;
let owner: string;
let sydneyOnly: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  owner = await tokenFor(sandbox, cs.ownerGrant.grantId);
  sydneyOnly = await tokenFor(sandbox, cs.sydneyGrant.grantId);
});
afterAll(() => sandbox.close());

describe("listLocations()", () => {
  it("lists only the token's locations, in Podium's envelope with full location objects", async () => {
    const answer = await call(sandbox, "GET", "/v4/locations", { token: owner });
    expect(answer.status).toBe(200);
    expect(answer.body.data.map((l: { name: string }) => l.name)).toEqual(["Sydney", "Burleigh Heads", "Newcastle", "Byron Bay"]);
    expect(answer.body.metadata).toEqual({ nextCursor: null, previousCursor: null, totalItems: 4, url: `${sandbox.url}/v4/locations`, version: "2021.04.01" });
    const sydney = answer.body.data[0];
    expect(Object.keys(sydney).sort()).toEqual(
      ["uid", "name", "displayName", "organizationUid", "phoneNumber", "podiumPhoneNumber", "address", "addressDetails", "archived", "archivedAt", "createdAt", "updatedAt"].sort(),
    );
    expect(sydney).toMatchObject({ uid: cs.locations.sydney, organizationUid: cs.organizationUid, archived: false, archivedAt: null });
    const only = await call(sandbox, "GET", "/v4/locations", { token: sydneyOnly });
    expect(only.body.data.map((l: { uid: string }) => l.uid)).toEqual([cs.locations.sydney]);
  });

  it("pages through 250 locations with opaque cursors, nextCursor null on the last page", async () => {
    const grant = sandbox.addGrant({ orgSlug: "big-chain", locations: 250 });
    const token = await tokenFor(sandbox, grant.grantId);
    const seen: string[] = [];
    let path = "/v4/locations?limit=100";
    let pages = 0;
    for (;;) {
      const answer = await call(sandbox, "GET", path, { token });
      expect(answer.status).toBe(200);
      expect(answer.body.metadata.totalItems).toBe(250);
      seen.push(...answer.body.data.map((l: { uid: string }) => l.uid));
      pages++;
      const next = answer.body.metadata.nextCursor as string | null;
      if (next === null) break;
      // A cursor makes every other parameter ignored, including a contradicting limit.
      path = `/v4/locations?cursor=${encodeURIComponent(next)}&limit=1`;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(grant.locations.map((l) => l.uid));
  });

  it("defaults limit to 10 and gives a previousCursor after the first page", async () => {
    const grant = sandbox.addGrant({ locations: 15 });
    const token = await tokenFor(sandbox, grant.grantId);
    const first = await call(sandbox, "GET", "/v4/locations", { token });
    expect(first.body.data).toHaveLength(10);
    const second = await call(sandbox, "GET", `/v4/locations?cursor=${first.body.metadata.nextCursor}`, { token });
    expect(second.body.data).toHaveLength(5);
    expect(second.body.metadata.nextCursor).toBeNull();
    const back = await call(sandbox, "GET", `/v4/locations?cursor=${second.body.metadata.previousCursor}`, { token });
    expect(back.body.data).toEqual(first.body.data);
  });

  it("refuses limit outside 1..100 with 400 invalid_request_values", async () => {
    for (const limit of ["0", "101", "abc", "-1", "2.5"]) {
      const answer = await call(sandbox, "GET", `/v4/locations?limit=${limit}`, { token: owner });
      expect(answer, `limit=${limit}`).toMatchObject({ status: 400, body: { code: "invalid_request_values", moreInfo: "https://docs.podium.com/docs/errors#invalid_request_values" } });
    }
    expect((await call(sandbox, "GET", "/v4/locations?limit=1", { token: owner })).body.data).toHaveLength(1);
    expect((await call(sandbox, "GET", "/v4/locations?limit=100", { token: owner })).status).toBe(200);
  });

  it("refuses a bad cursor with 400 invalid_cursor", async () => {
    for (const cursor of ["garbage", Buffer.from("00000000-0000-0000-0000-000000000000").toString("base64"), Buffer.from('{"k":"contacts","o":0,"l":10,"f":{}}').toString("base64url")]) {
      expect(await call(sandbox, "GET", `/v4/locations?cursor=${cursor}`, { token: owner })).toMatchObject({ status: 400, body: { code: "invalid_cursor" } });
    }
  });

  it("filters by search on name", async () => {
    const answer = await call(sandbox, "GET", "/v4/locations?search=heads", { token: owner });
    expect(answer.body.data.map((l: { name: string }) => l.name)).toEqual(["Burleigh Heads"]);
  });
});

describe("getLocation()", () => {
  it("answers the token's own location", async () => {
    const answer = await call(sandbox, "GET", `/v4/locations/${cs.locations.burleighHeads}`, { token: owner });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({ uid: cs.locations.burleighHeads, name: "Burleigh Heads" });
    expect(answer.body.metadata).toEqual({ url: `${sandbox.url}/v4/locations/${cs.locations.burleighHeads}`, version: "2021.04.01" });
  });

  it("answers 403 unauthorized for a known location outside the grant, same org or not", async () => {
    expect(await call(sandbox, "GET", `/v4/locations/${cs.locations.burleighHeads}`, { token: sydneyOnly })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(sandbox, "GET", `/v4/locations/${ha.locations.geelong}`, { token: owner })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
  });

  it("answers 404 resource_not_found for an unknown uid", async () => {
    expect(await call(sandbox, "GET", "/v4/locations/00000000-0000-4000-8000-00000000dead", { token: owner })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
  });

  it("answers 404 for a foreign location when foreignLocationStatus is 404", async () => {
    const other = await startSandbox({ foreignLocationStatus: 404 });
    try {
      const token = await tokenFor(other, cs.sydneyGrant.grantId);
      expect(await call(other, "GET", `/v4/locations/${cs.locations.newcastle}`, { token })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
    } finally {
      await other.close();
    }
  });
});

describe("patchLocation()", () => {
  it("updates the name of the token's location and refuses unknown fields", async () => {
    const grant = sandbox.addGrant({ locations: ["Patch Me"] });
    const token = await tokenFor(sandbox, grant.grantId);
    const uid = grant.locations[0]?.uid ?? "";
    const answer = await call(sandbox, "PATCH", `/v4/locations/${uid}`, { token, body: { displayName: "Patched" } });
    expect(answer).toMatchObject({ status: 200, body: { data: { uid, displayName: "Patched" } } });
    expect(await call(sandbox, "PATCH", `/v4/locations/${uid}`, { token, body: { colour: "red" } })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
  });
});

describe("getOrganization()", () => {
  it("answers the token's organization and refuses another", async () => {
    expect(await call(sandbox, "GET", `/v4/organizations/${cs.organizationUid}`, { token: owner })).toMatchObject({ status: 200, body: { data: { uid: cs.organizationUid, businessName: "Coastal Smiles Dental" } } });
    expect(await call(sandbox, "GET", `/v4/organizations/${ha.organizationUid}`, { token: owner })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
  });
});

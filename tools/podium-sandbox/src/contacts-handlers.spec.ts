import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;

let sandbox: Sandbox;
let owner: string;
let sydneyOnly: string;
let harbour: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  owner = await tokenFor(sandbox, cs.ownerGrant.grantId);
  sydneyOnly = await tokenFor(sandbox, cs.sydneyGrant.grantId);
  harbour = await tokenFor(sandbox, ha.ownerGrant.grantId);
});
afterAll(() => sandbox.close());

const create = (token: string, body: unknown): ReturnType<typeof call> => call(sandbox, "POST", "/v4/contacts", { token, body });

describe("createContact()", () => {
  it("answers 202 with an identifier that retrieves the contact", async () => {
    const answer = await create(sydneyOnly, { name: "Ada", phoneNumber: "+61400000001", locations: [cs.locations.sydney] });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ data: { identifier: expect.any(String) }, metadata: { url: `${sandbox.url}/v4/contacts` } });
    const got = await call(sandbox, "GET", `/v4/contacts/${answer.body.data.identifier}`, { token: sydneyOnly });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ name: "Ada", phoneNumbers: ["+61400000001"], locations: [{ uid: cs.locations.sydney }], organization: { uid: cs.organizationUid } });
  });

  it("requires name and locations (400 invalid_request_values)", async () => {
    expect(await create(owner, { locations: [cs.locations.sydney] })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await create(owner, { name: "No Locations" })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await create(owner, { name: "Empty", locations: [] })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
  });

  it("refuses unknown fields (additionalProperties false)", async () => {
    const answer = await create(owner, { name: "X", locations: [cs.locations.sydney], favouriteColour: "teal" });
    expect(answer).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(answer.body.message).toContain("favouriteColour");
  });

  it("answers 403 unauthorized when any location is outside the token's grant", async () => {
    expect(await create(sydneyOnly, { name: "X", locations: [cs.locations.sydney, cs.locations.burleighHeads] })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await create(owner, { name: "X", locations: [ha.locations.fremantle] })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
  });

  it("upserts on phone and on email, returning the same identifier", async () => {
    const first = await create(owner, { name: "Bea", phoneNumber: "+61400000002", locations: [cs.locations.newcastle] });
    const again = await create(owner, { name: "Bea Smith", phoneNumber: "+61400000002", email: "bea@example.com", locations: [cs.locations.byronBay] });
    expect(again.body.data.identifier).toBe(first.body.data.identifier);
    const byEmail = await create(owner, { name: "Bea S.", email: "BEA@example.com", locations: [cs.locations.newcastle] });
    expect(byEmail.body.data.identifier).toBe(first.body.data.identifier);
    const got = await call(sandbox, "GET", `/v4/contacts/${encodeURIComponent("+61400000002")}`, { token: owner });
    expect(got.body.data).toMatchObject({ name: "Bea S.", emails: ["bea@example.com"], locations: [{ uid: cs.locations.newcastle }, { uid: cs.locations.byronBay }] });
  });
});

describe("getContact() / updateContact() / deleteContact()", () => {
  it("PATCH answers 202 and applies the change; DELETE answers 202 and the contact is gone", async () => {
    const made = await create(harbour, { name: "Cy", email: "cy@example.com", locations: [ha.locations.geelong] });
    const id = made.body.data.identifier as string;
    const patched = await call(sandbox, "PATCH", `/v4/contacts/${id}`, { token: harbour, body: { name: "Cyrus" } });
    expect(patched).toMatchObject({ status: 202, body: { data: { identifier: id } } });
    expect((await call(sandbox, "GET", "/v4/contacts/cy@example.com", { token: harbour })).body.data.name).toBe("Cyrus");
    expect(await call(sandbox, "DELETE", `/v4/contacts/${id}`, { token: harbour })).toMatchObject({ status: 202, body: { data: { identifier: id } } });
    expect(await call(sandbox, "GET", `/v4/contacts/${id}`, { token: harbour })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
  });

  it("answers 404 for missing contacts and for contacts of locations the token does not reach", async () => {
    expect(await call(sandbox, "GET", "/v4/contacts/nobody@example.com", { token: owner })).toMatchObject({ status: 404 });
    expect(await call(sandbox, "PATCH", "/v4/contacts/nobody@example.com", { token: owner, body: { name: "x" } })).toMatchObject({ status: 404 });
    expect(await call(sandbox, "DELETE", "/v4/contacts/nobody@example.com", { token: owner })).toMatchObject({ status: 404 });
    await create(owner, { name: "Dee", email: "dee@example.com", locations: [cs.locations.burleighHeads] });
    expect(await call(sandbox, "GET", "/v4/contacts/dee@example.com", { token: sydneyOnly })).toMatchObject({ status: 404 });
  });

  it("refuses a PATCH moving the contact to a location outside the grant", async () => {
    await create(owner, { name: "Eve", email: "eve@example.com", locations: [cs.locations.sydney] });
    expect(await call(sandbox, "PATCH", "/v4/contacts/eve@example.com", { token: sydneyOnly, body: { locations: [cs.locations.newcastle] } })).toMatchObject({ status: 403 });
    expect(await call(sandbox, "PATCH", "/v4/contacts/eve@example.com", { token: sydneyOnly, body: { tags: [] } })).toMatchObject({ status: 400 });
  });
});

describe("listContacts()", () => {
  it("answers an array of the contacts the token's locations hold", async () => {
    const other = await startSandbox();
    try {
      const token = await tokenFor(other, ha.ownerGrant.grantId);
      await call(other, "POST", "/v4/contacts", { token, body: { name: "F1", email: "f1@example.com", locations: [ha.locations.fremantle] } });
      await call(other, "POST", "/v4/contacts", { token, body: { name: "F2", email: "f2@example.com", locations: [ha.locations.geelong] } });
      const list = await call(other, "GET", "/v4/contacts?limit=1", { token });
      expect(list.status).toBe(200);
      expect(Array.isArray(list.body.data)).toBe(true);
      expect(list.body.data.map((c: { name: string }) => c.name)).toEqual(["F1"]);
      expect(list.body.metadata.totalItems).toBe(2);
      const next = await call(other, "GET", `/v4/contacts?cursor=${list.body.metadata.nextCursor}`, { token });
      expect(next.body.data.map((c: { name: string }) => c.name)).toEqual(["F2"]);
      const coastal = await tokenFor(other, cs.ownerGrant.grantId);
      expect((await call(other, "GET", "/v4/contacts", { token: coastal })).body.data).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

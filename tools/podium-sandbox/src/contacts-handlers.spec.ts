import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bareFixture, call, sharedSandbox, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";
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

  it("answers 404 for missing contacts and, with foreignResourceIds rejected, for contacts of locations the token does not reach", async () => {
    expect(await call(sandbox, "GET", "/v4/contacts/nobody@example.com", { token: owner })).toMatchObject({ status: 404 });
    expect(await call(sandbox, "PATCH", "/v4/contacts/nobody@example.com", { token: owner, body: { name: "x" } })).toMatchObject({ status: 404 });
    expect(await call(sandbox, "DELETE", "/v4/contacts/nobody@example.com", { token: owner })).toMatchObject({ status: 404 });
    await create(owner, { name: "Dee", email: "dee@example.com", locations: [cs.locations.burleighHeads] });
    sandbox.setFaults({ foreignResourceIds: "rejected" });
    try {
      expect(await call(sandbox, "GET", "/v4/contacts/dee@example.com", { token: sydneyOnly })).toMatchObject({ status: 404 });
    } finally {
      sandbox.resetFaults();
    }
    // The default (the worst case for isolation): a same-organization contact is found whoever owns it.
    expect(await call(sandbox, "GET", "/v4/contacts/dee@example.com", { token: sydneyOnly })).toMatchObject({ status: 200, body: { data: { name: "Dee" } } });
  });

  it("refuses a PATCH moving the contact to a location outside the grant", async () => {
    await create(owner, { name: "Eve", email: "eve@example.com", locations: [cs.locations.sydney] });
    expect(await call(sandbox, "PATCH", "/v4/contacts/eve@example.com", { token: sydneyOnly, body: { locations: [cs.locations.newcastle] } })).toMatchObject({ status: 403 });
    expect(await call(sandbox, "PATCH", "/v4/contacts/eve@example.com", { token: sydneyOnly, body: { tags: [] } })).toMatchObject({ status: 400 });
  });
});

describe("listContacts()", () => {
  it("answers an array of the contacts the token's locations hold", async () => {
    const other = await startSandbox({ fixture: bareFixture() });
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

describe("seeded contacts and ownership", () => {
  const c = defaultResourceIds.coastalSmiles.contacts;
  const S = cs.locations.sydney;
  const B = cs.locations.burleighHeads;
  const t = sharedSandbox();

  it("serves the seeded contacts by phone, email, conversation uid and uid, with their locations", async () => {
    for (const id of [encodeURIComponent(c.shared.phoneNumber), c.shared.email, c.shared.conversationUid, c.shared.uid]) {
      const got = await call(t.sandbox, "GET", `/v4/contacts/${id}`, { token: t.owner });
      expect(got.body.data, id).toMatchObject({ uid: c.shared.uid, locations: [{ uid: S }, { uid: B }], organization: { uid: cs.organizationUid } });
    }
    const sydney = await call(t.sandbox, "GET", `/v4/contacts/${c.sydney.email}`, { token: t.owner });
    expect(sydney.body.data).toMatchObject({ tags: [{ label: "VIP" }], attributes: [{ label: "Preferred dentist", value: "Dr Lee", dataType: "STRING" }] });
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: c.sydney.uid, access: "read", owners: [S], organizationUid: cs.organizationUid }]);
  });

  it("lists the contacts of the token's locations (a shared contact for each of its locations)", async () => {
    const names = (await call(t.sandbox, "GET", "/v4/contacts?limit=100", { token: t.sydneyOnly })).body.data.map((x: { name: string }) => x.name);
    expect(names).toEqual([c.sydney.name, c.shared.name]);
  });

  it("records an upsert that matched another location's contact as its update, with owners before and after", async () => {
    const answer = await call(t.sandbox, "POST", "/v4/contacts", { token: t.sydneyOnly, body: { name: "Blake B.", phoneNumber: c.burleighHeads.phoneNumber, locations: [S] } });
    expect(answer.body.data.identifier).toBe(c.burleighHeads.conversationUid);
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: c.burleighHeads.uid, access: "update", owners: [B], ownersAfter: [B, S], organizationUid: cs.organizationUid }]);
  });

  it("records a new contact as a create with the locations it was created in", async () => {
    await call(t.sandbox, "POST", "/v4/contacts", { token: t.owner, body: { name: "Fresh", email: "fresh@patients.example", locations: [B] } });
    expect(t.last()?.resources).toMatchObject([{ kind: "contact", access: "create", owners: [B] }]);
  });
});

describe("faults.contactLocationsPatch", () => {
  const c = defaultResourceIds.coastalSmiles.contacts;
  const S = cs.locations.sydney;
  const B = cs.locations.burleighHeads;
  const N = cs.locations.newcastle;
  const t = sharedSandbox();

  it("replace (default): PATCH locations becomes the contact's locations, detaching the others", async () => {
    expect(t.sandbox.faults().contactLocationsPatch).toBe("replace");
    await call(t.sandbox, "PATCH", `/v4/contacts/${c.shared.email}`, { token: t.owner, body: { locations: [B] } });
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: c.shared.uid, access: "update", owners: [S, B], ownersAfter: [B], organizationUid: cs.organizationUid }]);
    expect((await call(t.sandbox, "GET", `/v4/contacts/${c.shared.email}`, { token: t.owner })).body.data.locations).toEqual([{ uid: B }]);
  });

  it("merge: PATCH locations are added to the contact's", async () => {
    t.sandbox.setFaults({ contactLocationsPatch: "merge" });
    try {
      await call(t.sandbox, "PATCH", `/v4/contacts/${c.newcastle.email}`, { token: t.owner, body: { locations: [B] } });
      expect(t.last()?.resources[0]).toMatchObject({ owners: [N], ownersAfter: [N, B] });
    } finally {
      t.sandbox.resetFaults();
    }
  });

  it("is validated", () => {
    expect(() => t.sandbox.setFaults({ contactLocationsPatch: "append" as never })).toThrow(/contactLocationsPatch must be replace or merge/);
  });
});

describe("optIn() / optOut()", () => {
  const c = defaultResourceIds.coastalSmiles.contacts;
  const S = cs.locations.sydney;
  const B = cs.locations.burleighHeads;
  const t = sharedSandbox();

  it("opts the organization's contact with that phone in from a location, adding the location to it", async () => {
    const answer = await call(t.sandbox, "POST", "/v4/contacts/campaigns/opt_in", { token: t.owner, body: { channel: { identifier: c.sydney.phoneNumber, type: "PHONE" }, locationUid: B } });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({ uid: c.sydney.uid, locations: [{ uid: S }, { uid: B }] });
    expect(answer.body.data.channels[0]).toMatchObject({ identifier: c.sydney.phoneNumber, marketingOptedInLocationUids: [B] });
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: c.sydney.uid, access: "update", owners: [S], ownersAfter: [S, B], organizationUid: cs.organizationUid }]);
  });

  it("creates a contact for an unknown phone, and opt-out clears the opt-ins of every location", async () => {
    const made = await call(t.sandbox, "POST", "/v4/contacts/campaigns/opt_in", { token: t.owner, body: { channel: { identifier: "+61400108888", type: "PHONE" }, locationUid: S, name: "Opt In" } });
    expect(t.last()?.resources).toMatchObject([{ kind: "contact", access: "create", owners: [S] }]);
    expect(made.body.data.channels[0].marketingOptedInLocationUids).toEqual([S]);
    const out = await call(t.sandbox, "POST", "/v4/contacts/campaigns/opt_out", { token: t.sydneyOnly, body: { channel: { identifier: "+61400108888", type: "PHONE" } } });
    expect(out.body.data.channels[0].marketingOptedInLocationUids).toEqual([]);
    expect(await call(t.sandbox, "POST", "/v4/contacts/campaigns/opt_out", { token: t.owner, body: { channel: { identifier: "+61400107777", type: "PHONE" } } })).toMatchObject({ status: 404 });
    expect(await call(t.sandbox, "POST", "/v4/contacts/campaigns/opt_in", { token: t.owner, body: { channel: { identifier: "+61400107777", type: "FAX" }, locationUid: S } })).toMatchObject({ status: 400 });
  });
});

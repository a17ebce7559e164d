import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { c, cs, org } from "../test/ids.js";

const t = sharedSandbox();
const attr = c.contactAttributes.preferredDentist;

describe("contact attribute definitions", () => {
  it("lists, creates, reads and updates the organization's attributes", async () => {
    const list = await call(t.sandbox, "GET", "/v4/contact_attributes", { token: t.owner });
    expect(list.body.data).toEqual([{ uid: attr, label: "Preferred dentist", dataType: "STRING", isEncrypted: false, ownerResource: { type: "ORGANIZATION", uid: org }, createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    const made = await call(t.sandbox, "POST", "/v4/contact_attributes", { token: t.owner, body: { dataType: "BOOLEAN", label: "Insured", ownerResourceType: "ORGANIZATION", isEncrypted: true } });
    expect(made.body.data).toMatchObject({ dataType: "BOOLEAN", isEncrypted: true });
    expect(t.last()?.resources).toMatchObject([{ kind: "contact_attribute", access: "create", owners: [] }]);
    expect((await call(t.sandbox, "PATCH", `/v4/contact_attributes/${made.body.data.uid}`, { token: t.owner, body: { label: "Has insurance" } })).body.data.label).toBe("Has insurance");
    expect(await call(t.sandbox, "POST", "/v4/contact_attributes", { token: t.owner, body: { dataType: "COLOUR", label: "x", ownerResourceType: "ORGANIZATION" } })).toMatchObject({ status: 400 });
  });
});

describe("setContactAttribute()", () => {
  it("adds, changes and removes a value on a contact, each recorded as the contact's update", async () => {
    const blake = c.contacts.burleighHeads;
    expect(await call(t.sandbox, "PATCH", `/v4/contacts/${blake.uid}/attributes/${attr}`, { token: t.owner, body: { value: "Dr Wu" } })).toMatchObject({ status: 404 });
    expect((await call(t.sandbox, "POST", `/v4/contacts/${blake.uid}/attributes/${attr}`, { token: t.owner, body: { value: "Dr Wu" } })).status).toBe(202);
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: blake.uid, access: "update", owners: [cs.locations.burleighHeads], organizationUid: org }]);
    await call(t.sandbox, "PATCH", `/v4/contacts/${blake.uid}/attributes/${attr}`, { token: t.owner, body: { value: "Dr Lee" } });
    expect((await call(t.sandbox, "GET", `/v4/contacts/${blake.uid}`, { token: t.owner })).body.data.attributes).toMatchObject([{ uid: attr, value: "Dr Lee", label: "Preferred dentist" }]);
    await call(t.sandbox, "DELETE", `/v4/contacts/${blake.uid}/attributes/${attr}`, { token: t.owner });
    expect((await call(t.sandbox, "GET", `/v4/contacts/${blake.uid}`, { token: t.owner })).body.data.attributes).toEqual([]);
    expect(await call(t.sandbox, "POST", `/v4/contacts/${blake.uid}/attributes/${attr}`, { token: t.owner, body: {} })).toMatchObject({ status: 400 });
  });

  it("deleting a definition removes its value from every contact of the organization, whichever location owns it", async () => {
    await call(t.sandbox, "POST", `/v4/contacts/${c.contacts.newcastle.uid}/attributes/${attr}`, { token: t.owner, body: { value: "Dr Ng" } });
    const gone = await call(t.sandbox, "DELETE", `/v4/contact_attributes/${attr}`, { token: t.sydneyOnly });
    expect(gone.body.data.uid).toBe(attr);
    expect(t.last()?.resources).toEqual([
      { kind: "contact_attribute", id: attr, access: "delete", owners: [], organizationUid: org },
      { kind: "contact", id: c.contacts.sydney.uid, access: "update", owners: [cs.locations.sydney], organizationUid: org },
      { kind: "contact", id: c.contacts.newcastle.uid, access: "update", owners: [cs.locations.newcastle], organizationUid: org },
    ]);
    expect(await call(t.sandbox, "GET", `/v4/contact_attributes/${attr}`, { token: t.owner })).toMatchObject({ status: 404 });
  });
});

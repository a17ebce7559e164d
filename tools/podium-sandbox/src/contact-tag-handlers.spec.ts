import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { c, cs, org } from "../test/ids.js";

const t = sharedSandbox();

describe("contact tag definitions", () => {
  it("lists, creates, reads and updates the organization's tags, each naming the organization", async () => {
    const list = await call(t.sandbox, "GET", "/v4/contact_tags", { token: t.sydneyOnly });
    expect(list.body.data).toEqual([{ uid: c.contactTags.vip, label: "VIP", description: "Priority patient", organization: { uid: org }, createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(t.last()?.resources).toEqual([{ kind: "contact_tag", id: c.contactTags.vip, access: "read", owners: [], organizationUid: org }]);
    const made = await call(t.sandbox, "POST", "/v4/contact_tags", { token: t.owner, body: { label: "Late", description: "Often late" } });
    expect(made.body.data).toMatchObject({ label: "Late", organization: { uid: org } });
    expect(t.last()?.resources).toMatchObject([{ kind: "contact_tag", access: "create", owners: [] }]);
    const patched = await call(t.sandbox, "PATCH", `/v4/contact_tags/${made.body.data.uid}`, { token: t.owner, body: { label: "Very late" } });
    expect(patched.body.data).toMatchObject({ label: "Very late", description: "Often late" });
    expect((await call(t.sandbox, "GET", `/v4/contact_tags/${made.body.data.uid}`, { token: t.owner })).body.data.label).toBe("Very late");
  });

  it("requires label and description and refuses unknown fields", async () => {
    expect(await call(t.sandbox, "POST", "/v4/contact_tags", { token: t.owner, body: { label: "x" } })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await call(t.sandbox, "POST", "/v4/contact_tags", { token: t.owner, body: { label: "x", description: "y", colour: "red" } })).toMatchObject({ status: 400 });
  });
});

describe("assignContactTag()", () => {
  it("tags and untags a contact: a change to the contact, recorded with the contact's owners", async () => {
    const blake = c.contacts.burleighHeads;
    const tagged = await call(t.sandbox, "POST", `/v4/contacts/${blake.email}/tags/${c.contactTags.vip}`, { token: t.owner });
    expect(tagged).toMatchObject({ status: 202, body: { data: { identifier: blake.email } } });
    expect(t.last()?.resources).toEqual([{ kind: "contact", id: blake.uid, access: "update", owners: [cs.locations.burleighHeads], organizationUid: org }]);
    expect((await call(t.sandbox, "GET", `/v4/contacts/${blake.email}`, { token: t.owner })).body.data.tags).toEqual([{ uid: c.contactTags.vip, label: "VIP", description: "Priority patient" }]);
    await call(t.sandbox, "DELETE", `/v4/contacts/${blake.email}/tags/${c.contactTags.vip}`, { token: t.owner });
    expect((await call(t.sandbox, "GET", `/v4/contacts/${blake.email}`, { token: t.owner })).body.data.tags).toEqual([]);
  });

  it("answers 404 for an unknown tag or contact", async () => {
    expect(await call(t.sandbox, "POST", `/v4/contacts/${c.contacts.sydney.uid}/tags/nope`, { token: t.owner })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
    expect(await call(t.sandbox, "POST", `/v4/contacts/nobody@x.example/tags/${c.contactTags.vip}`, { token: t.owner })).toMatchObject({ status: 404 });
  });
});

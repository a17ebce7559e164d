import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, cs, org } from "../test/ids.js";

const t = sharedSandbox();
const body = { accessLevel: "location", locationUids: [S], text: "Hi {{contact.name}}", title: "Hi", type: "custom" };

describe("templates", () => {
  it("lists a location's templates with the organization-wide ones", async () => {
    const list = await call(t.sandbox, "GET", `/v4/templates?locationUid=${B}`, { token: t.owner });
    expect(list.body.data.map((x: { uid: string }) => x.uid)).toEqual([c.templates.burleighHeads, c.templates.organization]);
    expect(list.body.data[1]).toMatchObject({ accessLevel: "organization", location: null, organization: { uid: org } });
    expect(list.body.data[0]).toMatchObject({ accessLevel: "location", location: { uid: B }, variables: ["contact.name"] });
    expect((await call(t.sandbox, "GET", `/v4/templates?locationUid=${B}&types[]=review_invite`, { token: t.owner })).body.data).toEqual([]);
  });

  it("creates location and organization templates; location level needs locationUids", async () => {
    const made = await call(t.sandbox, "POST", "/v4/templates", { token: t.owner, body });
    expect(made.body.data).toMatchObject({ location: { uid: S }, user: { uid: cs.users.owner } });
    expect(t.last()?.resources).toEqual([{ kind: "template", id: made.body.data.uid, access: "create", owners: [S], organizationUid: org }]);
    const orgWide = await call(t.sandbox, "POST", "/v4/templates", { token: t.owner, body: { ...body, accessLevel: "organization", locationUids: [] } });
    expect(t.last()?.resources[0]).toMatchObject({ id: orgWide.body.data.uid, owners: [] });
    expect(await call(t.sandbox, "POST", "/v4/templates", { token: t.owner, body: { ...body, locationUids: [] } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/templates", { token: t.owner, body: { ...body, type: "sms" } })).toMatchObject({ status: 400 });
  });

  it("PUT may move a template (owners before and after); DELETE refuses a nonDeletable one", async () => {
    const put = await call(t.sandbox, "PUT", `/v4/templates/${c.templates.sydney}`, { token: t.owner, body: { ...body, locationUids: [S, B], nonDeletable: true } });
    expect(put.body.data.location).toEqual({ uid: S });
    expect(t.last()?.resources).toEqual([{ kind: "template", id: c.templates.sydney, access: "update", owners: [S], ownersAfter: [S, B], organizationUid: org }]);
    expect(await call(t.sandbox, "DELETE", `/v4/templates/${c.templates.sydney}`, { token: t.owner })).toMatchObject({ status: 400 });
    const gone = await call(t.sandbox, "DELETE", `/v4/templates/${c.templates.burleighHeads}`, { token: t.owner });
    expect(gone.body.data).toMatchObject({ uid: c.templates.burleighHeads, deletedAt: expect.any(String) });
    expect(t.last()?.resources).toEqual([{ kind: "template", id: c.templates.burleighHeads, access: "delete", owners: [B], organizationUid: org }]);
  });
});

import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, org } from "../test/ids.js";

const t = sharedSandbox();

describe("campaigns", () => {
  it("lists the grant's campaigns and the organization-wide one, latest update first; `status` filters", async () => {
    const mine = await call(t.sandbox, "GET", "/v4/campaigns", { token: t.sydneyOnly });
    expect(mine.body.data.map((x: { uid: string }) => x.uid).sort()).toEqual([c.campaigns.sydney, c.campaigns.shared, c.campaigns.organization].sort());
    const orgWide = mine.body.data.find((x: { uid: string }) => x.uid === c.campaigns.organization);
    expect(orgWide).toMatchObject({ locations: [], organization: { uid: org }, status: "ACTIVE" });
    expect(t.last()?.resources.find((r) => r.id === c.campaigns.organization)).toEqual({ kind: "campaign", id: c.campaigns.organization, access: "read", owners: [], organizationUid: org });
    const drafts = await call(t.sandbox, "GET", "/v4/campaigns?status=DRAFT", { token: t.owner });
    expect(drafts.body.data.map((x: { uid: string }) => x.uid)).toEqual([c.campaigns.shared]);
  });

  it("creates a campaign (an empty locations list makes it organization-wide)", async () => {
    const orgWide = await call(t.sandbox, "POST", "/v4/campaigns", { token: t.owner, body: { name: "All clinics", status: "ACTIVE", locations: [] } });
    expect(orgWide.body.data).toMatchObject({ locations: [], organization: { uid: org }, status: "ACTIVE", startedAt: expect.any(String) });
    expect(t.last()?.resources).toEqual([{ kind: "campaign", id: orgWide.body.data.uid, access: "create", owners: [], organizationUid: org }]);
    expect(await call(t.sandbox, "POST", "/v4/campaigns", { token: t.owner, body: { name: "x", status: "LIVE", locations: [S] } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/campaigns", { token: t.owner, body: { name: "x", status: "DRAFT" } })).toMatchObject({ status: 400 });
  });

  it("PUT replaces the locations (recorded with owners before and after); DELETE answers the campaign", async () => {
    const put = await call(t.sandbox, "PUT", `/v4/campaigns/${c.campaigns.shared}`, { token: t.owner, body: { name: "East coast", status: "COMPLETED", locations: [B] } });
    expect(put.body.data).toMatchObject({ locations: [{ uid: B }], status: "COMPLETED", endedAt: expect.any(String) });
    expect(t.last()?.resources).toEqual([{ kind: "campaign", id: c.campaigns.shared, access: "update", owners: [S, B], ownersAfter: [B], organizationUid: org }]);
    const gone = await call(t.sandbox, "DELETE", `/v4/campaigns/${c.campaigns.shared}`, { token: t.owner });
    expect(gone.body.data.uid).toBe(c.campaigns.shared);
    expect(t.last()?.resources).toEqual([{ kind: "campaign", id: c.campaigns.shared, access: "delete", owners: [B], organizationUid: org }]);
    expect(await call(t.sandbox, "GET", `/v4/campaigns/${c.campaigns.shared}`, { token: t.owner })).toMatchObject({ status: 404 });
  });
});

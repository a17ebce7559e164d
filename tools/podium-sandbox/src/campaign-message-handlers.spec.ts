import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, org } from "../test/ids.js";

const t = sharedSandbox();

describe("sendCampaignMessage()", () => {
  it("sends at the campaign's first location and leaves a sent interaction", async () => {
    const sent = await call(t.sandbox, "POST", `/v4/campaigns/${c.campaigns.sydney}/messages`, { token: t.owner, body: { channelIdentifier: c.contacts.sydney.phoneNumber } });
    expect(sent.body.data).toMatchObject({ body: "Winter check-ups are open in Sydney", location: { uid: S, organizationUid: org }, conversation: { uid: c.conversations.sydney } });
    expect(t.last()?.resources.map((r) => [r.kind, r.access, r.owners])).toEqual([
      ["conversation", "update", [S]],
      ["campaign_message", "create", [S]],
      ["campaign_interaction", "create", [S]],
    ]);
    const interactions = await call(t.sandbox, "GET", `/v4/campaign_interactions?campaignUid=${c.campaigns.sydney}&interactionType=sent`, { token: t.owner });
    expect(interactions.body.data).toHaveLength(2);
    expect(interactions.body.data[1]).toMatchObject({ campaign: { uid: c.campaigns.sydney }, contact: { uid: c.contacts.sydney.uid }, location: { uid: S }, interactionType: "sent" });
  });

  it("an organization-wide campaign sends at the contact's first location; an unknown contact is 400", async () => {
    const sent = await call(t.sandbox, "POST", `/v4/campaigns/${c.campaigns.organization}/messages`, { token: t.sydneyOnly, body: { channelIdentifier: c.contacts.burleighHeads.email } });
    expect(sent.body.data.location.uid).toBe(B);
    expect(await call(t.sandbox, "POST", `/v4/campaigns/${c.campaigns.organization}/messages`, { token: t.owner, body: { channelIdentifier: "+61400105555" } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", `/v4/campaigns/${c.campaigns.sydney}/messages`, { token: t.owner, body: {} })).toMatchObject({ status: 400 });
  });
});

describe("listCampaignInteractions()", () => {
  it("filters by location, contact and type", async () => {
    const atB = await call(t.sandbox, "GET", `/v4/campaign_interactions?locationUid=${B}&interactionType=link_clicked`, { token: t.owner });
    expect(atB.body.data.map((i: { uid: string }) => i.uid)).toEqual([c.campaignInteractions.burleighHeads]);
    expect(t.last()?.resources).toEqual([{ kind: "campaign_interaction", id: c.campaignInteractions.burleighHeads, access: "read", owners: [B], organizationUid: org }]);
    const byContact = await call(t.sandbox, "GET", `/v4/campaign_interactions?contactUid=${c.contacts.burleighHeads.uid}`, { token: t.sydneyOnly });
    expect(byContact.body.data).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";

const cs = defaultFixtureIds.coastalSmiles;

const t = sharedSandbox();

describe("createReviewInvite()", () => {
  it("answers 200 with a review invite carrying a shortUrl", async () => {
    const answer = await call(t.sandbox, "POST", "/v4/reviews/invites", { token: t.owner, body: { locationUid: cs.locations.newcastle, phoneNumber: "+61400000010" } });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      shortUrl: expect.stringMatching(/^https:\/\/podium\.co\//),
      channel: { type: "phone", identifier: "+61400000010" },
      location: { uid: cs.locations.newcastle, organizationUid: cs.organizationUid },
      deliveryStatus: "pending",
    });
  });

  it("requires locationUid and refuses a foreign one", async () => {
    expect(await call(t.sandbox, "POST", "/v4/reviews/invites", { token: t.owner, body: { email: "a@b.c" } })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await call(t.sandbox, "POST", "/v4/reviews/invites", { token: t.sydneyOnly, body: { locationUid: cs.locations.byronBay } })).toMatchObject({ status: 403 });
  });
});

describe("listReviewInvites() / getReviewInvite()", () => {
  const c = defaultResourceIds.coastalSmiles;
  it("lists the grant's invites newest first, filters by sender, and reads one", async () => {
    const mine = await call(t.sandbox, "GET", "/v4/reviews/invites", { token: t.sydneyOnly });
    expect(mine.body.data.map((i: { location: { uid: string } }) => i.location.uid).every((uid: string) => uid === cs.locations.sydney)).toBe(true);
    const bySender = await call(t.sandbox, "GET", `/v4/reviews/invites?senderUid=${cs.users.owner}`, { token: t.owner });
    expect(bySender.body.data.map((i: { uid: string }) => i.uid)).toContain(c.reviewInvites.burleighHeads);
    expect(bySender.body.data.every((i: { sender: { uid: string } }) => i.sender.uid === cs.users.owner)).toBe(true);
    expect(bySender.body.data.map((i: { uid: string }) => i.uid)).not.toContain(c.reviewInvites.sydney);
    const one = await call(t.sandbox, "GET", `/v4/reviews/invites/${c.reviewInvites.sydney}`, { token: t.owner });
    expect(one.body.data).toMatchObject({ uid: c.reviewInvites.sydney, location: { uid: cs.locations.sydney, organizationUid: cs.organizationUid }, channel: { type: "phone" }, sender: { uid: cs.users.sydneyFrontDesk } });
    expect(t.last()?.resources).toEqual([{ kind: "review_invite", id: c.reviewInvites.sydney, access: "read", owners: [cs.locations.sydney], organizationUid: cs.organizationUid }]);
  });
});

import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, cs, org } from "../test/ids.js";

const t = sharedSandbox();

describe("listReviews() / getReview()", () => {
  it("lists the grant's reviews newest first: Sydney-only sees Sydney's and the shared one", async () => {
    const list = await call(t.sandbox, "GET", "/v4/reviews", { token: t.sydneyOnly });
    expect(list.body.data.map((r: { uid: string }) => r.uid)).toEqual([c.reviews.sydney, c.reviews.shared, c.reviews.sydneyOlder]);
    expect(list.body.data[1].locations).toEqual([{ uid: S }, { uid: B }]);
    expect(t.last()?.resources.map((r) => r.owners)).toEqual([[S], [S, B], [S]]);
  });

  it("answers Podium's review object with responses and attributions", async () => {
    const got = await call(t.sandbox, "GET", `/v4/reviews/${c.reviews.sydney}`, { token: t.owner });
    expect(got.body.data).toEqual({
      uid: c.reviews.sydney,
      review: { rating: 5, body: "Best dentist in Sydney.", siteName: "Google", siteReviewId: expect.any(String), url: expect.stringMatching(/^https:/) },
      author: { id: expect.any(String), name: "Jordan" },
      locations: [{ uid: S }],
      needsResponse: false,
      isRecommendation: null,
      responses: [{ body: "Thank you, Jordan!", createdAt: "2024-04-06T00:00:00Z", siteAuthorName: null }],
      attributions: [{ apiClientUid: null, reviewInvitationUid: null, userUid: cs.users.sydneyFrontDesk }],
      createdAt: "2024-04-05T00:00:00Z",
      updatedAt: "2024-04-05T00:00:00Z",
    });
  });
});

describe("reviewSummary() / reviewSitesSummary()", () => {
  it("summarises each location in scope (one ledger row each), by default the grant's locations", async () => {
    const all = await call(t.sandbox, "GET", "/v4/reviews/summary", { token: t.owner });
    expect(all.body.data.map((r: { locationUid: string }) => r.locationUid)).toEqual(Object.values(cs.locations));
    const one = await call(t.sandbox, "GET", `/v4/reviews/summary?locationUids[]=${B}`, { token: t.owner });
    expect(one.body.data).toEqual([{ locationUid: B, averageRating: 4, reviewCount: 2 }]);
    expect(t.last()?.resources).toEqual([{ kind: "review_summary", id: B, access: "read", owners: [B], organizationUid: org }]);
    expect((await call(t.sandbox, "GET", `/v4/reviews/summary?userUid=${cs.users.sydneyFrontDesk}&locationUids[]=${S}`, { token: t.owner })).body.data).toEqual([{ locationUid: S, averageRating: 5, reviewCount: 1 }]);
  });

  it("summarises per site across the locations in scope, recording the locations each row covers", async () => {
    const sites = await call(t.sandbox, "GET", `/v4/reviews/sites/summary?locationUids[]=${S}`, { token: t.owner });
    expect(sites.body.data).toEqual([
      { siteName: "Facebook", averageRating: 4, reviewCount: 1 },
      { siteName: "Google", averageRating: 4, reviewCount: 2 },
    ]);
    expect(t.last()?.resources).toEqual([
      { kind: "review_site_summary", id: "Facebook", access: "read", owners: [S], organizationUid: org },
      { kind: "review_site_summary", id: "Google", access: "read", owners: [S], organizationUid: org },
    ]);
  });
});

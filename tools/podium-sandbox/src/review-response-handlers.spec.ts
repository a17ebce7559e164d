import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, cs, org } from "../test/ids.js";

const t = sharedSandbox();

describe("review responses", () => {
  it("lists a review's responses, owned by the review's locations", async () => {
    const list = await call(t.sandbox, "GET", `/v4/reviews/${c.reviews.sydney}/responses`, { token: t.owner });
    expect(list.body.data).toEqual([{ uid: c.reviewResponses.sydney, body: "Thank you, Jordan!", isDeleted: false, likeCount: 0, publishDate: "2024-04-06T00:00:00Z", siteAuthorName: null, source: "podium" }]);
    expect(t.last()?.resources).toEqual([{ kind: "review_response", id: c.reviewResponses.sydney, access: "read", owners: [S], organizationUid: org }]);
  });

  it("answering a review creates the response and updates the review (it no longer needs a response)", async () => {
    const made = await call(t.sandbox, "POST", `/v4/reviews/${c.reviews.shared}/responses`, { token: t.sydneyOnly, body: { body: "Thanks!" } });
    expect(made.body.data).toMatchObject({ body: "Thanks!", isDeleted: false, source: "api" });
    expect(t.last()?.resources).toEqual([
      { kind: "review_response", id: made.body.data.uid, access: "create", owners: [S, B], organizationUid: org },
      { kind: "review", id: c.reviews.shared, access: "update", owners: [S, B], organizationUid: org },
    ]);
    expect((await call(t.sandbox, "GET", `/v4/reviews/${c.reviews.shared}`, { token: t.owner })).body.data).toMatchObject({ needsResponse: false, responses: [{ body: "Thanks!" }] });
    const patched = await call(t.sandbox, "PATCH", `/v4/reviews/${c.reviews.shared}/responses/${made.body.data.uid}`, { token: t.owner, body: { body: "Thanks again!" } });
    expect(patched.body.data.body).toBe("Thanks again!");
  });

  it("answers 404 for a response of another review, and 400 without a body", async () => {
    expect(await call(t.sandbox, "PATCH", `/v4/reviews/${c.reviews.burleighHeads}/responses/${c.reviewResponses.sydney}`, { token: t.owner, body: { body: "x" } })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
    expect(await call(t.sandbox, "POST", `/v4/reviews/${c.reviews.sydney}/responses`, { token: t.owner, body: {} })).toMatchObject({ status: 400 });
  });
});

describe("review attributions", () => {
  it("attributes a user of the organization and removes the attribution again", async () => {
    const made = await call(t.sandbox, "POST", `/v4/reviews/${c.reviews.burleighHeads}/attributions`, { token: t.owner, body: { userUid: cs.users.owner, locationUid: B } });
    expect(made.body.data).toMatchObject({ user: { uid: cs.users.owner }, isDeleted: false, editedByUser: { uid: cs.users.owner } });
    expect(t.last()?.resources[0]).toMatchObject({ kind: "review_attribution", access: "create", owners: [B] });
    const removed = await call(t.sandbox, "DELETE", `/v4/reviews/${c.reviews.burleighHeads}/attributions`, { token: t.owner, body: { userUid: cs.users.owner } });
    expect(removed.body.data).toMatchObject([{ uid: made.body.data.uid, isDeleted: true }]);
    expect(await call(t.sandbox, "DELETE", `/v4/reviews/${c.reviews.burleighHeads}/attributions`, { token: t.owner, body: { userUid: cs.users.owner } })).toMatchObject({ status: 404 });
    expect(await call(t.sandbox, "POST", `/v4/reviews/${c.reviews.burleighHeads}/attributions`, { token: t.owner, body: { userUid: "nobody", locationUid: B } })).toMatchObject({ status: 400 });
  });
});

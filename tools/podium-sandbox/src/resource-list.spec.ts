import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, cs, ha } from "../test/ids.js";

const t = sharedSandbox();
const uids = (answer: { body: { data: { uid: string }[] } }): string[] => answer.body.data.map((x) => x.uid);
const get = (path: string, token = t.owner) => call(t.sandbox, "GET", path, { token });

describe("lists", () => {
  it("answer Podium's envelope with opaque cursors, limit 1–100 (default 10)", async () => {
    const first = await get("/v4/conversations?limit=2");
    expect(first.body.metadata).toEqual({ nextCursor: expect.any(String), previousCursor: null, totalItems: 5, url: `${t.sandbox.url}/v4/conversations`, version: "2021.04.01" });
    const second = await get(`/v4/conversations?cursor=${first.body.metadata.nextCursor}`);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.metadata.previousCursor).toEqual(expect.any(String));
    expect(await get("/v4/conversations?limit=0")).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await get("/v4/conversations?limit=101")).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await get("/v4/conversations?cursor=nonsense")).toMatchObject({ status: 400, body: { code: "invalid_cursor" } });
    // A cursor is bound to its list: one of /v4/conversations is no cursor of /v4/invoices.
    expect(await get(`/v4/invoices?cursor=${first.body.metadata.nextCursor}`)).toMatchObject({ status: 400, body: { code: "invalid_cursor" } });
  });

  it("return only what the token's grant reaches, and never another organization's", async () => {
    expect(uids(await get("/v4/conversations", t.sydneyOnly))).toEqual([c.conversations.sydney, c.conversations.sharedAtSydney]);
    const harbour = await get("/v4/conversations", t.harbour);
    expect(harbour.body.data.map((x: { locationUid: string }) => x.locationUid)).toEqual([ha.locations.fremantle, ha.locations.geelong]);
  });

  it("record every item returned (and only those) as a read, with its owners", async () => {
    await get(`/v4/reviews?limit=2`);
    expect(t.last()?.resources).toEqual([
      { kind: "review", id: c.reviews.sydney, access: "read", owners: [S], organizationUid: cs.organizationUid },
      { kind: "review", id: c.reviews.newcastle, access: "read", owners: [cs.locations.newcastle], organizationUid: cs.organizationUid },
    ]);
  });

  it("honour date-range filters such as createdAt[gte]", async () => {
    expect(uids(await get("/v4/reviews?createdAt[gte]=2024-04-04T00:00:00Z"))).toEqual([c.reviews.sydney, c.reviews.newcastle]);
    expect(uids(await get("/v4/reviews?createdAt[lt]=2024-04-02T00:00:00Z"))).toEqual([c.reviews.sydneyOlder]);
    expect(await get("/v4/reviews?createdAt[gte]=someday")).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
  });
});

describe("faults.listFilters", () => {
  it("honoured (default): locationUid / locationUids select those locations", async () => {
    expect(uids(await get(`/v4/conversations?locationUid=${B}`))).toEqual([c.conversations.burleighHeads, c.conversations.sharedAtBurleighHeads]);
    const summary = await get(`/v4/reviews/summary?locationUids[]=${S}&locationUids[]=${B}`);
    expect(summary.body.data).toEqual([
      { locationUid: S, averageRating: 4, reviewCount: 3 },
      { locationUid: B, averageRating: 4, reviewCount: 2 },
    ]);
  });

  it("ignored: every item the token reaches comes back, so only the caller can filter", async () => {
    t.sandbox.setFaults({ listFilters: "ignored" });
    try {
      const all = await get(`/v4/conversations?locationUid=${B}`);
      expect(all.body.metadata.totalItems).toBe(5);
      expect(t.last()?.resources.map((r) => r.owners[0])).toContain(S);
      expect((await get(`/v4/reviews/summary?locationUids[]=${S}`)).body.data).toHaveLength(4);
    } finally {
      t.sandbox.resetFaults();
    }
  });
});

describe("faults.cursorIgnoresFilters", () => {
  it("true (default): given a cursor, the query's filters are ignored and the cursor's apply", async () => {
    const first = await get(`/v4/conversations?locationUid=${S}&limit=1`);
    const next = await get(`/v4/conversations?cursor=${first.body.metadata.nextCursor}&locationUid=${B}&limit=50`);
    expect(uids(next)).toEqual([c.conversations.sharedAtSydney]);
  });

  it("false: filters and limit sent with a cursor override the cursor's", async () => {
    t.sandbox.setFaults({ cursorIgnoresFilters: false });
    try {
      const first = await get(`/v4/conversations?locationUid=${S}&limit=1`);
      const next = await get(`/v4/conversations?cursor=${first.body.metadata.nextCursor}&locationUid=${B}`);
      expect(uids(next)).toEqual([c.conversations.sharedAtBurleighHeads]);
      const widened = await get(`/v4/conversations?cursor=${first.body.metadata.nextCursor}&limit=50`);
      expect(uids(widened)).toEqual([c.conversations.sharedAtSydney]);
    } finally {
      t.sandbox.resetFaults();
    }
  });

  it("a cursor's filters never reach past the grant of the token that sends it", async () => {
    const first = await get(`/v4/conversations?locationUid=${B}&limit=1`);
    const replayed = await get(`/v4/conversations?cursor=${first.body.metadata.nextCursor}`, t.sydneyOnly);
    expect(replayed).toMatchObject({ status: 200, body: { data: [], metadata: { totalItems: 0 } } });
  });
});

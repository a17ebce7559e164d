import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";

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


import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;

let sandbox: Sandbox;
let owner: string;
let sydneyOnly: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  owner = await tokenFor(sandbox, cs.ownerGrant.grantId);
  sydneyOnly = await tokenFor(sandbox, cs.sydneyGrant.grantId);
});
afterAll(() => sandbox.close());

describe("sendMessage()", () => {
  const message = { body: "Your appointment is tomorrow", channel: { identifier: "+61400000009", type: "phone" }, locationUid: cs.locations.sydney };

  it("answers 200 with a message object for the token's location", async () => {
    const answer = await call(sandbox, "POST", "/v4/messages", { token: sydneyOnly, body: message });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      uid: expect.any(String),
      body: message.body,
      conversation: { uid: expect.any(String), channel: { type: "phone", identifier: "+61400000009" } },
      location: { uid: cs.locations.sydney, organizationUid: cs.organizationUid },
      items: [{ body: message.body, deliveryStatus: expect.any(String) }],
      failureReason: null,
    });
  });

  it("requires body, channel{identifier,type in phone|email} and locationUid", async () => {
    for (const bad of [
      { ...message, body: undefined },
      { ...message, channel: undefined },
      { ...message, channel: { identifier: "x", type: "fax" } },
      { ...message, channel: { type: "phone" } },
      { ...message, locationUid: undefined },
    ]) {
      expect(await call(sandbox, "POST", "/v4/messages", { token: owner, body: bad }), JSON.stringify(bad)).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    }
  });

  it("answers 403 unauthorized for a locationUid outside the grant, even in the same org", async () => {
    expect(await call(sandbox, "POST", "/v4/messages", { token: sydneyOnly, body: { ...message, locationUid: cs.locations.burleighHeads } })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(sandbox, "POST", "/v4/messages", { token: owner, body: { ...message, locationUid: ha.locations.fremantle } })).toMatchObject({ status: 403 });
  });
});

describe("createReviewInvite()", () => {
  it("answers 200 with a review invite carrying a shortUrl", async () => {
    const answer = await call(sandbox, "POST", "/v4/reviews/invites", { token: owner, body: { locationUid: cs.locations.newcastle, phoneNumber: "+61400000010" } });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      shortUrl: expect.stringMatching(/^https:\/\/podium\.co\//),
      channel: { type: "phone", identifier: "+61400000010" },
      location: { uid: cs.locations.newcastle, organizationUid: cs.organizationUid },
      deliveryStatus: "pending",
    });
  });

  it("requires locationUid and refuses a foreign one", async () => {
    expect(await call(sandbox, "POST", "/v4/reviews/invites", { token: owner, body: { email: "a@b.c" } })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await call(sandbox, "POST", "/v4/reviews/invites", { token: sydneyOnly, body: { locationUid: cs.locations.byronBay } })).toMatchObject({ status: 403 });
  });
});

describe("genericOperation()", () => {
  it("answers the documented status with {data:{uid,...}, metadata}", async () => {
    const created = await call(sandbox, "POST", "/v4/feedback", { token: owner, body: { locationUid: cs.locations.sydney, rating: 5 } });
    expect(created).toMatchObject({ status: 202, body: { data: { uid: expect.any(String), locationUid: cs.locations.sydney, rating: 5 }, metadata: { version: "2021.04.01" } } });
    const got = await call(sandbox, "GET", "/v4/campaigns/abc-123", { token: owner });
    expect(got).toMatchObject({ status: 200, body: { data: { uid: "abc-123" } } });
    const list = await call(sandbox, "GET", `/v4/conversations?locationUid=${cs.locations.sydney}`, { token: owner });
    expect(list).toMatchObject({ status: 200, body: { data: [], metadata: { nextCursor: null } } });
  });

  it("accepts a multipart body without parsing it as JSON", async () => {
    const form = new FormData();
    form.set("file", new Blob(["hello"]), "a.txt");
    const res = await fetch(`${sandbox.url}/v4/messages/attachment`, { method: "POST", headers: { authorization: `Bearer ${owner}` }, body: form });
    expect(res.status).toBe(200);
  });

  it("answers 403 unauthorized for a foreign locationUid in the query or body", async () => {
    expect(await call(sandbox, "GET", `/v4/conversations?locationUid=${cs.locations.newcastle}`, { token: sydneyOnly })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(sandbox, "GET", `/v4/reviews/summary?locationUids=${cs.locations.sydney},${ha.locations.geelong}`, { token: owner })).toMatchObject({ status: 403 });
    expect(await call(sandbox, "POST", "/v4/templates", { token: sydneyOnly, body: { locationUids: [cs.locations.sydney, cs.locations.burleighHeads] } })).toMatchObject({ status: 403 });
    expect(await call(sandbox, "POST", "/v4/invoices/inv-1/charge", { token: owner, body: { locationUid: ha.locations.fremantle } })).toMatchObject({ status: 403 });
  });

  it("answers 400 invalid_request_values when a required location field is missing", async () => {
    expect(await call(sandbox, "GET", "/v4/invoices/inv-1", { token: owner })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await call(sandbox, "POST", "/v4/appointments", { token: owner, body: {} })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
  });

  it("checks organizationUid against the grant's organization", async () => {
    const hook = { url: "https://hooks.example/podium", eventTypes: ["message.received"] };
    expect(await call(sandbox, "POST", "/v4/webhooks", { token: owner, body: { ...hook, organizationUid: cs.organizationUid } })).toMatchObject({ status: 200 });
    expect(await call(sandbox, "POST", "/v4/webhooks", { token: owner, body: { ...hook, organizationUid: ha.organizationUid } })).toMatchObject({ status: 403 });
  });
});

describe("checkWebhookWrite()", () => {
  it("requires url, eventTypes and a location or organization, and the scope of each event type", async () => {
    const grant = sandbox.addGrant({ orgSlug: cs.slug, locations: ["Sydney"], scopes: ["read_messages"] });
    const token = await tokenFor(sandbox, grant.grantId);
    const base = { url: "https://hooks.example/p", locationUid: cs.locations.sydney };
    expect(await call(sandbox, "POST", "/v4/webhooks", { token, body: { ...base, eventTypes: ["message.sent"] } })).toMatchObject({ status: 200 });
    expect(await call(sandbox, "POST", "/v4/webhooks", { token, body: { ...base, eventTypes: ["review.created"] } })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(sandbox, "POST", "/v4/webhooks", { token, body: { url: base.url, eventTypes: ["message.sent"] } })).toMatchObject({ status: 400 });
    expect(await call(sandbox, "POST", "/v4/webhooks", { token, body: { locationUid: base.locationUid, eventTypes: ["message.sent"] } })).toMatchObject({ status: 400 });
    expect(await call(sandbox, "GET", "/v4/webhooks", { token })).toMatchObject({ status: 200 });
  });
});

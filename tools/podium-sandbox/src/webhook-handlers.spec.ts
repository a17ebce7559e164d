import { describe, expect, it } from "vitest";
import { call, sharedSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";

const cs = defaultFixtureIds.coastalSmiles;

const t = sharedSandbox();

describe("checkWebhookWrite()", () => {
  it("requires url, eventTypes and a location or organization, and the scope of each event type", async () => {
    const grant = t.sandbox.addGrant({ orgSlug: cs.slug, locations: ["Sydney"], scopes: ["read_messages"] });
    const token = await tokenFor(t.sandbox, grant.grantId);
    const base = { url: "https://hooks.example/p", locationUid: cs.locations.sydney };
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token, body: { ...base, eventTypes: ["message.sent"] } })).toMatchObject({ status: 200 });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token, body: { ...base, eventTypes: ["review.created"] } })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token, body: { url: base.url, eventTypes: ["message.sent"] } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token, body: { locationUid: base.locationUid, eventTypes: ["message.sent"] } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "GET", "/v4/webhooks", { token })).toMatchObject({ status: 200 });
  });
});

describe("webhooks", () => {
  const c = defaultResourceIds.coastalSmiles;
  const S = cs.locations.sydney;
  const org = cs.organizationUid;

  it("lists the grant's location webhooks and the organization's, each naming one of locationUid/organizationUid", async () => {
    const list = await call(t.sandbox, "GET", "/v4/webhooks", { token: t.sydneyOnly });
    expect(list.body.data.slice(0, 2)).toMatchObject([
      { uid: c.webhooks.sydney, locationUid: S, organizationUid: null, eventTypes: ["message.received"], disabled: false },
      { uid: c.webhooks.organization, locationUid: null, organizationUid: org },
    ]);
    expect(t.last()?.resources.slice(0, 2).map((r) => r.owners)).toEqual([[S], []]);
    expect(list.body.data.every((w: { locationUid: string | null }) => w.locationUid === null || w.locationUid === S)).toBe(true);
  });

  it("organizationUid wins over locationUid; PUT never changes the subscription's scope; DELETE answers the webhook", async () => {
    const owner = t.sandbox.issueAccessToken(cs.ownerGrant.grantId).accessToken;
    const made = await call(t.sandbox, "POST", "/v4/webhooks", { token: owner, body: { url: "https://h.example/x", eventTypes: ["contact.created"], locationUid: S, organizationUid: org, secret: "s3" } });
    expect(made.body.data).toMatchObject({ locationUid: null, organizationUid: org, secret: "s3" });
    expect(t.last()?.resources).toEqual([{ kind: "webhook", id: made.body.data.uid, access: "create", owners: [], organizationUid: org }]);
    const put = await call(t.sandbox, "PUT", `/v4/webhooks/${c.webhooks.sydney}`, { token: owner, body: { disabled: true, eventTypes: ["message.sent"], locationUid: cs.locations.burleighHeads } });
    expect(put.body.data).toMatchObject({ locationUid: S, disabled: true, eventTypes: ["message.sent"] });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token: owner, body: { url: "https://h.example/x", eventTypes: ["message.exploded"], locationUid: S } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token: owner, body: { url: "https://h.example/x", eventTypes: ["message.sent"], organizationUid: 7 } })).toMatchObject({ status: 400 });
    expect((await call(t.sandbox, "DELETE", `/v4/webhooks/${c.webhooks.sydney}`, { token: owner })).body.data.uid).toBe(c.webhooks.sydney);
    expect(t.last()?.resources).toEqual([{ kind: "webhook", id: c.webhooks.sydney, access: "delete", owners: [S], organizationUid: org }]);
  });
});

import { describe, expect, it } from "vitest";
import { call, sharedSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";

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

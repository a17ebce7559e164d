import { afterEach, describe, expect, it } from "vitest";
import { call, sharedSandbox, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { createSandbox, type Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;

let sandbox: Sandbox;
afterEach(() => sandbox?.close());

const routeNotFound = { code: "route_not_found", message: "no Route matched with those values", moreInfo: "https://docs.podium.com/docs/errors#route_not_found" };

describe("handleV4()", () => {
  it("answers unknown routes 404 route_not_found with Podium's exact body, token or not", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect(await call(sandbox, "GET", "/v4/review_invites", { token })).toEqual(expect.objectContaining({ status: 404, body: routeNotFound }));
    expect((await call(sandbox, "DELETE", "/v4/locations")).body).toEqual(routeNotFound);
    expect((await call(sandbox, "GET", "/v3/locations")).body).toEqual(routeNotFound);
  });

  it("answers a missing or unknown bearer token 401 unauthenticated", async () => {
    sandbox = await startSandbox();
    expect(await call(sandbox, "GET", "/v4/locations")).toMatchObject({ status: 401, body: { code: "unauthenticated", moreInfo: "https://docs.podium.com/docs/errors#unauthenticated" } });
    expect(await call(sandbox, "GET", "/v4/locations", { token: "sbx-at-forged" })).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
    expect(await call(sandbox, "GET", "/v4/locations", { headers: { authorization: "Basic abc" } })).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
  });

  it("answers an expired access token 401 unauthorized 'ID token expired'", async () => {
    let now = 1_700_000_000_000;
    sandbox = await startSandbox({ now: () => now });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    now += 35_999_000;
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
    now += 1_000;
    expect(await call(sandbox, "GET", "/v4/locations", { token })).toMatchObject({ status: 401, body: { code: "unauthorized", message: "ID token expired" } });
  });

  it("accepts podium-version 2021.04.01 or none and refuses others with 400 invalid_header_version", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token, headers: { "podium-version": "2021.04.01" } })).status).toBe(200);
    expect(await call(sandbox, "GET", "/v4/locations", { token, headers: { "podium-version": "2024.01.01" } })).toMatchObject({ status: 400, body: { code: "invalid_header_version" } });
  });

  it("answers a malformed JSON body 400 bad_request", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect(await call(sandbox, "POST", "/v4/messages", { token, body: '{"body": "hi",' })).toMatchObject({ status: 400, body: { code: "bad_request" } });
  });

  it("answers 403 unauthorized when the token lacks the operation's scope", async () => {
    sandbox = await startSandbox();
    const grant = sandbox.addGrant({ orgSlug: cs.slug, locations: ["Sydney"], scopes: ["read_locations"] });
    const token = await tokenFor(sandbox, grant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
    const answer = await call(sandbox, "POST", "/v4/contacts", { token, body: { name: "x", locations: [cs.locations.sydney] } });
    expect(answer).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(answer.body.message).toContain("write_contacts");
  });

  it("counts the default 300 requests per minute per token and answers 429 rate_limit beyond it", async () => {
    let now = 1_700_000_000_000;
    sandbox = await createSandbox({ now: () => now });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++) statuses.push((await call(sandbox, "GET", `/v4/locations/${cs.locations.sydney}`, { token })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    const refused = await call(sandbox, "GET", "/v4/locations", { token });
    expect(refused).toMatchObject({ status: 429, body: { code: "rate_limit", moreInfo: "https://docs.podium.com/docs/errors#rate_limit" } });
    expect(refused.headers.get("retry-after")).toBeNull();
    const otherToken = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token: otherToken })).status).toBe(200);
    now += 1_000;
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
  });

  it("sends Retry-After and X-RateLimit-* headers when enabled", async () => {
    const now = 1_700_000_000_000;
    sandbox = await createSandbox({ now: () => now, rateLimit: { perMinute: 2, headers: true } });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    const first = await call(sandbox, "GET", "/v4/locations", { token });
    expect(first.headers.get("x-ratelimit-limit-minute")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-minute")).toBe("1");
    await call(sandbox, "GET", "/v4/locations", { token });
    const refused = await call(sandbox, "GET", "/v4/locations", { token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(refused.headers.get("x-ratelimit-remaining-minute")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset")).toBe("30");
  });

  it("can key the limit by app or by location", async () => {
    sandbox = await createSandbox({ rateLimit: { perMinute: 1, key: "app" } });
    const a = await tokenFor(sandbox, cs.ownerGrant.grantId);
    const b = await tokenFor(sandbox, cs.sydneyGrant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token: a })).status).toBe(200);
    // Same app (both coastal grants share one client id): the second token finds the bucket empty.
    expect((await call(sandbox, "GET", "/v4/locations", { token: b })).status).toBe(429);

    sandbox.setFaults({ rateLimit: { key: "location" } });
    expect((await call(sandbox, "GET", `/v4/locations/${cs.locations.sydney}`, { token: a })).status).toBe(200);
    expect((await call(sandbox, "GET", `/v4/locations/${cs.locations.newcastle}`, { token: a })).status).toBe(200);
    expect((await call(sandbox, "GET", `/v4/locations/${cs.locations.sydney}`, { token: b })).status).toBe(429);
  });

  it("never limits when the rate limit is disabled", async () => {
    sandbox = await createSandbox({ rateLimit: { perMinute: 1 } });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    await call(sandbox, "GET", "/v4/locations", { token });
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(429);
    sandbox.setFaults({ rateLimit: false });
    for (let i = 0; i < 5; i++) expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
  });
});

describe("location fields on every route", () => {
  const t = sharedSandbox();

  it("answers 403 unauthorized for a foreign locationUid in the query or body", async () => {
    expect(await call(t.sandbox, "GET", `/v4/conversations?locationUid=${cs.locations.newcastle}`, { token: t.sydneyOnly })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(t.sandbox, "GET", `/v4/reviews/summary?locationUids=${cs.locations.sydney},${ha.locations.geelong}`, { token: t.owner })).toMatchObject({ status: 403 });
    expect(await call(t.sandbox, "POST", "/v4/templates", { token: t.sydneyOnly, body: { locationUids: [cs.locations.sydney, cs.locations.burleighHeads] } })).toMatchObject({ status: 403 });
    expect(await call(t.sandbox, "POST", "/v4/invoices/inv-1/charge", { token: t.owner, body: { locationUid: ha.locations.fremantle } })).toMatchObject({ status: 403 });
  });

  it("answers 400 invalid_request_values when a required location field is missing", async () => {
    expect(await call(t.sandbox, "GET", "/v4/invoices/inv-1", { token: t.owner })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await call(t.sandbox, "POST", "/v4/appointments", { token: t.owner, body: {} })).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
  });

  it("checks organizationUid against the grant's organization", async () => {
    const hook = { url: "https://hooks.example/podium", eventTypes: ["message.received"] };
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token: t.owner, body: { ...hook, organizationUid: cs.organizationUid } })).toMatchObject({ status: 200 });
    expect(await call(t.sandbox, "POST", "/v4/webhooks", { token: t.owner, body: { ...hook, organizationUid: ha.organizationUid } })).toMatchObject({ status: 403 });
  });
});

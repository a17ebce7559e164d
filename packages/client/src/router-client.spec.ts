import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { OnboardingOutcome, VerificationState } from "@podium-router/proto";
import { LocationNotInScopeError, UnauthenticatedError, UnknownLocationError } from "@podium-router/errors";
import { createFakeRouter } from "./testing/fake-router.js";
import { createRouterClient } from "./router-client.js";
import type { RouterClientOptions } from "./router-client-options.js";

const sydney = { locationUid: "loc-sydney", orgSlug: "coastal-smiles" };
const hidden = { locationUid: "loc-hidden", orgSlug: "coastal-smiles", inScope: false };

function fakeClient(options: Partial<RouterClientOptions> = {}, fake = createFakeRouter({ apiKey: "k-test", locations: [sydney, hidden] })) {
  return { fake, client: createRouterClient({ apiKey: "k-test", transport: fake.transport, ...options }) };
}

describe("createRouterClient()", () => {
  it("sends the API key as a bearer token", async () => {
    const { fake, client } = fakeClient();
    const res = await client.listLocations();
    expect(res.locations.map((l) => l.locationUid)).toEqual(["loc-hidden", "loc-sydney"]);
    expect(fake.received[0]?.header.get("authorization")).toBe("Bearer k-test");
  });

  it("rebuilds UnauthenticatedError when the key is wrong", async () => {
    const { client } = fakeClient({ apiKey: "k-wrong" });
    await expect(client.listLocations()).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it("rebuilds the core error class, code and context from the wire reason", async () => {
    const { client } = fakeClient();
    const err = await client.call({ locationUid: "loc-nope", method: "GET", path: "/v4/contacts" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownLocationError);
    expect(err).toMatchObject({ code: "ERR_LOC_UNKNOWN", locationUid: "loc-nope" });
  });

  it("streams onboarding results, one per location", async () => {
    const { client } = fakeClient();
    const outcomes: [string, OnboardingOutcome][] = [];
    // A configured app by name and the token's value: the wire names no secret's location.
    const locations = [sydney, { locationUid: "loc-new", orgSlug: "coastal-smiles" }].map((l) => ({ ...l, oauthApp: "coastal-smiles", refreshToken: "sbx-rt-1" }));
    for await (const r of client.onboardLocations({ locations })) outcomes.push([r.locationUid, r.outcome]);
    expect(outcomes).toEqual([
      ["loc-sydney", OnboardingOutcome.SKIPPED_EXISTING],
      ["loc-new", OnboardingOutcome.ONBOARDED],
    ]);
  });

  it("rebuilds errors raised by a stream", async () => {
    const { client } = fakeClient({ apiKey: "k-wrong" });
    const read = async () => {
      for await (const r of client.queryAudit({ locationUid: "loc-sydney" })) void r;
    };
    await expect(read()).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it("refuses options that break a rule, naming the option", () => {
    expect(() => createRouterClient({ baseUrl: "http://x", protocol: "grpc", httpVersion: "1.1" })).toThrow(/httpVersion must be "2"/);
    expect(() => createRouterClient({ baseUrl: "not a url" })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
    expect(() => createRouterClient({ baseUrl: "http://x", protocol: "soap" as never })).toThrow(/protocol must be one of/);
    expect(() => createRouterClient({ baseUrl: "http://x", apiKey: "has space" })).toThrow(/apiKey must be/);
  });
});

describe("LocationHandle", () => {
  it("call() sends an object body as JSON and returns Podium's answer", async () => {
    let sent = "";
    const fake = createFakeRouter({
      locations: [sydney],
      onCall: (req) => {
        sent = req.body;
        return { status: 202, body: '{"data":{"identifier":"c-1"}}', headers: { "content-type": "application/json" } };
      },
    });
    const { client } = fakeClient({ apiKey: undefined }, fake);
    const res = await client.location("loc-sydney").call("POST", "/v4/contacts", { name: "Ada", locations: ["loc-sydney"] }, { requestId: "req-own" });
    expect(JSON.parse(sent)).toEqual({ name: "Ada", locations: ["loc-sydney"] });
    expect(res).toMatchObject({ status: 202, ok: true, requestId: "req-own", headers: { "content-type": "application/json" } });
    expect(res.json()).toEqual({ data: { identifier: "c-1" } });
  });

  it("call() resolves Podium's own 4xx instead of throwing", async () => {
    const fake = createFakeRouter({ locations: [sydney], onCall: () => ({ status: 404, body: '{"code":"resource_not_found"}' }) });
    const { client } = fakeClient({ apiKey: undefined }, fake);
    const res = await client.location("loc-sydney").call("GET", "/v4/contacts/x");
    expect(res.ok).toBe(false);
    expect(res.status).toBe(404);
  });

  it("verify() passes force and rebuilds LocationNotInScopeError", async () => {
    const { fake, client } = fakeClient();
    const v = await client.location("loc-sydney").verify({ force: true });
    expect(v).toMatchObject({ state: VerificationState.VERIFIED, cached: false, orgSlug: "coastal-smiles" });
    await expect(client.location("loc-hidden").verify()).rejects.toBeInstanceOf(LocationNotInScopeError);
    expect(fake.received.map((r) => r.method)).toEqual(["VerifyLocation", "VerifyLocation"]);
  });

  it("status() and remove() act on the bound location", async () => {
    const { fake, client } = fakeClient();
    const handle = client.location("loc-sydney");
    expect((await handle.status()).budget?.capacity).toBe(20);
    expect(await handle.remove()).toMatchObject({ locationUid: "loc-sydney" });
    expect(fake.locations.has("loc-sydney")).toBe(false);
    await expect(handle.status()).rejects.toBeInstanceOf(UnknownLocationError);
  });
});

describe("createRouterClient() over HTTP", () => {
  // One fake router served by real Node servers on port 0: HTTP/2 cleartext for gRPC (and every
  // protocol over h2), HTTP/1.1 for Connect and gRPC-Web.
  const fake = createFakeRouter({ apiKey: "k-http", locations: [sydney] });
  const handler = connectNodeAdapter({ routes: fake.routes });
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  let h1Url = "";
  let h2Url = "";

  beforeAll(async () => {
    h1Url = await listen(h1);
    h2Url = await listen(h2);
  });
  afterAll(async () => {
    h1.closeAllConnections();
    await Promise.all([new Promise((r) => h1.close(r)), new Promise((r) => h2.close(r))]);
  });

  const matrix = [
    { protocol: "grpc", httpVersion: "2" },
    { protocol: "connect", httpVersion: "2" },
    { protocol: "grpc-web", httpVersion: "2" },
    { protocol: "connect", httpVersion: "1.1" },
    { protocol: "grpc-web", httpVersion: "1.1" },
  ] as const;
  for (const { protocol, httpVersion } of matrix) {
    it(`routes a call and rebuilds a refusal over ${protocol} on HTTP/${httpVersion}`, async () => {
      const baseUrl = httpVersion === "2" ? h2Url : h1Url;
      const client = createRouterClient({ baseUrl, apiKey: "k-http", protocol, httpVersion });
      try {
        const res = await client.location("loc-sydney").call("GET", "/v4/contacts");
        expect(res.status).toBe(200);
        const err = await client.location("loc-nope").call("GET", "/v4/contacts").catch((e: unknown) => e);
        expect(err).toMatchObject({ code: "ERR_LOC_UNKNOWN", locationUid: "loc-nope" });
      } finally {
        await client.close();
      }
    });
  }
});

async function listen(server: http.Server | http2.Http2Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { ErrorDetailSchema, LocationRouterService, RetryInfoSchema } from "@podium-router/proto";
import { OPS_KEY, REAL_SYDNEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { connectFailure } from "../test/connect-failure.js";
import { hashApiKey } from "./caller-auth.js";

// Issue 11 item 2: one key scoped to one location could block consent onboarding for every tenant. Pending
// consents are now capped per caller and per organization; expired ones stop counting at once; a full cap
// is RESOURCE_EXHAUSTED with google.rpc.RetryInfo.

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const SYDNEY_KEY = "pr_consent_sydney_c4f1a0";
const HARBOUR_KEY = "pr_consent_harbour_7e02b9";
const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, timeoutMs: 10_000 });
const consentRpcs = ["BeginAuthorization", "AwaitAuthorization"];


describe("pending consents are capped per caller and per organization (over the wire)", () => {
  let r: RealRouter;
  beforeAll(async () => {
    r = await startRealRouter(
      {
        api_keys: [
          { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] },
          { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_KEY), locations: [REAL_SYDNEY], rpcs: consentRpcs, oauth_apps: ["coastal-smiles"] },
          { name: "harbour-app", key_sha256: hashApiKey(HARBOUR_KEY), locations: [ha.locations.fremantle], rpcs: consentRpcs, oauth_apps: ["harbour-auto"] },
        ],
      },
      { onboarding: { max_pending_consents_per_caller: 3, max_pending_consents_per_org: 4 } },
    );
  });
  afterAll(async () => {
    await r?.close();
  });

  it("one key filling its own cap blocks neither another caller's nor another organization's consent", async () => {
    const sydneyClient = createClient(LocationRouterService, createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" }));
    const begin = { locationUid: REAL_SYDNEY, orgSlug: cs.slug, oauthApp: "coastal-smiles", ttlSeconds: 600 };
    const first = await sydneyClient.beginAuthorization(begin, auth(SYDNEY_KEY));
    await sydneyClient.beginAuthorization(begin, auth(SYDNEY_KEY));
    await sydneyClient.beginAuthorization(begin, auth(SYDNEY_KEY));

    for (const [protocol, transport] of Object.entries({
      connect: createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" }),
      grpc: createGrpcTransport({ baseUrl: r.url }),
      "grpc-web": createGrpcWebTransport({ baseUrl: r.url, httpVersion: "1.1" }),
    })) {
      const err = await connectFailure(createClient(LocationRouterService, transport).beginAuthorization(begin, auth(SYDNEY_KEY)));
      expect(err.code, protocol).toBe(Code.ResourceExhausted);
      const detail = err.findDetails(ErrorDetailSchema)[0];
      expect(detail, protocol).toMatchObject({ reason: "ERR_LOC_CONSENT_LIMIT", locationUid: REAL_SYDNEY });
      expect(err.rawMessage, protocol).toContain("max_pending_consents_per_caller");
      // RetryInfo says when the caller's first pending consent expires.
      const retry = err.findDetails(RetryInfoSchema)[0];
      const delay = durationMs(retry!.retryDelay!);
      const untilFirstExpires = timestampMs(first.expiresAt!) - Date.now();
      expect(delay, protocol).toBeGreaterThan(untilFirstExpires - 5_000);
      expect(delay, protocol).toBeLessThanOrEqual(untilFirstExpires + 1_000);
      await vi.waitFor(() =>
        expect(r.auditLines().find((l) => l.request_id === detail?.requestId), protocol).toMatchObject({
          endpoint: "router:BeginAuthorization",
          caller: "sydney-app",
          error_code: "ERR_LOC_CONSENT_LIMIT",
        }),
      );
    }

    // Another caller of the same organization still gets its consent (the organization holds 4 at most) ...
    const ops = createClient(LocationRouterService, createGrpcTransport({ baseUrl: r.url }));
    const opsBegun = await ops.beginAuthorization({ locationUid: cs.locations.newcastle, orgSlug: cs.slug, oauthApp: "coastal-smiles" }, auth(OPS_KEY));
    expect(new URL(opsBegun.authorizeUrl).searchParams.get("state")).toBe(opsBegun.state);
    // ... which fills the organization, for every caller of it ...
    const orgFull = await connectFailure(ops.beginAuthorization({ locationUid: cs.locations.byronBay, orgSlug: cs.slug, oauthApp: "coastal-smiles" }, auth(OPS_KEY)));
    expect(orgFull.code).toBe(Code.ResourceExhausted);
    expect(orgFull.rawMessage).toContain(`organization ${cs.slug} has 4 consents pending`);
    // ... but never another organization's.
    const harbour = createClient(LocationRouterService, createGrpcWebTransport({ baseUrl: r.url, httpVersion: "1.1" }));
    const other = await harbour.beginAuthorization({ locationUid: ha.locations.fremantle, orgSlug: ha.slug, oauthApp: "harbour-auto" }, auth(HARBOUR_KEY));
    expect(new URL(other.authorizeUrl).searchParams.get("client_id")).toBe(ha.app.clientId);
  });

  it("an expired consent stops counting at once", async () => {
    const client = createClient(LocationRouterService, createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" }));
    const harbourBegin = { locationUid: ha.locations.fremantle, orgSlug: ha.slug, oauthApp: "harbour-auto" };
    // The harbour key holds 1 (from the test above); 2 more with a one-second life fill its cap of 3.
    await client.beginAuthorization({ ...harbourBegin, ttlSeconds: 1 }, auth(HARBOUR_KEY));
    await client.beginAuthorization({ ...harbourBegin, ttlSeconds: 1 }, auth(HARBOUR_KEY));
    const full = await connectFailure(client.beginAuthorization(harbourBegin, auth(HARBOUR_KEY)));
    expect(full.code).toBe(Code.ResourceExhausted);
    expect(durationMs(full.findDetails(RetryInfoSchema)[0]!.retryDelay!)).toBeLessThanOrEqual(1_000);
    // Once they expire, the key may begin again: no ten-minute wait for the expired ones to be swept.
    await vi.waitFor(async () => expect((await client.beginAuthorization(harbourBegin, auth(HARBOUR_KEY))).state).not.toBe(""), { timeout: 5_000, interval: 200 });
  });
});

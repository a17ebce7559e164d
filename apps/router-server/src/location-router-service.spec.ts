import { describe, it, expect } from "vitest";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { AuthState, ErrorDetailSchema, LocationRouterService, OnboardingOutcome, VerificationState } from "@podium-router/proto";
import { pino } from "pino";
import { BURLEIGH, createFakeLocationRouter, SYDNEY } from "../test/fake-location-router.js";
import { createCallerAuth, hashApiKey } from "./caller-auth.js";
import { createLocationRouterService } from "./location-router-service.js";

const keys = { ops: "key-ops", sydney: "key-sydney", lister: "key-lister" };

/** Tier b: the service in memory (no network), on the fake router. */
function setup() {
  const router = createFakeLocationRouter();
  const auth = createCallerAuth([
    { name: "ops", keySha256: hashApiKey(keys.ops), locations: "*", rpcs: "*", oauthApps: "*", organizations: [] },
    { name: "sydney-app", keySha256: hashApiKey(keys.sydney), locations: [SYDNEY], rpcs: ["Call", "VerifyLocation", "QueryAudit", "OnboardLocations"], oauthApps: ["coastal-smiles"], organizations: [] },
    { name: "lister", keySha256: hashApiKey(keys.lister), locations: [BURLEIGH], rpcs: ["ListLocations"], oauthApps: [], organizations: [] },
  ]);
  const impl = createLocationRouterService({ router, auth, logger: pino({ level: "silent" }) });
  const transport = createRouterTransport(({ service }) => service(LocationRouterService, impl));
  const client = createClient(LocationRouterService, transport);
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  return { router, client, as };
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("createLocationRouterService()", () => {
  it("refuses a call without a key as UNAUTHENTICATED, audits it, and never calls the core", async () => {
    const { router, client } = setup();
    const err = await failure(client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts", requestId: "r-1" }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_UNAUTHENTICATED", locationUid: SYDNEY, requestId: "r-1" });
    expect(router.calls).toHaveLength(0);
    expect(router.refusals).toEqual([{ kind: "call", locationUid: SYDNEY, method: "GET", path: "/v4/contacts", caller: undefined, errorCode: "ERR_LOC_UNAUTHENTICATED", requestId: "r-1" }]);
  });

  it("refuses an invalid key as UNAUTHENTICATED", async () => {
    const { router, client, as } = setup();
    const err = await failure(client.verifyLocation({ locationUid: SYDNEY }, as("key-wrong")));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(router.calls).toHaveLength(0);
  });

  it("refuses an ungranted location as PERMISSION_DENIED before the core, audited with the caller's name", async () => {
    const { router, client, as } = setup();
    const err = await failure(client.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/messages", body: "{}", requestId: "r-2" }, as(keys.sydney)));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_PERMISSION_DENIED", locationUid: BURLEIGH, requestId: "r-2" });
    expect(router.calls).toHaveLength(0);
    expect(router.refusals).toEqual([{ kind: "call", locationUid: BURLEIGH, method: "POST", path: "/v4/messages", caller: "sydney-app", errorCode: "ERR_LOC_PERMISSION_DENIED", requestId: "r-2" }]);
  });

  it("refuses an ungranted RPC as PERMISSION_DENIED, audited under the RPC's name", async () => {
    const { router, client, as } = setup();
    const err = await failure(client.removeLocation({ locationUid: SYDNEY }, as(keys.sydney)));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(router.refusals[0]).toMatchObject({ kind: "rpc", locationUid: SYDNEY, rpc: "RemoveLocation", caller: "sydney-app" });
    expect(router.refusals[0]?.requestId).not.toBe("");
  });

  it("hands the caller's name, deadline and abort signal to the core", async () => {
    const { router, client, as } = setup();
    const before = Date.now();
    await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, { ...as(keys.sydney), timeoutMs: 5_000 });
    const [{ call, ctx } = { call: undefined, ctx: undefined }] = router.calls;
    expect(ctx?.caller).toBe("sydney-app");
    expect(ctx?.deadline).toBeGreaterThanOrEqual(before + 4_000);
    expect(ctx?.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(ctx?.signal).toBeInstanceOf(AbortSignal);
    // No request id from the caller: the server hands none to the core, which assigns one.
    expect(call?.requestId).toBeUndefined();
  });

  it("leaves the deadline unset when the caller sends none", async () => {
    const { router, client, as } = setup();
    await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, as(keys.ops));
    expect(router.calls[0]?.ctx?.deadline).toBeUndefined();
  });

  it("lists only the locations the key is granted", async () => {
    const { client, as } = setup();
    expect((await client.listLocations({}, as(keys.ops))).locations.map((l) => l.locationUid)).toEqual([BURLEIGH, SYDNEY]);
    expect((await client.listLocations({}, as(keys.lister))).locations.map((l) => l.locationUid)).toEqual([BURLEIGH]);
  });

  it("requires location_uid in QueryAudit unless the key covers every location", async () => {
    const { client, as } = setup();
    const err = await failure((async () => { for await (const _ of client.queryAudit({}, as(keys.sydney))) void _; })());
    expect(err.code).toBe(Code.PermissionDenied);
    const records = [];
    for await (const r of client.queryAudit({ locationUid: SYDNEY }, as(keys.sydney))) records.push(r.record);
    expect(records.map((r) => [r?.locationUid, r?.caller, r?.ts && timestampMs(r.ts)])).toEqual([[SYDNEY, "ops", 1_700_000_000_000]]);
  });

  it("maps the status of a location to the proto message", async () => {
    const { client, as } = setup();
    const s = await client.getLocationStatus({ locationUid: SYDNEY }, as(keys.ops));
    expect(s.verificationState).toBe(VerificationState.VERIFIED);
    expect(s.authState).toBe(AuthState.VALID);
    expect(s.budget).toMatchObject({ available: 19, capacity: 20, refillPerSecond: 2, quotaGroup: "cred-1" });
    expect(s.budget?.pausedUntil).toBeUndefined();
    expect(timestampMs(s.verificationExpiresAt!)).toBe(1_700_003_600_000);
  });

  it("refuses onboarding when any of its locations is ungranted, and streams results otherwise", async () => {
    const { router, client, as } = setup();
    const app = { orgSlug: "x", oauthApp: "coastal-smiles", refreshToken: "rt-1" };
    const stream = client.onboardLocations({ locations: [{ locationUid: SYDNEY, ...app }, { locationUid: "loc-new", ...app }] }, as(keys.sydney));
    const err = await failure((async () => { for await (const _ of stream) void _; })());
    expect(err.code).toBe(Code.PermissionDenied);
    const outcomes = [];
    for await (const r of client.onboardLocations({ locations: [{ locationUid: SYDNEY, ...app }, { locationUid: "loc-new", ...app }] }, as(keys.ops))) outcomes.push(r.outcome);
    expect(outcomes).toEqual([OnboardingOutcome.SKIPPED_EXISTING, OnboardingOutcome.ONBOARDED]);
    expect(router.refusals.map((r) => r.locationUid)).toEqual(["loc-new"]);
  });

  it("hands the core an app name and a token value, never a reference or a path, and only for a granted app", async () => {
    const { router, client, as } = setup();
    const onboard = (oauthApp: string, key: string) => failure((async () => {
      for await (const _ of client.onboardLocations({ locations: [{ locationUid: SYDNEY, orgSlug: "coastal-smiles", oauthApp, refreshToken: "rt-1" }] }, as(key))) void _;
    })());
    expect((await onboard("harbour-auto", keys.sydney)).code).toBe(Code.PermissionDenied);
    expect((await onboard("file:/etc/hostname", keys.sydney)).code).toBe(Code.InvalidArgument);
    expect((await onboard("", keys.ops)).rawMessage).toContain("locations[0].oauth_app is required");
    expect(router.onboardingInputs).toEqual([]);
    expect(router.refusals.map((r) => [r.locationUid, r.errorCode, r.caller])).toEqual([
      [SYDNEY, "ERR_LOC_PERMISSION_DENIED", "sydney-app"],
      [SYDNEY, "ERR_LOC_BAD_REQUEST", "sydney-app"],
      [SYDNEY, "ERR_LOC_BAD_REQUEST", "ops"],
    ]);
    for await (const _ of client.onboardLocations({ locations: [{ locationUid: SYDNEY, orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshToken: "rt-1" }] }, as(keys.sydney))) void _;
    expect(router.onboardingInputs).toEqual([{ locationUid: SYDNEY, orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshToken: "rt-1" }]);
  });

  it("answers an unexpected failure as INTERNAL without its message", async () => {
    const { client, as } = setup();
    const err = await failure(client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/throw" }, as(keys.ops)));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).not.toContain("hunter2");
  });
});

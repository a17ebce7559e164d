import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocationAuthError } from "@podium-router/errors";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { trackRedisState, uniquePrefix } from "../testing/redis-test-state.js";
import { absentNote, requireRedis } from "../testing/services.js";
import { createLocationHealth, reportedAuthState } from "./location-health.js";
import { refusalOf } from "../testing/refusal.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const redisUp = await requireRedis();
const { prefixes } = trackRedisState(redisUp);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Sydney registered under the front desk's grant (Sydney only), the router restarted over it. */
async function sydney(): Promise<Harness> {
  h = await createHarness({ settings: { upstream: { retry: { max_attempts: 1 } } } });
  await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.sydneyGrant.grantId), "coastal-smiles", cs.organizationUid);
  await h.restart();
  return h;
}

const failure = refusalOf;

describe("GetLocationStatus tells the truth about the credential", () => {
  it("reports the last refresh and a successful call while the location works", async () => {
    const hh = await sydney();
    expect(await hh.router.getLocationStatus(SYDNEY)).toMatchObject({ authState: "no_token", lastRefreshAt: undefined, lastErrorCode: undefined });
    const before = Date.now();
    expect((await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" })).status).toBe(200);
    const status = await hh.router.getLocationStatus(SYDNEY);
    expect(status).toMatchObject({ authState: "valid", lastRefreshOutcome: "ok", lastRefreshErrorCode: undefined, lastErrorCode: undefined });
    expect(status.lastRefreshAt).toBeGreaterThanOrEqual(before);
    expect(status.lastSuccessAt).toBeGreaterThanOrEqual(status.lastRefreshAt ?? Infinity);
  });

  it("after Podium revokes the grant, a call fails ERR_LOC_AUTH and the status says failed, with the refresh's and the call's codes", async () => {
    const hh = await sydney();
    await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" });
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId], expireAllTokens: true });
    const refused = await failure(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts", requestId: "status-auth-1" }));
    expect(refused.code).toBe("ERR_LOC_AUTH");
    const status = await hh.router.getLocationStatus(SYDNEY);
    expect(status).toMatchObject({
      authState: "failed",
      lastRefreshOutcome: "failed",
      lastRefreshErrorCode: "ERR_LOC_AUTH",
      lastErrorCode: "ERR_LOC_AUTH",
      lastErrorRequestId: "status-auth-1",
    });
    expect(status.lastErrorMessage).toContain("invalid_grant");
    expect(status.lastErrorAt).toBeGreaterThanOrEqual(status.lastSuccessAt ?? Infinity);
    // A malformed request afterwards says nothing about the location: the real failure stays on show.
    expect((await failure(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/../contacts" }))).code).toBe("ERR_LOC_BAD_REQUEST");
    expect(await hh.router.getLocationStatus(SYDNEY)).toMatchObject({ authState: "failed", lastErrorCode: "ERR_LOC_AUTH", lastErrorRequestId: "status-auth-1" });
  });

  it("a verification refused with the cached token drops it and refreshes, so the status never says valid for a refused token", async () => {
    const hh = await sydney();
    await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" });
    expect((await hh.router.getLocationStatus(SYDNEY)).authState).toBe("valid");
    // The cached access token (10 h left) is refused from now on, and so is the refresh token.
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId], expireAllTokens: true });
    expect((await failure(hh.router.verifyLocation(SYDNEY, { force: true }))).code).toBe("ERR_LOC_AUTH");
    const status = await hh.router.getLocationStatus(SYDNEY);
    expect(status).toMatchObject({ authState: "failed", lastRefreshOutcome: "failed", lastErrorCode: "ERR_LOC_AUTH" });
    // The refused token was dropped and a refresh tried: the ledger shows the 401 and the refused refresh.
    expect(hh.sandbox.ledger().slice(-2).map((e) => [e.route, e.status])).toEqual([
      ["/v4/locations", 401],
      ["/oauth/token", 400],
    ]);
  });

  it("forgets a removed location's history", async () => {
    const hh = await sydney();
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId] });
    await failure(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" }));
    await hh.router.removeLocation(SYDNEY);
    await hh.register(SYDNEY, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), "coastal-smiles", cs.organizationUid);
    await hh.restart();
    expect(await hh.router.getLocationStatus(SYDNEY)).toMatchObject({ authState: "no_token", lastErrorCode: undefined });
  });
});

describe.skipIf(!redisUp)(`GetLocationStatus across replicas${absentNote("Redis", redisUp)}`, () => {
  /** Two replicas over Sydney (front desk's grant): the first makes the calls, the second is asked the status. */
  async function replicas(state: Record<string, unknown>) {
    h = await createHarness({ settings: { upstream: { retry: { max_attempts: 1 } }, state } });
    await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.sydneyGrant.grantId), "coastal-smiles", cs.organizationUid);
    return { one: await h.restart(), two: await h.replica(), hh: h };
  }
  const redisState = () => {
    const keyPrefix = uniquePrefix();
    prefixes.push(keyPrefix);
    return { backend: "redis", redis: { key_prefix: keyPrefix } };
  };

  it("with state.backend: redis, any replica's status shows the success and the failure another replica saw", async () => {
    const { one, two, hh } = await replicas(redisState());
    const before = Date.now();
    expect((await one.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" })).status).toBe(200);
    await vi.waitFor(async () => expect((await two.getLocationStatus(SYDNEY)).lastSuccessAt).toBeGreaterThanOrEqual(before), { timeout: 5_000, interval: 20 });
    // The token was refreshed by the first replica: the second says so although its own auth never ran.
    expect(await two.getLocationStatus(SYDNEY)).toMatchObject({ authState: "no_token", lastRefreshOutcome: "ok" });
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId], expireAllTokens: true });
    expect((await failure(one.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts", requestId: "replica-auth-1" }))).code).toBe("ERR_LOC_AUTH");
    // The second replica never called Podium for Sydney, yet its status tells the truth.
    await vi.waitFor(
      async () => expect(await two.getLocationStatus(SYDNEY)).toMatchObject({ authState: "failed", lastErrorCode: "ERR_LOC_AUTH", lastErrorRequestId: "replica-auth-1", lastRefreshOutcome: "failed", lastRefreshErrorCode: "ERR_LOC_AUTH" }),
      { timeout: 5_000, interval: 20 },
    );
    // Removing the location forgets what every replica published.
    await one.removeLocation(SYDNEY);
    await h!.register(SYDNEY, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), "coastal-smiles", cs.organizationUid);
    const fresh = await hh.replica();
    await vi.waitFor(async () => expect(await fresh.getLocationStatus(SYDNEY)).toMatchObject({ lastErrorCode: undefined, lastSuccessAt: undefined }), { timeout: 5_000, interval: 20 });
  });

  it("control: with state.backend: memory each replica knows only what it saw itself", async () => {
    const { one, two, hh } = await replicas({ backend: "memory" });
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId] });
    expect((await failure(one.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" }))).code).toBe("ERR_LOC_AUTH");
    expect(await one.getLocationStatus(SYDNEY)).toMatchObject({ lastErrorCode: "ERR_LOC_AUTH" });
    expect(await two.getLocationStatus(SYDNEY)).toMatchObject({ lastErrorCode: undefined, lastSuccessAt: undefined, lastRefreshAt: undefined });
  });
});

describe("reportedAuthState()", () => {
  const authError = new LocationAuthError({ locationUid: SYDNEY, requestId: "r1" }, "Podium answered 401 again");

  it("is the auth instance's own state until Podium refuses the credential after the last good refresh or call", () => {
    let t = 1_000;
    const health = createLocationHealth(() => t);
    expect(reportedAuthState("valid", { at: 900, outcome: "ok" }, health.get(SYDNEY))).toBe("valid");
    // Refreshed at 900, then "401 again with a freshly refreshed token" at 1000: a valid-looking token that does not work.
    health.failure(SYDNEY, authError, "r1");
    expect(reportedAuthState("valid", { at: 900, outcome: "ok" }, health.get(SYDNEY))).toBe("failed");
    // A later good refresh or a later 2xx call puts it back.
    expect(reportedAuthState("valid", { at: 1_100, outcome: "ok" }, health.get(SYDNEY))).toBe("valid");
    t = 1_200;
    health.success(SYDNEY);
    expect(reportedAuthState("valid", { at: 900, outcome: "ok" }, health.get(SYDNEY))).toBe("valid");
  });
});

describe("createLocationHealth() publishing for other replicas", () => {
  it("publishes a success at most once a second, a failure at once when its code changes, and merges the later of each field", async () => {
    let t = 10_000;
    const published: Array<[string, unknown]> = [];
    const forgotten: string[] = [];
    const other = { lastSuccessAt: 9_000, lastError: { code: "ERR_LOC_NOT_IN_SCOPE", at: 10_500, message: "m" } };
    const health = createLocationHealth(() => t, {
      publish: async (uid, snap) => void published.push([uid, snap]),
      read: async () => other,
      forget: async (uid) => void forgotten.push(uid),
    });
    health.success(SYDNEY);
    t += 500;
    health.success(SYDNEY); // within the second: not published
    t += 600;
    health.success(SYDNEY);
    const auth = new LocationAuthError({ locationUid: SYDNEY }, "401");
    health.failure(SYDNEY, auth, "r1");
    t += 10;
    health.failure(SYDNEY, auth, "r2"); // same code within the second: not published
    health.failure(SYDNEY, new LocationAuthError({ locationUid: SYDNEY }, "x"), undefined);
    expect(published.map(([, snap]) => Object.keys(snap as object)[0])).toEqual(["lastSuccessAt", "lastSuccessAt", "lastError"]);
    // This process's own view, and the merge: its success is later, the other replica's error is older than its own.
    expect(health.get(SYDNEY).lastSuccessAt).toBe(11_100);
    expect(await health.getShared(SYDNEY)).toMatchObject({ lastSuccessAt: 11_100, lastError: { code: "ERR_LOC_AUTH", at: 11_110 } });
    health.forget(SYDNEY);
    expect(forgotten).toEqual([SYDNEY]);
    // Forgotten here: what the other replica published is all there is.
    expect(await health.getShared(SYDNEY)).toEqual(other);
  });
});


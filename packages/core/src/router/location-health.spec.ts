import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { isCoreError, LocationAuthError } from "@podium-router/errors";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { createLocationHealth, reportedAuthState } from "./location-health.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;

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

async function failure(p: Promise<unknown>): Promise<{ code: string; requestId?: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (isCoreError(err)) return { code: err.code, requestId: err.requestId };
    throw err;
  }
  throw new Error("expected a refusal");
}

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

import { createSandbox, defaultFixtureIds } from "@podium-router/podium-sandbox";
import type { AddedGrant, Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLocationAuth } from "../oauth/location-auth.js";
import type { LocationAuth } from "../oauth/location-auth.js";
import { getLocationStatus, listAllLocations, MAX_LOCATION_NAME_LENGTH, podiumName } from "./location-listing.js";
import { createLocationVerifier } from "./location-verifier.js";
import type { VerifyTarget } from "./location-verifier.js";
import { createUpstreamClient } from "../upstream/upstream-client.js";
import type { UpstreamClient } from "../upstream/upstream-client.js";

const ids = defaultFixtureIds.coastalSmiles;

describe("listAllLocations()", () => {
  let sandbox: Sandbox;
  let upstream: UpstreamClient;

  beforeAll(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    upstream = createUpstreamClient({
      baseUrl: sandbox.url,
      podiumVersion: "2021.04.01",
      connectTimeoutMs: 2_000,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      connections: 8,
      keepAliveTimeoutMs: 5_000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
  });
  afterEach(() => {
    sandbox.resetFaults();
  });
  afterAll(async () => {
    await upstream.close();
    await sandbox.close();
  });

  const tokenFor = (grantId: string): string => sandbox.issueAccessToken(grantId).accessToken;

  function authFor(grant: AddedGrant, locationUid: string): LocationAuth {
    return createLocationAuth({
      locationUid,
      tokenUrl: `${sandbox.url}/oauth/token`,
      clientId: grant.clientId,
      clientSecret: grant.clientSecret,
      readRefreshToken: async () => grant.refreshToken,
      writeRefreshToken: async () => undefined,
      expiryMarginMs: 60_000,
      upstream,
    });
  }

  /** What the router builds for a location: every call with that location's own credential. */
  function targetFor(grant: AddedGrant, locationUid: string, requestId: string): VerifyTarget {
    const auth = authFor(grant, locationUid);
    return {
      locationUid,
      grantKey: grant.grantId,
      listLocations: (signal) => listAllLocations(upstream, auth, requestId, signal),
      getLocation: (signal) => getLocationStatus(upstream, auth, locationUid, requestId, signal),
    };
  }

  const grantById = (grantId: string): AddedGrant => {
    const g = sandbox.fixture.grants.find((x) => x.grantId === grantId);
    if (g === undefined) throw new Error(`fixture lacks ${grantId}`);
    return g;
  };

  it("follows nextCursor through every page of a 250-location grant", async () => {
    const grant = sandbox.addGrant({ locations: 250 });
    const listed = await listAllLocations(upstream, tokenFor(grant.grantId), "req-250");
    expect(listed.size).toBe(250);
    expect([...listed.keys()].sort()).toEqual(grant.locations.map((l) => l.uid).sort());
    expect(listed.get(grant.locations[0]?.uid ?? "")).toEqual({ organizationUid: grant.organizationUid, name: grant.locations[0]?.name });
    const pages = sandbox.ledger().filter((e) => e.requestId === "req-250");
    expect(pages.map((e) => e.route)).toEqual(["/v4/locations", "/v4/locations", "/v4/locations"]);
  });

  it("keeps Podium's name of each location, printable and bounded", async () => {
    expect(podiumName("  Coastal\u0007 Smiles\u202e  Sydney\n")).toBe("Coastal Smiles Sydney");
    expect(podiumName("x".repeat(500))).toHaveLength(MAX_LOCATION_NAME_LENGTH);
    expect(podiumName(42)).toBeUndefined();
    expect(podiumName(" \t ")).toBeUndefined();
    const listed = await listAllLocations(upstream, tokenFor(ids.ownerGrant.grantId), "req-names");
    expect(listed.get(ids.locations.burleighHeads)).toEqual({ organizationUid: ids.organizationUid, name: "Burleigh Heads" });
  });

  it("lists only the credential's own locations", async () => {
    const listed = await listAllLocations(upstream, tokenFor(ids.sydneyGrant.grantId), "req-sydney");
    expect([...listed.keys()]).toEqual([ids.locations.sydney]);
  });

  it("refreshes once and carries on when a page gets a 401, given the location's auth", async () => {
    const grant = grantById(ids.ownerGrant.grantId);
    const auth = authFor(grant, ids.locations.sydney);
    await auth.getAccessToken();
    sandbox.setFaults({ expireAllTokens: true });
    const listed = await listAllLocations(upstream, auth, "req-list-401");
    expect(listed.has(ids.locations.burleighHeads)).toBe(true);
    expect(sandbox.ledger().filter((e) => e.requestId === "req-list-401").map((e) => e.status)).toEqual([401, 200]);
  });

  it("gives LocationAuthError for a refused bare token and LocationRateLimitedError for a 429", async () => {
    await expect(listAllLocations(upstream, "sbx-at-not-a-token", "req-bad")).rejects.toMatchObject({ code: "ERR_LOC_AUTH", upstreamStatus: 401 });
    sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: 2 } });
    await expect(listAllLocations(upstream, tokenFor(ids.ownerGrant.grantId), "req-storm")).rejects.toMatchObject({
      code: "ERR_LOC_RATE_LIMITED",
      retryAfterMs: 2_000,
    });
  });

  it("reads a location's status: ok, forbidden outside the grant, not_found when deleted", async () => {
    const token = tokenFor(ids.sydneyGrant.grantId);
    expect(await getLocationStatus(upstream, token, ids.locations.sydney, "req-s1")).toBe("ok");
    expect(await getLocationStatus(upstream, token, ids.locations.burleighHeads, "req-s2")).toBe("forbidden");
    sandbox.setFaults({ deletedLocations: [ids.locations.sydney] });
    expect(await getLocationStatus(upstream, token, ids.locations.sydney, "req-s3")).toBe("not_found");
  });

  describe("with createLocationVerifier()", () => {
    it("verifies a location with its own credential", async () => {
      const verifier = createLocationVerifier({ ttlMs: 3_600_000 });
      const result = await verifier.verify(targetFor(grantById(ids.sydneyGrant.grantId), ids.locations.sydney, "req-v1"));
      expect(result).toMatchObject({ cached: false, organizationUid: ids.organizationUid });
    });

    it("gives LocationNotInScopeError for a location its credential does not reach", async () => {
      const verifier = createLocationVerifier({ ttlMs: 3_600_000 });
      // Burleigh Heads checked with the Sydney front desk's grant: same org, other user.
      const target = targetFor(grantById(ids.sydneyGrant.grantId), ids.locations.burleighHeads, "req-v2");
      await expect(verifier.verify(target)).rejects.toMatchObject({ code: "ERR_LOC_NOT_IN_SCOPE", locationUid: ids.locations.burleighHeads, upstreamStatus: 403 });
      expect(sandbox.ledger().filter((e) => e.requestId === "req-v2").map((e) => e.route)).toEqual(["/v4/locations", "/v4/locations/{uid}"]);
    });

    it("gives LocationDeletedError for a location Podium deleted", async () => {
      sandbox.setFaults({ deletedLocations: [ids.locations.newcastle] });
      const verifier = createLocationVerifier({ ttlMs: 3_600_000 });
      const target = targetFor(grantById(ids.ownerGrant.grantId), ids.locations.newcastle, "req-v3");
      await expect(verifier.verify(target)).rejects.toMatchObject({ code: "ERR_LOC_DELETED", locationUid: ids.locations.newcastle });
    });

    it("verifies a grant's locations with one listing", async () => {
      const grant = sandbox.addGrant({ locations: 3 });
      const verifier = createLocationVerifier({ ttlMs: 3_600_000 });
      const results = await Promise.all(grant.locations.map((l) => verifier.verify(targetFor(grant, l.uid, "req-shared"))));
      expect(results).toHaveLength(3);
      expect(sandbox.ledger().filter((e) => e.requestId === "req-shared" && e.route === "/v4/locations")).toHaveLength(1);
      expect(sandbox.stats().tokenRefreshes[grant.grantId]).toBe(1);
    });
  });
});

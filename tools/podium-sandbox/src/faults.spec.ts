import { afterEach, describe, expect, it } from "vitest";
import { call, refreshGrant, startSandbox, tokenFor } from "../test/harness.js";
import { DEFAULT_RATE_LIMIT, InvalidFaultsError, mergeFaults, noFaults, validateFaults } from "./faults.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;

describe("validateFaults()", () => {
  it.each([
    [{ errorRate: 2 }, "faults.errorRate must be a number between 0 and 1"],
    [{ resetRate: -0.1 }, "faults.resetRate must be a number between 0 and 1"],
    [{ latencyMs: "5" }, "faults.latencyMs must be a number >= 0"],
    [{ revokedGrants: "grant-1" }, "faults.revokedGrants must be an array of grant ids"],
    [{ rateLimit: { key: "ip" } }, "faults.rateLimit.key must be token, app or location"],
    [{ foreignLocationStatus: 401 }, "faults.foreignLocationStatus must be 403 or 404"],
    [{ latency: 5 }, "faults.latency is not a known fault"],
    [[], "faults.(root) must be an object"],
  ])("refuses %j naming the field and the rule", (raw, message) => {
    expect(() => validateFaults(raw)).toThrow(new InvalidFaultsError(message));
  });

  it("accepts a full patch", () => {
    const patch = { latencyMs: 5, errorRate: 0.5, resetRate: 0, rateLimitStorm: { retryAfterSeconds: 3 }, revokedGrants: ["g"], deletedLocations: ["l"], expireAllTokens: true, rotateRefreshTokens: true, accessTokenTtlSeconds: 60, rateLimit: { perMinute: 10, key: "app", headers: true } };
    expect(validateFaults(patch)).toEqual(patch);
  });
});

describe("mergeFaults()", () => {
  it("merges rateLimit one level deep and replaces arrays", () => {
    const a = mergeFaults(noFaults, { rateLimit: { headers: true }, deletedLocations: ["x"] });
    expect(a.rateLimit).toEqual({ ...DEFAULT_RATE_LIMIT, headers: true });
    const b = mergeFaults(a, { rateLimit: { perMinute: 5 }, deletedLocations: ["y"] });
    expect(b.rateLimit).toEqual({ perMinute: 5, key: "token", headers: true });
    expect(b.deletedLocations).toEqual(["y"]);
    expect(mergeFaults(b, { rateLimit: false }).rateLimit).toBe(false);
  });

  it("never keeps expireAllTokens set (it is an action)", () => {
    expect(mergeFaults(noFaults, { expireAllTokens: true }).expireAllTokens).toBe(false);
  });
});

describe("Sandbox.setFaults()", () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox?.close());

  it("latencyMs delays answers", async () => {
    sandbox = await startSandbox({ faults: { latencyMs: 150 } });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    const started = performance.now();
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("errorRate 1 answers every v4 request 500 internal_server_error, token refresh still works", async () => {
    sandbox = await startSandbox();
    sandbox.setFaults({ errorRate: 1 });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect(await call(sandbox, "GET", "/v4/locations", { token })).toMatchObject({ status: 500, body: { code: "internal_server_error" } });
    expect(sandbox.ledger().at(-1)).toMatchObject({ status: 500, fault: "error", grantId: cs.ownerGrant.grantId });
  });

  it("resetRate 1 destroys the connection before any answer", async () => {
    sandbox = await startSandbox({ faults: { resetRate: 1 } });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    await expect(call(sandbox, "GET", "/v4/locations", { token })).rejects.toThrow();
    expect(sandbox.ledger().at(-1)).toMatchObject({ status: 0, fault: "reset", route: "/v4/locations" });
  });

  it("rateLimitStorm answers every v4 request 429 with Retry-After", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: 7 } });
    const answer = await call(sandbox, "GET", "/v4/locations", { token });
    expect(answer).toMatchObject({ status: 429, body: { code: "rate_limit" } });
    expect(answer.headers.get("retry-after")).toBe("7");
    sandbox.setFaults({ rateLimitStorm: false });
    expect((await call(sandbox, "GET", "/v4/locations", { token })).status).toBe(200);
  });

  it("rateLimitStorm with grants storms only those grants' requests", async () => {
    sandbox = await startSandbox();
    const stormed = await tokenFor(sandbox, cs.ownerGrant.grantId);
    const calm = await tokenFor(sandbox, cs.sydneyGrant.grantId);
    sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: 2, grants: [cs.ownerGrant.grantId] } });
    const answer = await call(sandbox, "GET", "/v4/locations", { token: stormed });
    expect(answer).toMatchObject({ status: 429, body: { code: "rate_limit" } });
    expect(answer.headers.get("retry-after")).toBe("2");
    expect((await call(sandbox, "GET", "/v4/locations", { token: calm })).status).toBe(200);
    expect(sandbox.faults().rateLimitStorm).toEqual({ retryAfterSeconds: 2, grants: [cs.ownerGrant.grantId] });
    expect(() => sandbox.setFaults({ rateLimitStorm: { grants: "x" } } as never)).toThrow(/rateLimitStorm.grants must be an array of grant ids/);
  });

  it("revokedGrants refuses that grant's refresh token with invalid_grant and no other", async () => {
    sandbox = await startSandbox();
    sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId] });
    expect(await refreshGrant(sandbox, cs.sydneyGrant.grantId)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect((await refreshGrant(sandbox, cs.ownerGrant.grantId)).status).toBe(200);
    expect(sandbox.ledger().find((e) => e.route === "/oauth/token")).toMatchObject({ grantId: cs.sydneyGrant.grantId, status: 400, errorCode: "invalid_grant" });
  });

  it("deletedLocations answers 404 wherever the location is named and hides it from listings", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    sandbox.setFaults({ deletedLocations: [cs.locations.newcastle] });
    expect(await call(sandbox, "GET", `/v4/locations/${cs.locations.newcastle}`, { token })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
    expect(await call(sandbox, "POST", "/v4/messages", { token, body: { body: "hi", channel: { identifier: "a@b.c", type: "email" }, locationUid: cs.locations.newcastle } })).toMatchObject({ status: 404 });
    expect(await call(sandbox, "GET", `/v4/conversations?locationUid=${cs.locations.newcastle}`, { token })).toMatchObject({ status: 404 });
    const list = await call(sandbox, "GET", "/v4/locations", { token });
    expect(list.body.data.map((l: { name: string }) => l.name)).toEqual(["Sydney", "Burleigh Heads", "Byron Bay"]);
    expect(list.body.metadata.totalItems).toBe(3);
    expect(sandbox.fixture.locations.find((l) => l.uid === cs.locations.newcastle)?.deleted).toBe(true);
  });

  it("expireAllTokens expires the tokens issued so far, not later ones", async () => {
    sandbox = await startSandbox();
    const before = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect(sandbox.setFaults({ expireAllTokens: true }).expireAllTokens).toBe(false);
    expect(await call(sandbox, "GET", "/v4/locations", { token: before })).toMatchObject({ status: 401, body: { code: "unauthorized", message: "ID token expired" } });
    const after = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect((await call(sandbox, "GET", "/v4/locations", { token: after })).status).toBe(200);
  });

  it("resetFaults returns to the options' baseline", async () => {
    sandbox = await startSandbox({ rotateRefreshTokens: true });
    sandbox.setFaults({ errorRate: 1, rotateRefreshTokens: false, deletedLocations: [cs.locations.sydney] });
    const reset = sandbox.resetFaults();
    expect(reset).toMatchObject({ errorRate: 0, rotateRefreshTokens: true, deletedLocations: [], rateLimit: false });
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    expect((await call(sandbox, "GET", `/v4/locations/${cs.locations.sydney}`, { token })).status).toBe(200);
  });
});

describe("the ownership switches", () => {
  it("default to the worst case for isolation", () => {
    expect(noFaults).toMatchObject({ contactLocationsPatch: "replace", cursorIgnoresFilters: true, listFilters: "honoured", foreignResourceIds: "allowed" });
  });

  it.each([
    [{ contactLocationsPatch: "append" }, "faults.contactLocationsPatch must be replace or merge"],
    [{ cursorIgnoresFilters: "yes" }, "faults.cursorIgnoresFilters must be a boolean"],
    [{ listFilters: "partly" }, "faults.listFilters must be honoured or ignored"],
    [{ foreignResourceIds: "sometimes" }, "faults.foreignResourceIds must be allowed or rejected"],
  ])("refuses %j", (raw, message) => {
    expect(() => validateFaults(raw)).toThrow(new InvalidFaultsError(message));
  });

  it("merge one at a time, and start-up options set the baseline resetFaults() returns to", async () => {
    const merged = mergeFaults(noFaults, { listFilters: "ignored", cursorIgnoresFilters: false });
    expect(merged).toMatchObject({ listFilters: "ignored", cursorIgnoresFilters: false, contactLocationsPatch: "replace", foreignResourceIds: "allowed" });
    const sandbox = await startSandbox({ faults: { foreignResourceIds: "rejected" } });
    try {
      sandbox.setFaults({ foreignResourceIds: "allowed", contactLocationsPatch: "merge" });
      expect(sandbox.resetFaults()).toMatchObject({ foreignResourceIds: "rejected", contactLocationsPatch: "replace" });
      expect((await call(sandbox, "GET", "/_sandbox/faults")).body).toMatchObject({ foreignResourceIds: "rejected", listFilters: "honoured", cursorIgnoresFilters: true });
    } finally {
      await sandbox.close();
    }
  });
});

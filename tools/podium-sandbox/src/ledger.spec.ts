import { afterEach, describe, expect, it } from "vitest";
import { call, sharedSandbox, startSandbox, tokenFor } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";
import { createLedger, type LedgerEntry } from "./ledger.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const draft = (path: string): Omit<LedgerEntry, "seq"> => ({ ts: "t", method: "GET", path, route: path, status: 200, locationUids: [], resources: [] });

describe("createLedger()", () => {
  it("numbers entries from 1 and returns those after a seq", () => {
    const ledger = createLedger(10);
    for (let i = 0; i < 5; i++) ledger.append(draft(`/p${i}`));
    expect(ledger.entries().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(ledger.entries(3).map((e) => e.path)).toEqual(["/p3", "/p4"]);
    expect(ledger.entries(5)).toEqual([]);
  });

  it("keeps only the newest entries when full", () => {
    const ledger = createLedger(3);
    for (let i = 1; i <= 7; i++) ledger.append(draft(`/p${i}`));
    expect(ledger.size).toBe(3);
    expect(ledger.entries().map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(ledger.entries(1).map((e) => e.seq)).toEqual([5, 6, 7]);
  });

  it("keeps counting seq after clear()", () => {
    const ledger = createLedger(3);
    ledger.append(draft("/a"));
    ledger.append(draft("/b"));
    expect(ledger.clear()).toBe(2);
    expect(ledger.entries()).toEqual([]);
    ledger.append(draft("/c"));
    expect(ledger.entries().map((e) => [e.seq, e.path])).toEqual([[3, "/c"]]);
    expect(ledger.lastSeq).toBe(3);
  });

  it("refuses a capacity below 1", () => {
    expect(() => createLedger(0)).toThrow(RangeError);
    expect(() => createLedger(10, 0)).toThrow(RangeError);
  });

  it("also keeps the resource accesses of its entries within a bound, dropping the oldest entries (never the newest)", () => {
    const access = { kind: "review", id: "r", access: "read", owners: [], organizationUid: "o" } as const;
    const withResources = (n: number): Omit<LedgerEntry, "seq"> => ({ ...draft(`/r${n}`), resources: Array.from({ length: n }, () => ({ ...access, owners: [] })) });
    const ledger = createLedger(100, 10);
    for (const n of [4, 4, 1, 3]) ledger.append(withResources(n));
    expect(ledger.entries().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(ledger.resourceCount).toBe(8);
    ledger.append(withResources(25));
    expect(ledger.entries().map((e) => e.seq)).toEqual([5]);
    expect(ledger.resourceCount).toBe(25);
    expect(ledger.entries(3).map((e) => e.seq)).toEqual([5]);
    expect(ledger.clear()).toBe(1);
    expect([ledger.size, ledger.resourceCount]).toEqual([0, 0]);
    ledger.append(draft("/after"));
    expect(ledger.entries().map((e) => e.seq)).toEqual([6]);
  });
});

describe("Sandbox.ledger()", () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox?.close());

  it("records the grant, token, client, named locations, request id and version of each request", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.sydneyGrant.grantId);
    const since = sandbox.ledger().at(-1)?.seq ?? 0;
    await call(sandbox, "POST", "/v4/messages", {
      token,
      headers: { "x-request-id": "req-42", "podium-version": "2021.04.01" },
      body: { body: "hi", channel: { identifier: "+61400000000", type: "phone" }, locationUid: cs.locations.sydney },
    });
    await call(sandbox, "GET", `/v4/conversations?locationUid=${cs.locations.burleighHeads}&cursor=x`, { token, headers: { "x-request-id": "req-43" } });
    const [sent, refused] = sandbox.ledger(since);
    expect(sent).toEqual({
      seq: since + 1,
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      method: "POST",
      path: "/v4/messages",
      route: "/v4/messages",
      status: 200,
      grantId: cs.sydneyGrant.grantId,
      accessTokenId: expect.stringMatching(/^at-\d+$/),
      clientId: cs.app.clientId,
      locationUids: [cs.locations.sydney],
      resources: [
        { kind: "conversation", id: expect.any(String), access: "create", owners: [cs.locations.sydney], organizationUid: cs.organizationUid },
        { kind: "message", id: expect.any(String), access: "create", owners: [cs.locations.sydney], organizationUid: cs.organizationUid },
      ],
      requestId: "req-42",
      podiumVersion: "2021.04.01",
    });
    expect(refused).toMatchObject({ path: "/v4/conversations", status: 403, locationUids: [cs.locations.burleighHeads], requestId: "req-43", errorCode: "unauthorized", grantId: cs.sydneyGrant.grantId });
  });

  it("records every location a request names in path, query and body, valid or not", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
    await call(sandbox, "PATCH", `/v4/locations/${cs.locations.sydney}?locationUid=${cs.locations.newcastle}`, { token, body: { locationUids: [ha.locations.geelong], locations: [{ uid: cs.locations.byronBay }] } });
    expect(sandbox.ledger().at(-1)?.locationUids).toEqual([cs.locations.sydney, cs.locations.newcastle, ha.locations.geelong, cs.locations.byronBay]);
  });

  it("records /oauth/token with the refresh token's grant and the issued token id, never the secrets", async () => {
    sandbox = await startSandbox();
    await tokenFor(sandbox, ha.ownerGrant.grantId);
    await call(sandbox, "POST", "/oauth/token", { body: { grant_type: "refresh_token", refresh_token: ha.ownerGrant.refreshToken, client_id: ha.app.clientId, client_secret: "wrong" } });
    const [ok, bad] = sandbox.ledger();
    expect(ok).toMatchObject({ method: "POST", route: "/oauth/token", status: 200, grantId: ha.ownerGrant.grantId, clientId: ha.app.clientId, accessTokenId: expect.any(String), locationUids: [] });
    expect(bad).toMatchObject({ status: 401, grantId: ha.ownerGrant.grantId, errorCode: "invalid_client" });
    const text = JSON.stringify(sandbox.ledger());
    expect(text).not.toContain(ha.ownerGrant.refreshToken);
    expect(text).not.toContain(ha.app.clientSecret);
    expect(text).not.toContain("sbx-at-");
  });

  it("records unauthenticated and unrouted requests without a grant", async () => {
    sandbox = await startSandbox();
    await call(sandbox, "GET", "/v4/locations");
    await call(sandbox, "GET", "/v4/nowhere?locationUid=abc");
    expect(sandbox.ledger()).toMatchObject([
      { route: "/v4/locations", status: 401, errorCode: "unauthenticated", locationUids: [] },
      { route: "/v4/nowhere", status: 404, errorCode: "route_not_found", locationUids: ["abc"] },
    ]);
    expect(sandbox.ledger()[0]).not.toHaveProperty("grantId");
  });

  it("proves that a grant's requests stayed within its locations", async () => {
    sandbox = await startSandbox();
    const token = await tokenFor(sandbox, cs.sydneyGrant.grantId);
    await call(sandbox, "POST", "/v4/reviews/invites", { token, body: { locationUid: cs.locations.sydney } });
    await call(sandbox, "POST", "/v4/reviews/invites", { token, body: { locationUid: cs.locations.newcastle } });
    const reach = new Set(sandbox.fixture.grants.find((g) => g.grantId === cs.sydneyGrant.grantId)?.locations.map((l) => l.uid));
    const crossed = sandbox.ledger().filter((e) => e.grantId === cs.sydneyGrant.grantId && e.locationUids.some((uid) => !reach.has(uid)));
    expect(crossed).toMatchObject([{ status: 403, locationUids: [cs.locations.newcastle] }]);
  });

  it("keeps at most ledgerCapacity entries", async () => {
    sandbox = await startSandbox({ ledgerCapacity: 2 });
    for (let i = 0; i < 4; i++) await call(sandbox, "GET", "/v4/locations");
    expect(sandbox.ledger().map((e) => e.seq)).toEqual([3, 4]);
  });
});

describe("Sandbox.settleRequests()", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
  });

  it("resolves once a client that went away had each request it sent answered and in the ledger", async () => {
    sandbox = await startSandbox({ faults: { latencyMs: 150 } });
    const { request } = await import("node:http");
    // A client that sends a token request and is gone before the answer (its socket destroyed at once).
    const req = request(`${sandbox.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } });
    req.on("error", () => undefined);
    req.end("grant_type=refresh_token&refresh_token=nope");
    // Gone once the sandbox has the request, while its 150 ms latency holds the answer back.
    while (sandbox.stats().requests === 0) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    expect(await sandbox.settleRequests(10_000)).toBe(true);
    expect(sandbox.ledger().map((e) => [e.route, e.status])).toEqual([["/oauth/token", 400]]);
  });

  it("answers false while a connection stays open past the timeout", async () => {
    sandbox = await startSandbox();
    const { connect } = await import("node:net");
    const socket = connect(sandbox.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    try {
      expect(await sandbox.settleRequests(50)).toBe(false);
    } finally {
      socket.destroy();
    }
    expect(await sandbox.settleRequests(10_000)).toBe(true);
  });
});

describe("LedgerEntry.resources", () => {
  const t = sharedSandbox({ ledgerCapacity: 50 });
  const S = cs.locations.sydney;

  it("records the locations a list returns, a location PATCH as its update, and the organization as organization-level", async () => {
    await call(t.sandbox, "GET", "/v4/locations?limit=2", { token: t.owner });
    expect(t.last()?.resources).toEqual([
      { kind: "location", id: S, access: "read", owners: [S], organizationUid: cs.organizationUid },
      { kind: "location", id: cs.locations.burleighHeads, access: "read", owners: [cs.locations.burleighHeads], organizationUid: cs.organizationUid },
    ]);
    await call(t.sandbox, "PATCH", `/v4/locations/${S}`, { token: t.owner, body: { displayName: "Sydney CBD" } });
    expect(t.last()?.resources).toEqual([{ kind: "location", id: S, access: "update", owners: [S], organizationUid: cs.organizationUid }]);
    await call(t.sandbox, "GET", `/v4/organizations/${cs.organizationUid}`, { token: t.owner });
    expect(t.last()?.resources).toEqual([{ kind: "organization", id: cs.organizationUid, access: "read", owners: [], organizationUid: cs.organizationUid }]);
  });

  it("records nothing for an error answer or an OAuth request", async () => {
    await call(t.sandbox, "PATCH", `/v4/contacts/${defaultResourceIds.coastalSmiles.contacts.sydney.email}`, { token: t.owner, body: { name: 5 } });
    expect(t.last()).toMatchObject({ status: 400, resources: [] });
    await call(t.sandbox, "PATCH", `/v4/locations/${S}`, { token: t.owner, body: { name: "New", displayName: 7 } });
    expect(t.last()).toMatchObject({ status: 400, resources: [] });
    expect((await call(t.sandbox, "GET", `/v4/locations/${S}`, { token: t.owner })).body.data.name).toBe("Sydney");
    await tokenFor(t.sandbox, cs.sydneyGrant.grantId);
    expect(t.last()).toMatchObject({ route: "/oauth/token", resources: [] });
  });

  it("serves resources over GET /_sandbox/ledger, and stays a bounded ring", async () => {
    for (let i = 0; i < 60; i++) await call(t.sandbox, "GET", "/v4/reviews?limit=100", { token: t.owner });
    const entries = t.sandbox.ledger();
    expect(entries).toHaveLength(50);
    expect(entries.at(-1)?.resources).toHaveLength(5);
    const over = await call(t.sandbox, "GET", `/_sandbox/ledger?since=${(entries.at(-1)?.seq ?? 1) - 1}`);
    expect(over.body.entries[0].resources[0]).toEqual({ kind: "review", id: expect.any(String), access: "read", owners: expect.any(Array), organizationUid: cs.organizationUid });
  });
});

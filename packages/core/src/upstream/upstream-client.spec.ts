import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { createSandbox, defaultFixtureIds } from "@podium-router/podium-sandbox";
import type { Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createUpstreamClient } from "./upstream-client.js";
import type { UpstreamClient } from "./upstream-client.js";
import type { UpstreamClientOptions } from "./upstream-options.js";

const ids = defaultFixtureIds.coastalSmiles;
const PODIUM_VERSION = "2021.04.01";

function clientOptions(baseUrl: string, over: Partial<UpstreamClientOptions> = {}): UpstreamClientOptions {
  return {
    baseUrl,
    podiumVersion: PODIUM_VERSION,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    connections: 8,
    keepAliveTimeoutMs: 5_000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...over,
  };
}

describe("createUpstreamClient()", () => {
  let sandbox: Sandbox;
  let token: string;
  const clients: UpstreamClient[] = [];
  let n = 0;
  /** A fresh request id per call, so ledger entries are told apart. */
  const rid = (): string => `req-${++n}-${Math.random().toString(36).slice(2)}`;
  const client = (over: Partial<UpstreamClientOptions> = {}): UpstreamClient => {
    const c = createUpstreamClient(clientOptions(sandbox.url, over));
    clients.push(c);
    return c;
  };
  const entriesFor = (requestId: string) => sandbox.ledger().filter((e) => e.requestId === requestId);

  beforeAll(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    token = sandbox.issueAccessToken(ids.ownerGrant.grantId).accessToken;
  });
  afterEach(async () => {
    sandbox.resetFaults();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => sandbox.close());

  it("sends the bearer token, the pinned podium-version and the X-Request-ID", async () => {
    const requestId = rid();
    const res = await client().request({ method: "GET", path: "/v4/locations?limit=2", accessToken: token, requestId });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(1);
    expect(JSON.parse(res.body).data).toHaveLength(2);
    const [entry] = entriesFor(requestId);
    expect(entry).toMatchObject({ method: "GET", route: "/v4/locations", status: 200, podiumVersion: PODIUM_VERSION, grantId: ids.ownerGrant.grantId });
  });

  it("returns only the safe subset of response headers", async () => {
    sandbox.setFaults({ rateLimit: { perMinute: 1000, headers: true } });
    const res = await client().request({ method: "GET", path: "/v4/locations", accessToken: token, requestId: rid() });
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(Object.keys(res.headers).some((h) => h.startsWith("x-ratelimit-"))).toBe(true);
    for (const name of Object.keys(res.headers)) expect(name).toMatch(/^(content-type|retry-after|x-ratelimit-.*)$/);
  });

  it("sends a JSON body with its content-type", async () => {
    const requestId = rid();
    const body = JSON.stringify({ name: "Ada", phoneNumber: "+61400000001", locations: [ids.locations.sydney] });
    const res = await client().request({ method: "POST", path: "/v4/contacts", body, accessToken: token, requestId });
    expect(res.status).toBe(202);
    expect(entriesFor(requestId)[0]?.locationUids).toEqual([ids.locations.sydney]);
  });

  it("passes a 4xx through without retrying it", async () => {
    const requestId = rid();
    const res = await client().request({ method: "GET", path: "/v4/locations/00000000-0000-4000-8000-00000000dead", accessToken: token, requestId });
    expect(res.status).toBe(404);
    expect(entriesFor(requestId)).toHaveLength(1);
  });

  it("retries a GET after a 500 and answers once Podium recovers", async () => {
    sandbox.setFaults({ errorRate: 1 });
    // The jitter source runs between attempts: the place to let the sandbox recover deterministically.
    const c = client({ random: () => (sandbox.setFaults({ errorRate: 0 }), 0.5) });
    const requestId = rid();
    const res = await c.request({ method: "GET", path: "/v4/locations", accessToken: token, requestId });
    expect(res).toMatchObject({ status: 200, attempts: 2 });
    expect(entriesFor(requestId).map((e) => e.status)).toEqual([500, 200]);
  });

  it("retries a GET after a connection reset", async () => {
    sandbox.setFaults({ resetRate: 1 });
    const c = client({ random: () => (sandbox.setFaults({ resetRate: 0 }), 0.5) });
    const requestId = rid();
    const res = await c.request({ method: "GET", path: "/v4/locations", accessToken: token, requestId });
    expect(res).toMatchObject({ status: 200, attempts: 2 });
    expect(entriesFor(requestId).map((e) => e.status)).toEqual([0, 200]);
  });

  it("gives UpstreamUnavailableError with the status once a GET's retries are spent", async () => {
    sandbox.setFaults({ errorRate: 1 });
    const requestId = rid();
    const err = await client().request({ method: "GET", path: "/v4/locations", accessToken: token, requestId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE", requestId, upstreamStatus: 500 });
    expect(entriesFor(requestId)).toHaveLength(3);
  });

  it.each([
    ["a 500", { errorRate: 1 }, 500],
    ["a connection reset", { resetRate: 1 }, undefined],
  ])("never replays a POST after %s", async (_what, faults, upstreamStatus) => {
    sandbox.setFaults(faults);
    const requestId = rid();
    const body = JSON.stringify({ name: "Bo", phoneNumber: "+61400000002", locations: [ids.locations.sydney] });
    const err = await client({ retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 } })
      .request({ method: "POST", path: "/v4/contacts", body, accessToken: token, requestId })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE", requestId, upstreamStatus });
    expect((err as Error).message).toContain("POST is never replayed");
    expect(entriesFor(requestId).filter((e) => e.method === "POST")).toHaveLength(1);
  });

  it("gives DeadlineExceededError when the deadline passes before Podium answers", async () => {
    sandbox.setFaults({ latencyMs: 1_000 });
    const requestId = rid();
    const err = await client()
      .request({ method: "GET", path: "/v4/locations", accessToken: token, requestId, deadline: Date.now() + 100 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED", requestId });
    // The sandbox was still holding its answer: the call did not wait for it.
    expect(entriesFor(requestId)).toHaveLength(0);
  });

  it("stops retrying at the deadline rather than sleeping past it", async () => {
    sandbox.setFaults({ errorRate: 1 });
    const requestId = rid();
    const c = client({ retry: { maxAttempts: 100, baseDelayMs: 150, maxDelayMs: 150 }, random: () => 0.999 });
    const err = await c.request({ method: "GET", path: "/v4/locations", accessToken: token, requestId, deadline: Date.now() + 1_000 }).catch((e: unknown) => e);
    // On a loaded machine the deadline can also fall during an attempt rather than between two;
    // either way the client stops at the deadline instead of running through its 100 attempts.
    const code = (err as { code?: string }).code;
    expect(["ERR_LOC_UPSTREAM_UNAVAILABLE", "ERR_LOC_DEADLINE_EXCEEDED"]).toContain(code);
    if (code === "ERR_LOC_UPSTREAM_UNAVAILABLE") expect((err as Error).message).toContain("retries stopped at the deadline");
    const attempts = entriesFor(requestId).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(100);
  });

  it("gives DeadlineExceededError when the caller's signal aborts", async () => {
    sandbox.setFaults({ latencyMs: 1_000 });
    const controller = new AbortController();
    const pending = client().request({ method: "GET", path: "/v4/locations", accessToken: token, requestId: rid(), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED" });
  });

  it("refuses at once when the deadline has already passed", async () => {
    const requestId = rid();
    await expect(client().request({ method: "GET", path: "/v4/locations", accessToken: token, requestId, deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: "ERR_LOC_DEADLINE_EXCEEDED",
    });
    expect(entriesFor(requestId)).toHaveLength(0);
  });

  it("retries a refused connection, then reports it without the token", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = probe.address() as AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const c = createUpstreamClient(clientOptions(`http://127.0.0.1:${port}`));
    clients.push(c);
    const err = await c.request({ method: "GET", path: "/v4/locations", accessToken: "sbx-at-SECRET", requestId: "req-refused" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE", requestId: "req-refused" });
    expect((err as Error).message).toMatch(/refused.*after 3 attempts/);
    expect(JSON.stringify(err)).not.toContain("SECRET");
    expect((err as Error).message).not.toContain("SECRET");
  });

  it("refuses calls after close() without opening a new pool", async () => {
    const c = createUpstreamClient(clientOptions(`${sandbox.url}/`));
    expect((await c.request({ method: "GET", path: "/v4/locations", accessToken: token, requestId: rid() })).status).toBe(200);
    await c.close();
    await expect(c.request({ method: "GET", path: "/v4/locations", accessToken: token, requestId: rid() })).rejects.toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE" });
    await expect(c.postToken({}, { tokenUrl: `${sandbox.url}/oauth/token` })).rejects.toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE" });
  });

  it("posts a token request as JSON and returns the parsed answer", async () => {
    const grant = sandbox.fixture.grants.find((g) => g.grantId === ids.ownerGrant.grantId);
    if (grant === undefined) throw new Error("fixture lacks the owner grant");
    const { status, json } = await client().postToken(
      { grant_type: "refresh_token", refresh_token: grant.refreshToken, client_id: grant.clientId, client_secret: grant.clientSecret },
      { tokenUrl: `${sandbox.url}/oauth/token`, requestId: "req-token" },
    );
    expect(status).toBe(200);
    expect(json).toMatchObject({ access_token: expect.any(String), expires_in: expect.any(Number) });
    expect(sandbox.ledger().find((e) => e.requestId === "req-token")).toMatchObject({ route: "/oauth/token", status: 200 });
  });
});

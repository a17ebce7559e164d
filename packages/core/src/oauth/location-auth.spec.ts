import { createSandbox, defaultFixtureIds } from "@podium-router/podium-sandbox";
import type { AddedGrant, Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CredentialError } from "@podium-router/errors";
import { createLocationAuth, withAuthRetry } from "./location-auth.js";
import type { LocationAuth, LocationAuthOptions } from "./location-auth.js";
import { createUpstreamClient } from "../upstream/upstream-client.js";
import type { TokenRequestOptions, UpstreamClient } from "../upstream/upstream-client.js";

/** A scripted token endpoint: each call takes the next answer and records what it was sent. */
function tokenEndpoint(answers: Array<{ status: number; json: unknown } | (() => Promise<{ status: number; json: unknown }>)>) {
  const sent: Array<{ body: Record<string, string>; opts: TokenRequestOptions }> = [];
  return {
    sent,
    async postToken(body: Record<string, string>, opts: TokenRequestOptions) {
      sent.push({ body, opts });
      const next = answers.shift();
      if (next === undefined) throw new Error("unexpected token request");
      return typeof next === "function" ? next() : next;
    },
  };
}

const ok = (access: string, extra: Record<string, unknown> = {}) => ({ status: 200, json: { access_token: access, expires_in: 3600, ...extra } });

function options(upstream: LocationAuthOptions["upstream"], over: Partial<LocationAuthOptions> = {}): LocationAuthOptions {
  let stored = "rt-0";
  return {
    locationUid: "loc-1",
    tokenUrl: "http://podium.invalid/oauth/token",
    clientId: "client-1",
    clientSecret: "secret-1",
    readRefreshToken: async () => stored,
    writeRefreshToken: async (t) => {
      stored = t;
    },
    expiryMarginMs: 60_000,
    upstream,
    ...over,
  };
}

describe("createLocationAuth()", () => {
  it("sends the refresh grant as JSON fields and caches the token until the margin", async () => {
    let t = 0;
    const endpoint = tokenEndpoint([ok("at-1"), ok("at-2")]);
    const auth = createLocationAuth(options(endpoint, { now: () => t }));
    expect(auth.state()).toEqual({ authState: "no_token" });
    expect(await auth.getAccessToken()).toBe("at-1");
    expect(endpoint.sent[0]?.body).toEqual({ grant_type: "refresh_token", refresh_token: "rt-0", client_id: "client-1", client_secret: "secret-1" });
    expect(endpoint.sent[0]?.opts.tokenUrl).toBe("http://podium.invalid/oauth/token");
    t = 3_600_000 - 60_001;
    expect(await auth.getAccessToken()).toBe("at-1");
    expect(auth.state()).toEqual({ authState: "valid", expiresAt: 3_600_000, lastRefresh: { at: 0, outcome: "ok" } });
    t = 3_600_000 - 60_000;
    expect(auth.state().authState).toBe("expired");
    expect(await auth.getAccessToken()).toBe("at-2");
    expect(endpoint.sent).toHaveLength(2);
  });

  it("caps the margin at half a short token's lifetime, so the token is still reused", async () => {
    let t = 0;
    const endpoint = tokenEndpoint([ok("short", { expires_in: 10 })]);
    const auth = createLocationAuth(options(endpoint, { now: () => t }));
    await auth.getAccessToken();
    t = 4_999;
    expect(await auth.getAccessToken()).toBe("short");
    expect(endpoint.sent).toHaveLength(1);
  });

  it("drops a token on invalidate only while it is still the cached one", async () => {
    const endpoint = tokenEndpoint([ok("at-1"), ok("at-2")]);
    const auth = createLocationAuth(options(endpoint));
    await auth.getAccessToken();
    auth.invalidate("some-older-token");
    expect(await auth.getAccessToken()).toBe("at-1");
    auth.invalidate("at-1");
    expect(await auth.getAccessToken()).toBe("at-2");
  });

  it("keeps a rotated token it could not store and presents it on the next refresh", async () => {
    const endpoint = tokenEndpoint([ok("at-1", { refresh_token: "rt-1" }), ok("at-2", { refresh_token: "rt-2" })]);
    const writes: string[] = [];
    let failWrite = true;
    const auth = createLocationAuth(
      options(endpoint, {
        writeRefreshToken: async (token) => {
          if (failWrite) throw new Error("disk full");
          writes.push(token);
        },
      }),
    );
    const err = await auth.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialError);
    expect(String((err as Error).message)).not.toContain("rt-1");
    failWrite = false;
    expect(await auth.getAccessToken()).toBe("at-2");
    expect(endpoint.sent[1]?.body.refresh_token).toBe("rt-1");
    expect(writes).toEqual(["rt-2"]);
  });

  it("refuses fast, without asking Podium, while the store still holds a refused refresh token", async () => {
    let stored = "rt-revoked";
    const endpoint = tokenEndpoint([{ status: 400, json: { error: "invalid_grant" } }, ok("at-new")]);
    const auth = createLocationAuth(options(endpoint, { readRefreshToken: async () => stored }));
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_AUTH", upstreamStatus: 400 });
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_AUTH" });
    expect(endpoint.sent).toHaveLength(1);
    expect(auth.state()).toEqual({ authState: "failed", lastRefresh: { at: expect.any(Number), outcome: "failed", errorCode: "ERR_LOC_AUTH" } });
    stored = "rt-reauthorized"; // the operator stored a fresh one
    expect(await auth.getAccessToken()).toBe("at-new");
    expect(auth.state().authState).toBe("valid");
  });

  it("reports a token endpoint 5xx as unavailable, not as an auth failure", async () => {
    const endpoint = tokenEndpoint([{ status: 503, json: undefined }, ok("at-1")]);
    const auth = createLocationAuth(options(endpoint));
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE", upstreamStatus: 503 });
    expect(auth.state().authState).not.toBe("failed");
    expect(await auth.getAccessToken()).toBe("at-1");
  });

  it("lets a caller give up at its deadline while the refresh finishes for the others", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const endpoint = tokenEndpoint([async () => (await gate, ok("at-1"))]);
    const auth = createLocationAuth(options(endpoint));
    const patient = auth.getAccessToken();
    await expect(auth.getAccessToken({ deadline: Date.now() + 20 })).rejects.toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED", locationUid: "loc-1" });
    release();
    expect(await patient).toBe("at-1");
    expect(endpoint.sent).toHaveLength(1);
  });

  it("counts refresh outcomes through onRefresh", async () => {
    const outcomes: string[] = [];
    const endpoint = tokenEndpoint([{ status: 401, json: { error: "invalid_client" } }]);
    const auth = createLocationAuth(options(endpoint, { onRefresh: (o) => outcomes.push(o) }));
    await expect(auth.getAccessToken()).rejects.toThrow(/invalid_client/);
    expect(outcomes).toEqual(["failed"]);
  });
});

describe("withAuthRetry()", () => {
  it("refreshes once and retries once after a 401", async () => {
    const endpoint = tokenEndpoint([ok("stale"), ok("fresh")]);
    const auth = createLocationAuth(options(endpoint));
    const seen: string[] = [];
    const res = await withAuthRetry(auth, async (token) => {
      seen.push(token);
      return { status: token === "stale" ? 401 : 200 };
    });
    expect(res.status).toBe(200);
    expect(seen).toEqual(["stale", "fresh"]);
  });

  it("throws LocationAuthError on a second 401 and sends no third time", async () => {
    const endpoint = tokenEndpoint([ok("t1"), ok("t2")]);
    const auth = createLocationAuth(options(endpoint));
    let sends = 0;
    const err = await withAuthRetry(
      auth,
      async () => {
        sends++;
        return { status: 401 };
      },
      { requestId: "req-9", locationUid: "loc-1" },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_AUTH", requestId: "req-9", locationUid: "loc-1", upstreamStatus: 401 });
    expect(sends).toBe(2);
    expect(endpoint.sent).toHaveLength(2);
  });

  it("passes any other status through untouched", async () => {
    const endpoint = tokenEndpoint([ok("t1")]);
    const auth = createLocationAuth(options(endpoint));
    await expect(withAuthRetry(auth, async () => ({ status: 403 }))).resolves.toEqual({ status: 403 });
    expect(endpoint.sent).toHaveLength(1);
  });
});

describe("createLocationAuth() against the sandbox", () => {
  const ids = defaultFixtureIds.coastalSmiles;
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

  /** A fresh grant (so refresh counts and rotation never leak between tests) and a store holding its token. */
  function freshGrant(): { grant: AddedGrant; store: { token: string; writes: string[] } } {
    const grant = sandbox.addGrant({ orgSlug: ids.slug, locations: ["Sydney"] });
    return { grant, store: { token: grant.refreshToken, writes: [] } };
  }

  function authFor(grant: AddedGrant, store: { token: string; writes: string[] }, over: Partial<LocationAuthOptions> = {}): LocationAuth {
    return createLocationAuth({
      locationUid: grant.locations[0]?.uid ?? "",
      tokenUrl: `${sandbox.url}/oauth/token`,
      clientId: grant.clientId,
      clientSecret: grant.clientSecret,
      readRefreshToken: async () => store.token,
      writeRefreshToken: async (t) => {
        store.writes.push(t);
        store.token = t;
      },
      expiryMarginMs: 60_000,
      upstream,
      ...over,
    });
  }

  const refreshes = (grantId: string): number => sandbox.stats().tokenRefreshes[grantId] ?? 0;
  const listLocations = (accessToken: string, requestId: string) => upstream.request({ method: "GET", path: "/v4/locations", accessToken, requestId });

  it("refreshes exactly once for 100 concurrent callers after expiry", async () => {
    let t = Date.now();
    const { grant, store } = freshGrant();
    const auth = authFor(grant, store, { now: () => t });
    const first = await auth.getAccessToken();
    t += 10 * 3_600_000; // past the sandbox's 10-hour lifetime
    expect(auth.state().authState).toBe("expired");
    const tokens = await Promise.all(Array.from({ length: 100 }, () => auth.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first);
    expect(refreshes(grant.grantId)).toBe(2);
    expect((await listLocations(tokens[0] as string, "req-after-expiry")).status).toBe(200);
  });

  it("stores a rotated refresh token before the new access token is used, and the old one is dead", async () => {
    sandbox.setFaults({ rotateRefreshTokens: true });
    const { grant, store } = freshGrant();
    const original = store.token;
    const events: string[] = [];
    const auth = authFor(grant, store, {
      writeRefreshToken: async (t) => {
        events.push("write started");
        await new Promise((r) => setTimeout(r, 30)); // a slow disk must still come first
        store.token = t;
        store.writes.push(t);
        events.push("write finished");
      },
    });
    const token = await auth.getAccessToken();
    events.push("access token used");
    expect((await listLocations(token, "req-rotated")).status).toBe(200);
    expect(events).toEqual(["write started", "write finished", "access token used"]);
    expect(store.writes).toHaveLength(1);
    expect(store.token).not.toBe(original);
    const replay = await upstream.postToken(
      { grant_type: "refresh_token", refresh_token: original, client_id: grant.clientId, client_secret: grant.clientSecret },
      { tokenUrl: `${sandbox.url}/oauth/token` },
    );
    expect(replay).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    // The next refresh presents the stored (rotated) token and rotates again.
    auth.invalidate(token);
    await auth.getAccessToken();
    expect(store.writes).toHaveLength(2);
  });

  it("gives LocationAuthError for a revoked refresh token, naming no secret", async () => {
    const { grant, store } = freshGrant();
    sandbox.setFaults({ revokedGrants: [grant.grantId] });
    const auth = authFor(grant, store);
    const since = sandbox.ledger().at(-1)?.seq ?? 0;
    const err = await auth.getAccessToken().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_AUTH", upstreamStatus: 400, locationUid: grant.locations[0]?.uid });
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    expect(text).toMatch(/re-authorize/);
    expect(text).toContain("invalid_grant");
    expect(text).not.toContain(grant.refreshToken);
    expect(text).not.toContain(grant.clientSecret);
    expect(auth.state()).toEqual({ authState: "failed", lastRefresh: { at: expect.any(Number), outcome: "failed", errorCode: "ERR_LOC_AUTH" } });
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_AUTH" });
    expect(sandbox.ledger(since).filter((e) => e.route === "/oauth/token")).toHaveLength(1);
  });

  it("gives LocationAuthError for an unknown client", async () => {
    const { grant, store } = freshGrant();
    const auth = authFor(grant, store, { clientSecret: "not-the-secret" });
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_AUTH", upstreamStatus: 401, message: expect.stringContaining("invalid_client") });
  });

  it("answers a 401 with one refresh and one retry", async () => {
    const { grant, store } = freshGrant();
    const auth = authFor(grant, store);
    await auth.getAccessToken();
    sandbox.setFaults({ expireAllTokens: true });
    const res = await withAuthRetry(auth, (token) => listLocations(token, "req-401-once"));
    expect(res.status).toBe(200);
    expect(sandbox.ledger().filter((e) => e.requestId === "req-401-once").map((e) => e.status)).toEqual([401, 200]);
    expect(refreshes(grant.grantId)).toBe(2);
  });

  it("stops after one retry when the fresh token gets a 401 too", async () => {
    sandbox.setFaults({ accessTokenTtlSeconds: 0 }); // every token Podium issues is already expired
    const { grant, store } = freshGrant();
    const auth = authFor(grant, store);
    const err = await withAuthRetry(auth, (token) => listLocations(token, "req-401-twice"), { requestId: "req-401-twice" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_AUTH", upstreamStatus: 401, requestId: "req-401-twice" });
    expect(sandbox.ledger().filter((e) => e.requestId === "req-401-twice").map((e) => e.status)).toEqual([401, 401]);
    expect(refreshes(grant.grantId)).toBe(2);
  });
});

import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { call, refreshGrant, startSandbox, type Answer } from "../test/harness.js";
import { defaultFixture, defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const refreshBody = (refreshToken: string, clientId: string = cs.app.clientId, clientSecret: string = cs.app.clientSecret): Record<string, string> => ({
  grant_type: "refresh_token",
  refresh_token: refreshToken,
  client_id: clientId,
  client_secret: clientSecret,
});

let sandbox: Sandbox;
afterEach(() => sandbox?.close());

const token = (body: unknown, headers?: Record<string, string>): Promise<Answer> => call(sandbox, "POST", "/oauth/token", { body, ...(headers === undefined ? {} : { headers }) });

describe("handleToken()", () => {
  it("answers a JSON refresh_token grant with a Bearer token for 36000 s and the grant's scopes", async () => {
    sandbox = await startSandbox();
    const answer = await token(refreshBody(cs.ownerGrant.refreshToken));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: "Bearer", expires_in: 36000, refresh_token: cs.ownerGrant.refreshToken });
    expect(answer.body.access_token).toEqual(expect.any(String));
    expect(answer.body.scope.split(" ")).toContain("write_contacts");
    const list = await call(sandbox, "GET", "/v4/locations", { token: answer.body.access_token });
    expect(list.status).toBe(200);
  });

  it("accepts a form-encoded body", async () => {
    sandbox = await startSandbox();
    const form = new URLSearchParams(refreshBody(ha.ownerGrant.refreshToken, ha.app.clientId, ha.app.clientSecret)).toString();
    const answer = await token(form, { "content-type": "application/x-www-form-urlencoded" });
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toBe(ha.ownerGrant.refreshToken);
  });

  it("ignores the Host header (accounts.podium.com and api.podium.com both work)", async () => {
    sandbox = await startSandbox();
    const body = JSON.stringify(refreshBody(cs.ownerGrant.refreshToken));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${sandbox.url}/oauth/token`, { method: "POST", headers: { host: "accounts.podium.com", "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(200);
  });

  it("refuses unknown clients and wrong secrets with 401 invalid_client", async () => {
    sandbox = await startSandbox();
    expect(await token(refreshBody(cs.ownerGrant.refreshToken, "nobody", "x"))).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    expect(await token(refreshBody(cs.ownerGrant.refreshToken, cs.app.clientId, "wrong"))).toMatchObject({ status: 401, body: { error: "invalid_client" } });
  });

  it("refuses unknown refresh tokens and another client's refresh token with 400 invalid_grant", async () => {
    sandbox = await startSandbox();
    expect(await token(refreshBody("sbx-rt-nope"))).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const foreign = await token(refreshBody(ha.ownerGrant.refreshToken));
    expect(foreign).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("refuses missing parameters and bad bodies with 400 invalid_request", async () => {
    sandbox = await startSandbox();
    expect(await token({ grant_type: "refresh_token", client_id: cs.app.clientId })).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await token({ refresh_token: "x" })).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await token("{not json")).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await token({ grant_type: "client_credentials" })).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
  });

  it("keeps the same refresh token valid when rotation is off (the default)", async () => {
    sandbox = await startSandbox();
    for (let i = 0; i < 3; i++) {
      const answer = await token(refreshBody(cs.sydneyGrant.refreshToken));
      expect(answer.status).toBe(200);
      expect(answer.body.refresh_token).toBe(cs.sydneyGrant.refreshToken);
    }
    expect(sandbox.stats().tokenRefreshes[cs.sydneyGrant.grantId]).toBe(3);
  });

  it("with rotation, issues a new refresh token and refuses the old one", async () => {
    sandbox = await startSandbox({ rotateRefreshTokens: true });
    const first = await token(refreshBody(cs.sydneyGrant.refreshToken));
    expect(first.status).toBe(200);
    const next = first.body.refresh_token as string;
    expect(next).not.toBe(cs.sydneyGrant.refreshToken);
    expect(await token(refreshBody(cs.sydneyGrant.refreshToken))).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const third = await token(refreshBody(next));
    expect(third.status).toBe(200);
    expect(sandbox.fixture.grants.find((g) => g.grantId === cs.sydneyGrant.grantId)?.refreshToken).toBe(third.body.refresh_token);
  });

  it("with rotation and a grace period, accepts the old refresh token until the grace ends", async () => {
    let now = 1_000_000;
    sandbox = await startSandbox({ now: () => now, faults: { rotateRefreshTokens: true, rotationGraceSeconds: 30 } });
    expect((await token(refreshBody(cs.sydneyGrant.refreshToken))).status).toBe(200);
    now += 10_000;
    expect((await token(refreshBody(cs.sydneyGrant.refreshToken))).status).toBe(200);
    now += 30_000;
    expect((await token(refreshBody(cs.sydneyGrant.refreshToken))).status).toBe(400);
  });

  it("uses faults.accessTokenTtlSeconds for expires_in", async () => {
    sandbox = await startSandbox({ accessTokenTtlSeconds: 120 });
    expect((await refreshGrant(sandbox, cs.ownerGrant.grantId)).body.expires_in).toBe(120);
    sandbox.setFaults({ accessTokenTtlSeconds: 5 });
    expect((await refreshGrant(sandbox, cs.ownerGrant.grantId)).body.expires_in).toBe(5);
  });
});

describe("handleAuthorize()", () => {
  const redirectUri = "https://app.example/callback";
  const authorizeQuery = (extra: Record<string, string> = {}): string =>
    `/oauth/authorize?${new URLSearchParams({ client_id: ha.app.clientId, redirect_uri: redirectUri, response_type: "code", scope: "read_locations write_messages", state: "xyz", ...extra })}`;
  const exchange = (code: string, uri = redirectUri, clientId: string = ha.app.clientId, secret: string = ha.app.clientSecret): Promise<Answer> =>
    token({ grant_type: "authorization_code", code, redirect_uri: uri, client_id: clientId, client_secret: secret });

  it("redirects with a code and the state, and the code exchanges once for the client's grant", async () => {
    sandbox = await startSandbox();
    const answer = await call(sandbox, "GET", authorizeQuery());
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get("state")).toBe("xyz");
    const code = location.searchParams.get("code") ?? "";
    const tokens = await exchange(code);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: "Bearer", expires_in: 36000 });
    const list = await call(sandbox, "GET", "/v4/locations", { token: tokens.body.access_token });
    expect(list.body.data.map((l: { uid: string }) => l.uid)).toEqual([ha.locations.fremantle, ha.locations.geelong]);
    expect((await call(sandbox, "POST", "/oauth/token", { body: { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token, client_id: ha.app.clientId, client_secret: ha.app.clientSecret } })).status).toBe(200);
    expect(await exchange(code)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("refuses a code presented with another redirect_uri or client", async () => {
    sandbox = await startSandbox();
    const code1 = sandbox.authorizeCode({ clientId: ha.app.clientId, redirectUri }).code ?? "";
    expect(await exchange(code1, "https://evil.example/cb")).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const code2 = sandbox.authorizeCode({ clientId: ha.app.clientId, redirectUri }).code ?? "";
    expect(await exchange(code2, redirectUri, cs.app.clientId, cs.app.clientSecret)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("refuses an expired code", async () => {
    let now = 5_000_000;
    sandbox = await startSandbox({ now: () => now });
    const code = sandbox.authorizeCode({ clientId: ha.app.clientId, redirectUri }).code ?? "";
    now += 61_000;
    expect(await exchange(code)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("lets login_hint choose the consenting user's grant", async () => {
    sandbox = await startSandbox();
    const result = sandbox.authorizeCode({ clientId: cs.app.clientId, redirectUri, loginHint: "sydney@coastal-smiles.example" });
    expect(result.grantId).toBe(cs.sydneyGrant.grantId);
    const tokens = await exchange(result.code ?? "", redirectUri, cs.app.clientId, cs.app.clientSecret);
    const list = await call(sandbox, "GET", "/v4/locations", { token: tokens.body.access_token });
    expect(list.body.data.map((l: { name: string }) => l.name)).toEqual(["Sydney"]);
  });

  it("uses the app's consentUser when no login_hint is sent", async () => {
    const fixture = structuredClone(defaultFixture);
    const app = fixture.apps.find((a) => a.clientId === cs.app.clientId);
    if (app !== undefined) app.consentUser = cs.users.sydneyFrontDesk;
    sandbox = await startSandbox({ fixture });
    expect(sandbox.authorizeCode({ clientId: cs.app.clientId, redirectUri }).grantId).toBe(cs.sydneyGrant.grantId);
    expect(sandbox.authorizeCode({ clientId: cs.app.clientId, redirectUri, loginHint: "owner@coastal-smiles.example" }).grantId).toBe(cs.ownerGrant.grantId);
  });

  it("creates a grant when the hinted user has none for this app, with the requested scopes", async () => {
    sandbox = await startSandbox();
    const answer = await call(sandbox, "GET", authorizeQuery({ login_hint: "owner@coastal-smiles.example", scope: "read_locations" }));
    const code = new URL(answer.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const tokens = await exchange(code);
    expect(tokens.body.scope).toBe("read_locations");
    const list = await call(sandbox, "GET", "/v4/locations?limit=100", { token: tokens.body.access_token });
    expect(list.body.data.map((l: { name: string }) => l.name)).toEqual(["Sydney", "Burleigh Heads", "Newcastle", "Byron Bay"]);
    expect(sandbox.fixture.grants.some((g) => g.clientId === ha.app.clientId && g.userUid === cs.users.owner)).toBe(true);
  });

  it("redirects errors for bad response_type, unknown scopes and unknown users; answers 400 for unknown clients", async () => {
    sandbox = await startSandbox();
    const errorOf = async (extra: Record<string, string>): Promise<string | null> =>
      new URL((await call(sandbox, "GET", authorizeQuery(extra))).headers.get("location") ?? "").searchParams.get("error");
    expect(await errorOf({ response_type: "token" })).toBe("unsupported_response_type");
    expect(await errorOf({ scope: "contacts.read" })).toBe("invalid_scope");
    expect(await errorOf({ login_hint: "ghost@nowhere.example" })).toBe("access_denied");
    expect(await call(sandbox, "GET", authorizeQuery({ client_id: "nobody" }))).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await call(sandbox, "GET", authorizeQuery({ redirect_uri: "not a url" }))).toMatchObject({ status: 400 });
  });
});

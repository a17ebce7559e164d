import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createRouterClient, isCoreError, OnboardingOutcome, type RouterClient } from "@podium-router/client";
import { createLocationRouter, validateSettings, type LocationRouterHandle } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { hashApiKey } from "./caller-auth.js";
import { createRouterServer, type RouterServer } from "./router-server.js";
import { createServerLogger } from "./server-logger.js";
import { validateServerSettings } from "./server-settings.js";

// The real core behind the real server, consenting at the real sandbox's /oauth/authorize.
const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;
const NEWCASTLE = cs.locations.newcastle;
const OPS_KEY = "pr_consent_ops_51c0e7aa";
const SYDNEY_KEY = "pr_consent_sydney_9d24b6f3";
const refs = { orgSlug: cs.slug, oauthApp: "coastal-smiles" };

/** The code a client call failed with, and its message. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isCoreError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected the call to fail");
}

/** What the browser does at Podium: request the authorize URL and read where the 302 sends it. */
async function consentAt(authorizeUrl: string): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location") ?? "";
}

describe("onboarding by consent through GET /oauth/callback", () => {
  let sandbox: Sandbox;
  let dir: string;
  let router: LocationRouterHandle;
  let server: RouterServer;
  let url: string;
  let ops: RouterClient;
  let sydneyApp: RouterClient;
  let logText = "";

  beforeAll(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    dir = await mkdtemp(join(tmpdir(), "oauth-callback-"));
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
      onboarding: { refresh_token_dir: join(dir, "tokens") },
      oauth_apps: { "coastal-smiles": { client_id_ref: "env:CS_ID", client_secret_ref: "env:CS_SECRET" } },
    });
    router = await createLocationRouter({ settings, env: { CS_ID: cs.app.clientId, CS_SECRET: cs.app.clientSecret } });
    const logger = createServerLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logText += chunk.toString("utf8");
          cb();
        },
      }),
    });
    const serverSettings = validateServerSettings({
      port: 0,
      api_keys: [
        { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] },
        { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_KEY), locations: [SYDNEY], rpcs: ["BeginAuthorization", "AwaitAuthorization", "Call"], oauth_apps: ["coastal-smiles"] },
      ],
    });
    server = createRouterServer({ router, settings: serverSettings, logger });
    url = (await server.listen()).url;
    ops = createRouterClient({ baseUrl: url, apiKey: OPS_KEY, protocol: "grpc" });
    sydneyApp = createRouterClient({ baseUrl: url, apiKey: SYDNEY_KEY, protocol: "connect" });
  });

  afterAll(async () => {
    await ops?.close();
    await sydneyApp?.close();
    await server?.close();
    await sandbox?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("onboards the location when Podium redirects back, then refuses the same callback again", async () => {
    const begun = await sydneyApp.beginAuthorization({ locationUid: SYDNEY, ...refs });
    expect(begun.redirectUri).toBe(`${url}/oauth/callback`);
    expect(new URL(begun.authorizeUrl).searchParams.get("redirect_uri")).toBe(begun.redirectUri);
    const waiting = sydneyApp.awaitAuthorization({ state: begun.state }, { timeoutMs: 20_000 });

    const callbackUrl = await consentAt(begun.authorizeUrl);
    expect(callbackUrl.startsWith(`${url}/oauth/callback?`)).toBe(true);
    const page = await fetch(callbackUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await page.text()).toContain(`Location ${SYDNEY} onboarded — you can close this tab.`);

    const result = await waiting;
    expect(result).toMatchObject({ locationUid: SYDNEY, outcome: OnboardingOutcome.ONBOARDED, errorCode: "" });
    expect((await sydneyApp.call({ locationUid: SYDNEY, method: "GET", path: `/v4/locations/${SYDNEY}` })).status).toBe(200);
    expect((await ops.listLocations()).locations.map((l) => l.locationUid)).toContain(SYDNEY);

    const replay = await fetch(callbackUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/already used.*ERR_LOC_BAD_REQUEST/);
    expect(await readdir(join(dir, "tokens"))).toHaveLength(1);
    // Neither the code nor the state reaches the log.
    const query = new URL(callbackUrl).searchParams;
    expect(logText).toContain("OAuth callback completed");
    expect(logText).not.toContain(query.get("code") ?? "<none>");
    expect(logText).not.toContain(begun.state);
  });

  it("refuses an expired state: AwaitAuthorization fails and the late callback changes nothing", async () => {
    const begun = await ops.beginAuthorization({ locationUid: BURLEIGH, ...refs, ttlSeconds: 1 });
    const callbackUrl = await consentAt(begun.authorizeUrl);
    expect(await failure(ops.awaitAuthorization({ state: begun.state }, { timeoutMs: 20_000 }))).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*the authorization expired/);
    const late = await fetch(callbackUrl);
    expect(late.status).toBe(400);
    expect(await late.text()).toMatch(/expired at .*ERR_LOC_BAD_REQUEST/);
    expect(await router.store.get(BURLEIGH)).toBeUndefined();
    expect(await failure(ops.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/contacts" }))).toMatch(/^ERR_LOC_UNKNOWN/);
  });

  it("reports a failed onboarding on the page and to the waiting caller", async () => {
    const begun = await ops.beginAuthorization({ locationUid: NEWCASTLE, ...refs });
    const callbackUrl = new URL(await consentAt(begun.authorizeUrl));
    callbackUrl.searchParams.set("code", "sbx-code-forged");
    const page = await fetch(callbackUrl);
    expect(page.status).toBe(401);
    expect(await page.text()).toMatch(/Location .* not onboarded.*invalid_grant.*ERR_LOC_AUTH/s);
    expect(await ops.awaitAuthorization({ state: begun.state })).toMatchObject({ outcome: OnboardingOutcome.FAILED, errorCode: "ERR_LOC_AUTH" });
  });

  it("requires an API key granted the location for both RPCs, but none for the callback", async () => {
    const anonymous = createRouterClient({ baseUrl: url, protocol: "connect" });
    try {
      expect(await failure(anonymous.beginAuthorization({ locationUid: SYDNEY, ...refs }))).toMatch(/^ERR_LOC_UNAUTHENTICATED/);
    } finally {
      await anonymous.close();
    }
    expect(await failure(sydneyApp.beginAuthorization({ locationUid: BURLEIGH, ...refs }))).toMatch(/^ERR_LOC_PERMISSION_DENIED/);
    const begun = await ops.beginAuthorization({ locationUid: BURLEIGH, ...refs });
    expect(await failure(sydneyApp.awaitAuthorization({ state: begun.state }))).toMatch(/^ERR_LOC_PERMISSION_DENIED/);
    expect(await failure(ops.beginAuthorization({ locationUid: SYDNEY, ...refs, ttlSeconds: 7200 }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*ttl_seconds/);

    const unknown = await fetch(`${url}/oauth/callback?state=never-issued&code=x`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("unknown authorization state");
    expect((await fetch(`${url}/oauth/callback`, { method: "POST" })).status).toBe(405);
  });
});

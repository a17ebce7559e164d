import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeRouter } from "@podium-router/client/testing";
import { createLocationRouter, validateSettings, type LocationRouterHandle } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { createRouterServer, createServerLogger, hashApiKey, validateServerSettings, type RouterServer } from "@podium-router/server";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const cs = defaultFixtureIds.coastalSmiles;
const AUTHORIZE_URL = /^ {2}(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m;
const consentArgs = (uid: string): string[] => [
  "onboard",
  "--authorize",
  "--location-uid",
  uid,
  "--org-slug",
  cs.slug,
  "--oauth-app",
  cs.slug,
];

describe("onboardByConsent()", () => {
  it("prints the authorize URL and its expiry, then the result table, and exits 0", async () => {
    const fake = createFakeRouter();
    const asked: unknown[] = [];
    const begin = fake.service.beginAuthorization!.bind(fake.service);
    fake.service.beginAuthorization = (req, ctx) => {
      asked.push({ locationUid: req.locationUid, orgSlug: req.orgSlug, oauthApp: req.oauthApp, scopes: req.scopes });
      return begin(req, ctx);
    };
    const run = await runWithFakeRouter([...consentArgs("loc-a"), "--scopes", "read_locations,read_contacts"], { router: fake });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(AUTHORIZE_URL);
    expect(run.stdout).toMatch(/works once and expires at 2026-01-01T00:10:00\.000Z\. Podium redirects to http:\/\/127\.0\.0\.1:8080\/oauth\/callback/);
    expect(run.stdout).toMatch(/\nLOCATION_UID\s+OUTCOME\s+ERROR_CODE\s+MESSAGE\nloc-a\s+onboarded\s+onboarded\n1 onboarded\n$/);
    expect(run.fake.received.map((r) => r.method)).toEqual(["BeginAuthorization", "AwaitAuthorization"]);
    // The app by name: nothing the router would read from its own host.
    expect(asked).toEqual([{ locationUid: "loc-a", orgSlug: cs.slug, oauthApp: cs.slug, scopes: ["read_locations", "read_contacts"] }]);
    expect(fake.locations.has("loc-a")).toBe(true);
  });

  it("exits 1 with the error code when the consented location fails, and keeps stdout JSON with --output json", async () => {
    const run = await runWithFakeRouter([...consentArgs("loc-b"), "--output", "json"], { router: { failOnboarding: ["loc-b"] } });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([{ location_uid: "loc-b", outcome: "failed", error_code: "ERR_LOC_NOT_IN_SCOPE", message: expect.any(String) }]);
    expect(run.stderr).toMatch(AUTHORIZE_URL);
  });

  it.each([
    [["--refresh-token-file", "rt"], "--authorize cannot be combined with --refresh-token-file"],
    [["--dry-run"], "--authorize cannot be combined with --dry-run"],
    [["--scopes", "read locations;x"], "--scopes must list OAuth scopes"],
  ])("refuses %j with --authorize before anything is sent, exit 2", async (extra, message) => {
    const run = await runWithFakeRouter([...consentArgs("loc-a"), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.fake.received).toEqual([]);
  });

  it("refuses --scopes without --authorize", async () => {
    const run = await runWithFakeRouter(["onboard", "--from-file", "x.csv", "--scopes", "read_locations"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--scopes needs --authorize");
  });
});

describe("podium-router onboard --authorize against a real router and the sandbox", () => {
  const KEY = "pr_cli_consent_7e3f19c2";
  let sandbox: Sandbox;
  let dir: string;
  let router: LocationRouterHandle;
  let server: RouterServer;
  let url: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    dir = await mkdtemp(join(tmpdir(), "cli-consent-"));
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
      onboarding: { refresh_token_dir: join(dir, "tokens") },
      // Only the operator says where the app's secrets are, in the router's own environment.
      oauth_apps: { [cs.slug]: { client_id_ref: "env:CS_ID", client_secret_ref: "env:CS_SECRET" } },
    });
    router = await createLocationRouter({ settings, env: { CS_ID: cs.app.clientId, CS_SECRET: cs.app.clientSecret } });
    const serverSettings = validateServerSettings({ port: 0, api_keys: [{ name: "ops", key_sha256: hashApiKey(KEY), locations: ["*"], rpcs: ["*"], oauth_apps: [cs.slug] }] });
    server = createRouterServer({ router, settings: serverSettings, logger: createServerLogger({ level: "silent" }) });
    url = (await server.listen()).url;
  });

  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("waits for the browser's consent, prints onboarded, and the location is routable", async () => {
    const uid = cs.locations.byronBay;
    const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: KEY } });
    const exit = main(consentArgs(uid), mem.io);

    // The operator's browser: open the printed URL at Podium, then follow its redirect to the router's callback.
    // Until it is printed (or the command ended without printing it), however slowly: no fixed number of tries.
    let authorizeUrl: string | undefined;
    let ended = false;
    void exit.then(
      () => (ended = true),
      () => (ended = true),
    );
    while ((authorizeUrl = AUTHORIZE_URL.exec(mem.stdout())?.[1]) === undefined && !ended) await new Promise((r) => setTimeout(r, 10));
    expect(authorizeUrl, mem.stderr()).toBeDefined();
    const atPodium = await fetch(authorizeUrl!, { redirect: "manual" });
    const callbackUrl = atPodium.headers.get("location") ?? "";
    expect(callbackUrl.startsWith(`${url}/oauth/callback?`)).toBe(true);
    const page = await fetch(callbackUrl);
    expect(await page.text()).toContain("you can close this tab");

    expect(await exit).toBe(0);
    expect(mem.stdout()).toMatch(new RegExp(`\\n${uid}\\s+onboarded\\s+"Byron Bay" \\(organization ${cs.organizationUid}, org slug ${cs.slug}\\): verified in scope, stored and routable\\n1 onboarded\\n$`));
    expect((await router.call({ locationUid: uid, method: "GET", path: `/v4/locations/${uid}` })).status).toBe(200);

    // The same callback again is refused: the state was single-use.
    expect((await fetch(callbackUrl)).status).toBe(400);
  });
});

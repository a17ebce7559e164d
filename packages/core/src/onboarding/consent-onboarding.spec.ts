import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { createConsentOnboarding, type ConsentOnboarding } from "./consent-onboarding.js";
import { isCoreError } from "@podium-router/errors";
import type { AuthorizationRequest, ResolvedAuthorizationRequest } from "../oauth/authorization-code-grant.js";
import type { OnboardingResult } from "./onboarding.js";
import { createLocationRouter, type LocationRouterHandle } from "../router/location-router.js";
import { validateSettings, type Settings } from "../settings/settings.js";
import { createUpstreamClient, type UpstreamClient } from "../upstream/upstream-client.js";
import { refusalOf } from "../testing/refusal.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
// Reached only by harbour-auto's grant: coastal-smiles' consent cannot verify it.
const FREMANTLE = defaultFixtureIds.harbourAuto.locations.fremantle;
const REDIRECT = "http://127.0.0.1:9/oauth/callback";
const env = { CS_ID: cs.app.clientId, CS_SECRET: cs.app.clientSecret };
const request = (locationUid: string, extra: Partial<ResolvedAuthorizationRequest> = {}): AuthorizationRequest => ({
  locationUid,
  orgSlug: cs.slug,
  clientIdRef: "env:CS_ID",
  clientSecretRef: "env:CS_SECRET",
  redirectUri: REDIRECT,
  ...extra,
});

/** What Podium's consent page does: follow the authorize URL and read the code off the redirect, as a browser would. */
async function consent(authorizeUrl: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location") ?? "");
}

/** The CoreError code `p` rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isCoreError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("consent onboarding", () => {
  let sandbox: Sandbox;
  let dir: string;
  let tokenDir: string;
  let settings: Settings;
  let router: LocationRouterHandle;
  let upstream: UpstreamClient;
  let clock: number;
  let consentTable: ConsentOnboarding;
  const tokenFiles = async (): Promise<string[]> => readdir(tokenDir).catch(() => []);
  const codeExchanges = (since: number) => sandbox.ledger(since).filter((e) => e.route === "/oauth/token" && e.status === 200);
  const lastSeq = () => sandbox.ledger().at(-1)?.seq ?? 0;

  beforeEach(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    dir = await mkdtemp(join(tmpdir(), "consent-onboarding-"));
    tokenDir = join(dir, "tokens");
    settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
      onboarding: { refresh_token_dir: tokenDir },
    });
    router = await createLocationRouter({ settings, env });
    upstream = createUpstreamClient(settings.upstream);
    clock = Date.parse("2026-01-01T00:00:00Z");
    // The module itself with a controlled clock, ending in the real router's onboarding path.
    consentTable = createConsentOnboarding({
      settings,
      upstream,
      env,
      now: () => clock,
      async onboard(input, caller) {
        for await (const r of router.onboardLocations([input], { caller })) return r;
        throw new Error("no result");
      },
    });
  });

  afterEach(async () => {
    consentTable.close();
    await upstream.close();
    await router.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("beginAuthorization()", () => {
    it("returns Podium's authorize URL with a fresh 32-byte state bound to the location", async () => {
      const a = await router.beginAuthorization(request(SYDNEY, { scopes: ["read_locations", "read_contacts"] }));
      const b = await router.beginAuthorization(request(SYDNEY));
      const url = new URL(a.authorizeUrl);
      expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/oauth/authorize`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        client_id: cs.app.clientId,
        redirect_uri: REDIRECT,
        response_type: "code",
        scope: "read_locations read_contacts",
        state: a.state,
      });
      expect(new URL(b.authorizeUrl).searchParams.has("scope")).toBe(false);
      expect(Buffer.from(a.state, "base64url")).toHaveLength(32);
      expect(a.state).not.toBe(b.state);
      expect(a.expiresAt - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(router.peekAuthorization(a.state)).toEqual({ locationUid: SYDNEY, expiresAt: a.expiresAt });
      expect(router.peekAuthorization("not-a-state")).toBeUndefined();
      // The URL carries the public client id, never the secret.
      expect(a.authorizeUrl).not.toContain(cs.app.clientSecret);
    });

    it("refuses a malformed request or an unresolvable secret before issuing a URL", async () => {
      expect(await codeOf(router.beginAuthorization(request("../etc")))).toMatch(/^ERR_LOC_BAD_REQUEST: .*location_uid/);
      expect(await codeOf(router.beginAuthorization(request(SYDNEY, { redirectUri: "not a url" })))).toMatch(/^ERR_LOC_BAD_REQUEST: .*redirect_uri/);
      expect(await codeOf(router.beginAuthorization(request(SYDNEY, { clientSecretRef: "env:UNSET_SECRET" })))).toMatch(
        /^ERR_LOC_CREDENTIAL: .*UNSET_SECRET .* not set/,
      );
      expect(await codeOf(router.beginAuthorization(request(SYDNEY, { clientSecretRef: cs.app.clientSecret })))).toMatch(/^ERR_LOC_CREDENTIAL: .*/);
    });
  });

  describe("completeAuthorization()", () => {
    it("exchanges the code, stores the refresh token 0600 and onboards the location, which is then routable", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY), { caller: "ops" });
      const back = await consent(begun.authorizeUrl);
      expect(back.searchParams.get("state")).toBe(begun.state);
      const waiting = router.awaitAuthorization(begun.state);

      const result = await router.completeAuthorization(begun.state, { code: back.searchParams.get("code") ?? "" });
      expect(result).toMatchObject({ locationUid: SYDNEY, outcome: "onboarded" });
      expect(await waiting).toEqual(result);
      expect(await router.awaitAuthorization(begun.state)).toEqual(result);

      const record = await router.store.get(SYDNEY);
      expect(record).toMatchObject({ locationUid: SYDNEY, orgSlug: cs.slug, clientIdRef: "env:CS_ID", state: "active" });
      expect(record?.refreshTokenFile.startsWith(`${tokenDir}/${SYDNEY}.`)).toBe(true);
      expect((await stat(record!.refreshTokenFile)).mode & 0o777).toBe(0o600);
      const token = await readFile(record!.refreshTokenFile, "utf8");
      expect(sandbox.fixture.grants.find((g) => g.grantId === cs.ownerGrant.grantId)?.refreshToken).toBe(token);
      expect(await tokenFiles()).toHaveLength(1);
      expect((await router.call({ locationUid: SYDNEY, method: "GET", path: `/v4/locations/${SYDNEY}` })).status).toBe(200);
    });

    it("persists nothing when the consented grant cannot reach the location", async () => {
      const begun = await router.beginAuthorization(request(FREMANTLE));
      const back = await consent(begun.authorizeUrl);
      const result = await router.completeAuthorization(begun.state, { code: back.searchParams.get("code") ?? "" });
      expect(result).toMatchObject({ locationUid: FREMANTLE, outcome: "failed", errorCode: "ERR_LOC_NOT_IN_SCOPE" });
      expect(await router.store.list()).toEqual([]);
      expect(await tokenFiles()).toEqual([]);
      expect(await codeOf(router.call({ locationUid: FREMANTLE, method: "GET", path: "/v4/contacts" }))).toMatch(/^ERR_LOC_UNKNOWN/);
    });

    it("refuses a replayed state: the second callback changes nothing", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY));
      const back = await consent(begun.authorizeUrl);
      const code = back.searchParams.get("code") ?? "";
      expect((await router.completeAuthorization(begun.state, { code })).outcome).toBe("onboarded");
      const seq = lastSeq();
      expect(await codeOf(router.completeAuthorization(begun.state, { code }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*this authorization state was already used/);
      expect(codeExchanges(seq)).toEqual([]);
      expect(await tokenFiles()).toHaveLength(1);
    });

    it("refuses two concurrent callbacks with one state but the first", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY));
      const code = (await consent(begun.authorizeUrl)).searchParams.get("code") ?? "";
      const outcomes = await Promise.allSettled([router.completeAuthorization(begun.state, { code }), router.completeAuthorization(begun.state, { code })]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    });

    it("refuses an expired state without exchanging its code", async () => {
      const begun = await consentTable.beginAuthorization(request(SYDNEY, { ttlMs: 60_000 }));
      const code = (await consent(begun.authorizeUrl)).searchParams.get("code") ?? "";
      expect(begun.expiresAt).toBe(clock + 60_000);
      clock += 60_000;
      const seq = lastSeq();
      expect(await codeOf(consentTable.awaitAuthorization(begun.state))).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*the authorization expired at 2026-01-01T00:01:00.000Z/);
      expect(await codeOf(consentTable.completeAuthorization(begun.state, { code }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*this authorization state expired at 2026-01-01T00:01:00.000Z/);
      // Spent now: a second try is refused as used, not retried.
      expect(await codeOf(consentTable.completeAuthorization(begun.state, { code }))).toMatch(/already used/);
      expect(codeExchanges(seq)).toEqual([]);
      expect(await router.store.list()).toEqual([]);
    });

    it("accepts a state until the instant it expires", async () => {
      const begun = await consentTable.beginAuthorization(request(SYDNEY, { ttlMs: 60_000 }));
      const code = (await consent(begun.authorizeUrl)).searchParams.get("code") ?? "";
      clock += 59_999;
      expect((await consentTable.completeAuthorization(begun.state, { code })).outcome).toBe("onboarded");
    });

    it("refuses a state it never issued", async () => {
      expect(await codeOf(router.completeAuthorization("A".repeat(43), { code: "x" }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*unknown authorization state/);
      expect(await codeOf(router.completeAuthorization("", { code: "x" }))).toMatch(/unknown authorization state/);
      expect(await codeOf(router.awaitAuthorization("A".repeat(43)))).toMatch(/unknown authorization state/);
    });

    it("reports a wrong code as ERR_LOC_AUTH, writes nothing, and spends the state", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY));
      const result = await router.completeAuthorization(begun.state, { code: "sbx-code-made-up" });
      expect(result).toMatchObject({ locationUid: SYDNEY, outcome: "failed", errorCode: "ERR_LOC_AUTH" });
      expect(result.message).toMatch(/Podium refused the authorization code .*invalid_grant/);
      expect(result.message).not.toContain("sbx-code-made-up");
      expect(await router.awaitAuthorization(begun.state)).toEqual(result);
      expect(await router.store.list()).toEqual([]);
      expect(await tokenFiles()).toEqual([]);
      expect(await codeOf(router.completeAuthorization(begun.state, { code: "again" }))).toMatch(/already used/);
    });

    it("reports a refused consent (error=access_denied) as ERR_LOC_AUTH", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY));
      const result = await router.completeAuthorization(begun.state, { error: "access_denied" });
      expect(result).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_AUTH", message: expect.stringContaining("access_denied") });
    });

    it("a second consent for a location onboarded meanwhile replaces its credential once verified (a consent is a new credential)", async () => {
      const first = await router.beginAuthorization(request(SYDNEY));
      const second = await router.beginAuthorization(request(SYDNEY));
      const firstCode = (await consent(first.authorizeUrl)).searchParams.get("code") ?? "";
      const secondCode = (await consent(second.authorizeUrl)).searchParams.get("code") ?? "";
      expect((await router.completeAuthorization(first.state, { code: firstCode })).outcome).toBe("onboarded");
      const before = await tokenFiles();
      const seq = lastSeq();
      const again: OnboardingResult = await router.completeAuthorization(second.state, { code: secondCode });
      expect(again).toMatchObject({ outcome: "replaced", message: expect.stringContaining("credentials replaced (refresh token)") });
      // The code exchange, then the new token's own refresh as it is verified.
      expect(codeExchanges(seq)).toHaveLength(2);
      // One token file still: the new one; the first consent's is removed with the credential it held.
      const after = await tokenFiles();
      expect(after).toHaveLength(1);
      expect(after).not.toEqual(before);
      expect((await router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" })).status).toBe(200);
    });
  });

  describe("awaitAuthorization()", () => {
    it("rejects when the state expires before Podium redirects back", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY, { ttlMs: 30 }));
      expect(await codeOf(router.awaitAuthorization(begun.state))).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*the authorization expired/);
    });

    it("stops waiting when its signal aborts, and the state stays usable", async () => {
      const begun = await router.beginAuthorization(request(SYDNEY));
      const controller = new AbortController();
      const waiting = router.awaitAuthorization(begun.state, controller.signal);
      controller.abort();
      expect(await codeOf(waiting)).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*stopped waiting for the consent/);
      const code = (await consent(begun.authorizeUrl)).searchParams.get("code") ?? "";
      expect((await router.completeAuthorization(begun.state, { code })).outcome).toBe("onboarded");
    });

    it("rejects waiters when the router closes", async () => {
      const begun = await consentTable.beginAuthorization(request(SYDNEY));
      const waiting = consentTable.awaitAuthorization(begun.state);
      consentTable.close();
      expect(await codeOf(waiting)).toMatch(/^ERR_LOC_INTERNAL: .*the router is shutting down/);
    });
  });

  describe("a configured OAuth app", () => {
    it("supplies the references, the redirect URI and the scopes; a caller may ask for fewer scopes, never others", async () => {
      const appSettings = validateSettings({
        upstream: { base_url: sandbox.url },
        oauth_apps: { "coastal-smiles": { client_id_ref: "env:CS_ID", client_secret_ref: "env:CS_SECRET", redirect_uri: "https://router.example.com/oauth/callback", scopes: ["read_locations", "read_contacts"] } },
      });
      const table = createConsentOnboarding({ settings: appSettings, upstream, env, onboard: () => Promise.reject(new Error("not here")) });
      try {
        const asked = { locationUid: SYDNEY, orgSlug: cs.slug, oauthApp: "coastal-smiles", redirectUri: REDIRECT };
        const all = await table.beginAuthorization(asked);
        expect(all.redirectUri).toBe("https://router.example.com/oauth/callback");
        expect(Object.fromEntries(new URL(all.authorizeUrl).searchParams)).toMatchObject({ client_id: cs.app.clientId, redirect_uri: "https://router.example.com/oauth/callback", scope: "read_locations read_contacts" });
        const fewer = await table.beginAuthorization({ ...asked, scopes: ["read_locations"] });
        expect(new URL(fewer.authorizeUrl).searchParams.get("scope")).toBe("read_locations");
        expect(await codeOf(table.beginAuthorization({ ...asked, scopes: ["write_messages"] }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*scopes must be among the scopes configured for oauth_app "coastal-smiles"/);
        expect(await codeOf(table.beginAuthorization({ ...asked, oauthApp: "harbour-auto" }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*oauth_app "harbour-auto" is not configured/);
        expect(await codeOf(table.beginAuthorization({ ...asked, oauthApp: "file:/etc/hostname" }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*never a secret reference or a path/);
      } finally {
        table.close();
      }
    });
  });

  describe("pending-consent caps", () => {
    let capped: ConsentOnboarding;
    const HA = defaultFixtureIds.harbourAuto;
    beforeEach(() => {
      const cappedSettings = validateSettings({ upstream: { base_url: sandbox.url }, onboarding: { max_pending_consents_per_caller: 2, max_pending_consents_per_org: 3 } });
      capped = createConsentOnboarding({ settings: cappedSettings, upstream, env, now: () => clock, onboard: () => Promise.reject(new Error("not here")) });
    });
    afterEach(() => capped.close());
    const begin = (caller: string, orgSlug: string = cs.slug, ttlMs = 60_000) => capped.beginAuthorization(request(SYDNEY, { orgSlug, ttlMs }), { caller });
    const limit = refusalOf;

    it("one key filling its own cap blocks neither another caller nor another organization", async () => {
      const first = await begin("sydney-app");
      clock += 1_000;
      await begin("sydney-app");
      const full = await limit(begin("sydney-app"));
      expect(full.code).toBe("ERR_LOC_CONSENT_LIMIT");
      expect(full.message).toContain("this caller has 2 consents pending, the most allowed (onboarding.max_pending_consents_per_caller)");
      // When the first of the caller's own states expires.
      expect(full.retryAfterMs).toBe(first.expiresAt - clock);
      // Another key of the same organization still gets its consent.
      await begin("ops");
      // The organization is full now (3), for every caller of it, but not for another organization.
      const orgFull = await limit(begin("burleigh-app"));
      expect(orgFull).toMatchObject({ code: "ERR_LOC_CONSENT_LIMIT", message: expect.stringContaining(`organization ${cs.slug} has 3 consents pending`) });
      expect((await begin("burleigh-app", HA.slug)).state).toEqual(expect.any(String));
    });

    it("an expired state leaves the count at once, and its late callback still hears that it expired", async () => {
      const first = await begin("sydney-app", cs.slug, 30_000);
      await begin("sydney-app");
      expect((await limit(begin("sydney-app"))).code).toBe("ERR_LOC_CONSENT_LIMIT");
      clock += 30_000;
      // No grace period: the expired state stopped counting the moment it expired.
      await begin("sydney-app");
      expect(await codeOf(capped.completeAuthorization(first.state, { code: "late" }))).toMatch(/^ERR_LOC_BAD_REQUEST: .*this authorization state expired at/);
      expect(await codeOf(capped.awaitAuthorization(first.state))).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*expired/);
    });

    it("a state used by its callback leaves the count", async () => {
      const first = await begin("sydney-app");
      await begin("sydney-app");
      const result = await capped.completeAuthorization(first.state, { error: "access_denied" });
      expect(result.outcome).toBe("failed");
      await begin("sydney-app");
      expect(await capped.awaitAuthorization(first.state)).toEqual(result);
    });
  });
});

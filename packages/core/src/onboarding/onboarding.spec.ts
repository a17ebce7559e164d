import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import type { CredentialStore, LocationRecord } from "../credentials/credential-store.js";
import { errorCatalog, type CoreErrorCode } from "@podium-router/errors";
import { createFileCredentialStore } from "../credentials/file/file-credential-store.js";
import { createLocationAuth } from "../oauth/location-auth.js";
import type { OnboardingInput, OnboardingResult } from "./onboarding.js";
import { createLocationRouter } from "../router/location-router.js";
import { listAllLocations } from "../verification/location-verifier.js";
import { createHarness, fixtureGrant, type GrantCredential, type Harness } from "../testing/router-harness.js";
import { createUpstreamClient, type UpstreamClient } from "../upstream/upstream-client.js";
import { refusalOf } from "../testing/refusal.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An onboarding input as trusted in-process code may give it: secret references and a refresh-token file. */
type ByReference = { locationUid: string; orgSlug: string; clientIdRef: string; clientSecretRef: string; refreshTokenFile: string };

/**
 * Onboarding inputs for `uids` under one credential, with file: references: the client id and secret in
 * one file each, and one refresh-token file per location (as an operator would lay them out).
 */
async function inputsFor(hh: Harness, grant: GrantCredential, uids: string[], orgSlug = "onb-org"): Promise<ByReference[]> {
  const dir = join(hh.dir, "creds", grant.grantId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "client-id"), grant.clientId, { mode: 0o600 });
  await writeFile(join(dir, "client-secret"), grant.clientSecret, { mode: 0o600 });
  const inputs: ByReference[] = [];
  for (const uid of uids) {
    await writeFile(join(dir, `rt-${uid}`), grant.refreshToken, { mode: 0o600 });
    inputs.push({
      locationUid: uid,
      orgSlug,
      clientIdRef: `file:${join(dir, "client-id")}`,
      clientSecretRef: `file:${join(dir, "client-secret")}`,
      refreshTokenFile: join(dir, `rt-${uid}`),
    });
  }
  return inputs;
}

/** A grant of n new locations in a new org, as a credential plus its location uids. */
function newGrant(sandbox: Sandbox, n: number): GrantCredential & { uids: string[] } {
  const g = sandbox.addGrant({ orgSlug: "onb-org", locations: n });
  return { grantId: g.grantId, clientId: g.clientId, clientSecret: g.clientSecret, refreshToken: g.refreshToken, uids: g.locations.map((l) => l.uid) };
}

async function collect(stream: AsyncIterable<OnboardingResult>): Promise<OnboardingResult[]> {
  const out: OnboardingResult[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

const rejection = refusalOf;

/** Every file under `dir` with its bytes and mode, except the audit log (onboarding audits checks too). */
async function snapshot(hh: Harness): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (p === hh.settings.audit.path) continue;
      if (entry.isDirectory()) await walk(p);
      else out[relative(hh.dir, p)] = `${(await stat(p)).mode.toString(8)} ${await readFile(p, "utf8")}`;
    }
  };
  await walk(hh.dir);
  return out;
}

/** Wraps an upstream client to count requests in flight at once. */
function countingUpstream(inner: UpstreamClient): { client: UpstreamClient; maxInFlight: () => number } {
  let now = 0;
  let max = 0;
  const track = async <T>(send: () => Promise<T>): Promise<T> => {
    max = Math.max(max, ++now);
    try {
      return await send();
    } finally {
      now--;
    }
  };
  return {
    client: {
      request: (req) => track(() => inner.request(req)),
      postToken: (body, opts) => track(() => inner.postToken(body, opts)),
      close: () => inner.close(),
    },
    maxInFlight: () => max,
  };
}

describe("onboardLocations()", () => {
  describe("batch validation: a bad batch is refused whole and nothing is written or sent", () => {
    const cases: Array<{ name: string; code: CoreErrorCode; says: string; spoil: (inputs: OnboardingInput[]) => void }> = [
      {
        name: "a location_uid that appears twice",
        code: "ERR_LOC_BAD_REQUEST",
        says: "duplicate location_uid in locations[0] and locations[2]; nothing was onboarded",
        spoil: (inputs) => inputs.push({ ...(inputs[0] as OnboardingInput) }),
      },
      {
        name: "an org_slug that is not a slug",
        code: "ERR_LOC_BAD_REQUEST",
        says: "locations[1].org_slug must be lower-case letters, digits and dashes",
        spoil: (inputs) => ((inputs[1] as OnboardingInput).orgSlug = "Coastal Smiles!"),
      },
      {
        name: "a literal secret where a reference belongs",
        code: "ERR_LOC_CREDENTIAL",
        says: "locations[1].client_secret_ref is not a reference and may be a literal secret (the value is not shown)",
        spoil: (inputs) => ((inputs[1] as OnboardingInput).clientSecretRef = "sbx-secret-coastal-smiles-0001"),
      },
      {
        name: "an env reference without a variable name",
        code: "ERR_LOC_CREDENTIAL",
        says: 'locations[0].client_id_ref has "env:" but no valid variable name',
        spoil: (inputs) => ((inputs[0] as OnboardingInput).clientIdRef = "env:"),
      },
      {
        name: "a missing refresh_token_file",
        code: "ERR_LOC_BAD_REQUEST",
        says: "locations[1].refresh_token_file is required",
        spoil: (inputs) => ((inputs[1] as OnboardingInput).refreshTokenFile = ""),
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        h = await createHarness();
        const hh = h;
        const inputs = await inputsFor(hh, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), [SYDNEY, BURLEIGH], "coastal-smiles");
        c.spoil(inputs);
        const before = await snapshot(hh);
        const err = await rejection(collect(hh.router.onboardLocations(inputs)));
        expect(err.code).toBe(c.code);
        expect(err.message).toContain(c.says);
        expect(err.message).not.toContain("sbx-secret");
        expect(await snapshot(hh)).toEqual(before);
        expect(hh.sandbox.ledger()).toEqual([]);
        expect(await hh.router.listLocations()).toEqual([]);
      });
    }
  });

  it("runs at most `concurrency` locations at once (the settings' value unless the call names one)", async () => {
    h = await createHarness({ settings: { onboarding: { concurrency: 4 } } });
    const hh = h;
    // Latency keeps every request in flight long enough for the next ones to pile up behind the limit.
    hh.sandbox.setFaults({ latencyMs: 30 });
    const grant = newGrant(hh.sandbox, 20);
    const inputs = await inputsFor(hh, grant, grant.uids);
    for (const [concurrency, expected] of [[undefined, 4], [3, 3], [1, 1]] as const) {
      const counting = countingUpstream(createUpstreamClient(hh.settings.upstream));
      const settings = {
        ...hh.settings,
        audit: { ...hh.settings.audit, path: join(hh.dir, `audit-${concurrency}.jsonl`) },
        credentials: { ...hh.settings.credentials, path: join(hh.dir, `store-${concurrency}.json`) },
      };
      const router = await createLocationRouter({ settings, env: {}, upstream: counting.client });
      try {
        const results = await collect(router.onboardLocations(inputs, concurrency === undefined ? {} : { concurrency }));
        expect(results.map((r) => r.outcome)).toEqual(Array(20).fill("onboarded"));
        expect(counting.maxInFlight()).toBe(expected);
      } finally {
        await router.close();
      }
    }
  });

  it("yields each location's result as soon as it finishes, not in input order or at the end", async () => {
    h = await createHarness();
    const hh = h;
    hh.sandbox.setFaults({ latencyMs: 100 });
    const grant = newGrant(hh.sandbox, 6);
    const slow = await inputsFor(hh, grant, grant.uids);
    // Listed last, failing before any request: an unset environment variable.
    const fast = ["fast-1", "fast-2"].map((uid) => ({ ...(slow[0] as ByReference), locationUid: uid, clientIdRef: "env:PODIUM_TEST_UNSET_ID" }));
    const seen: Array<{ uid: string; outcome: string; storedAtThatMoment: number }> = [];
    for await (const r of hh.router.onboardLocations([...slow, ...fast], { concurrency: 8 })) {
      seen.push({ uid: r.locationUid, outcome: r.outcome, storedAtThatMoment: (await hh.router.store.list()).length });
    }
    expect(seen.slice(0, 2).map((s) => [s.uid, s.outcome]).sort()).toEqual([
      ["fast-1", "failed"],
      ["fast-2", "failed"],
    ]);
    // The fast results were handed over while every slow location was still in flight.
    expect(seen[0]?.storedAtThatMoment).toBe(0);
    expect(seen.slice(2).every((s) => s.outcome === "onboarded")).toBe(true);
  });

  it("reports skipped_existing on a re-run, and a re-run after a failure does exactly the rest", async () => {
    h = await createHarness();
    const hh = h;
    const grant = newGrant(hh.sandbox, 4);
    const inputs = await inputsFor(hh, grant, grant.uids);
    const broken = inputs[3] as OnboardingInput;
    const goodSecretRef = broken.clientSecretRef;
    broken.clientSecretRef = `file:${join(hh.dir, "not-yet-there")}`;
    const first = await collect(hh.router.onboardLocations(inputs));
    expect(first.filter((r) => r.outcome === "onboarded")).toHaveLength(3);
    expect(first.find((r) => r.locationUid === broken.locationUid)).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_CREDENTIAL" });

    broken.clientSecretRef = goodSecretRef;
    hh.sandbox.clearLedger();
    const second = await collect(hh.router.onboardLocations(inputs));
    expect(Object.fromEntries(second.map((r) => [r.locationUid, r.outcome]))).toEqual({
      [grant.uids[0] as string]: "skipped_existing",
      [grant.uids[1] as string]: "skipped_existing",
      [grant.uids[2] as string]: "skipped_existing",
      [broken.locationUid]: "onboarded",
    });
    expect(second.find((r) => r.outcome === "skipped_existing")?.message).toBe("already onboarded and working; nothing changed");
    // Exactly the rest: one token refresh, for the location that was left; and every location checked with its own
    // credential (one listing each: the registered ones before being called working, the new one to be onboarded).
    const routes = hh.sandbox.ledger().map((e) => e.route);
    expect(routes.filter((r) => r === "/oauth/token")).toHaveLength(1);
    expect(routes.filter((r) => r === "/v4/locations")).toHaveLength(4);
    expect(routes).toHaveLength(5);
    expect((await hh.router.store.list()).length).toBe(4);

    // Verified within the TTL: a third run asks Podium only about the location onboarded last (its onboarding
    // check is not the routing cache's), no token is refreshed.
    hh.sandbox.clearLedger();
    const third = await collect(hh.router.onboardLocations(inputs));
    expect(third.map((r) => r.outcome)).toEqual(Array(4).fill("skipped_existing"));
    expect(hh.sandbox.ledger().map((e) => e.route)).toEqual(["/v4/locations"]);
  });

  it("stores Podium's name and organization uid of each location, lists them, and follows a rename in Podium", async () => {
    h = await createHarness();
    const hh = h;
    const inputs = await inputsFor(hh, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), [SYDNEY, BURLEIGH], "coastal-smiles");
    expect((await collect(hh.router.onboardLocations(inputs))).map((r) => r.outcome)).toEqual(["onboarded", "onboarded"]);
    expect(await hh.router.store.get(SYDNEY)).toMatchObject({ name: "Sydney", organizationUid: cs.organizationUid });
    expect((await hh.router.listLocations()).map((l) => [l.locationUid, l.name, l.organizationUid])).toEqual([
      [SYDNEY, "Sydney", cs.organizationUid],
      [BURLEIGH, "Burleigh Heads", cs.organizationUid],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(await hh.router.getLocationStatus(BURLEIGH)).toMatchObject({ name: "Burleigh Heads", organizationUid: cs.organizationUid });

    // Renamed in Podium (through the router itself): the next verification brings the new name, kept across a restart.
    const renamed = await hh.router.call({ locationUid: SYDNEY, method: "PATCH", path: `/v4/locations/${SYDNEY}`, body: JSON.stringify({ name: "Sydney CBD" }) });
    expect(renamed.status).toBe(200);
    await hh.router.verifyLocation(SYDNEY, { force: true });
    expect(await hh.router.getLocationStatus(SYDNEY)).toMatchObject({ name: "Sydney CBD" });
    await hh.restart();
    expect((await hh.router.listLocations()).find((l) => l.locationUid === SYDNEY)?.name).toBe("Sydney CBD");
  });

  it("checks every location on a dry run and changes nothing on disk, not even creating the locations file", async () => {
    h = await createHarness();
    const hh = h;
    const inputs = await inputsFor(hh, fixtureGrant(hh.sandbox, cs.sydneyGrant.grantId), [SYDNEY, BURLEIGH], "coastal-smiles");
    const before = await snapshot(hh);
    const results = await collect(hh.router.onboardLocations(inputs, { dryRun: true }));
    expect(Object.fromEntries(results.map((r) => [r.locationUid, [r.outcome, r.errorCode]]))).toEqual({
      [SYDNEY]: ["checked", undefined],
      [BURLEIGH]: ["failed", "ERR_LOC_NOT_IN_SCOPE"],
    });
    expect(await snapshot(hh)).toEqual(before);
    await expect(stat(hh.settings.credentials.path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await hh.router.listLocations()).toEqual([]);

    // With a locations file present, a dry run leaves its bytes alone as well.
    await collect(hh.router.onboardLocations([inputs[0] as OnboardingInput]));
    const withStore = await snapshot(hh);
    const again = await collect(hh.router.onboardLocations(inputs, { dryRun: true }));
    expect(again.map((r) => r.outcome).sort()).toEqual(["failed", "skipped_existing"]);
    expect(await snapshot(hh)).toEqual(withStore);
  });

  describe("a location outside its credential's scope", () => {
    /**
     * The naive order, for contrast: persist, then verify, and on failure roll back only the in-memory map.
     * Written here, not in the product, to show what the real order prevents.
     */
    async function naiveOnboard(store: CredentialStore, live: Set<string>, record: LocationRecord, verify: () => Promise<void>): Promise<void> {
      await store.insert(record);
      live.add(record.locationUid);
      try {
        await verify();
      } catch (err) {
        live.delete(record.locationUid);
        throw err;
      }
    }

    it("leaves no record, where the naive order (persist, verify, roll back in memory) leaves a phantom on disk", async () => {
      h = await createHarness();
      const hh = h;
      const sydneyOnly = fixtureGrant(hh.sandbox, cs.sydneyGrant.grantId);
      const [input] = await inputsFor(hh, sydneyOnly, [BURLEIGH], "coastal-smiles");
      if (!input) throw new Error("no input");

      // The naive order against its own store file, with the same real parts: auth, listing, sandbox.
      const naivePath = join(hh.dir, "naive", "locations.json");
      const naiveStore = createFileCredentialStore({ path: naivePath });
      const upstream = createUpstreamClient(hh.settings.upstream);
      const live = new Set<string>();
      const now = new Date().toISOString();
      const record: LocationRecord = { ...input, state: "active", createdAt: now, updatedAt: now };
      const auth = createLocationAuth({
        locationUid: BURLEIGH,
        tokenUrl: hh.settings.upstream.tokenUrl,
        clientId: sydneyOnly.clientId,
        clientSecret: sydneyOnly.clientSecret,
        readRefreshToken: () => naiveStore.readRefreshToken(record),
        writeRefreshToken: (t) => naiveStore.writeRefreshToken(record, t),
        expiryMarginMs: 60_000,
        upstream,
      });
      const verify = async (): Promise<void> => {
        const listing = await listAllLocations(upstream, await auth.getAccessToken(), "naive-check");
        if (!listing.has(BURLEIGH)) throw new Error("not in scope");
      };
      await expect(naiveOnboard(naiveStore, live, record, verify)).rejects.toThrow("not in scope");
      await upstream.close();
      await naiveStore.close();
      expect(live.has(BURLEIGH)).toBe(false); // rolled back in memory...
      const reopened = createFileCredentialStore({ path: naivePath });
      expect((await reopened.list()).map((r) => r.locationUid)).toEqual([BURLEIGH]); // ...but the phantom is on disk
      await reopened.close();
      // And a restarted router would route it.
      const restarted = await createLocationRouter({ settings: { ...hh.settings, credentials: { ...hh.settings.credentials, path: naivePath } }, env: {} });
      expect((await restarted.listLocations()).map((l) => l.locationUid)).toEqual([BURLEIGH]);
      await restarted.close();

      // The real order: refused, nothing written, nothing routable, before or after a restart.
      const [result] = await collect(hh.router.onboardLocations([input]));
      expect(result).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_NOT_IN_SCOPE" });
      expect(result?.message).toContain(errorCatalog.ERR_LOC_NOT_IN_SCOPE.action);
      await expect(stat(hh.settings.credentials.path)).rejects.toMatchObject({ code: "ENOENT" });
      await hh.restart();
      expect(await hh.router.listLocations()).toEqual([]);
    });
  });

  describe("identity: the uid must exist in Podium and the org slug must stand for its organization", () => {
    const ha = defaultFixtureIds.harbourAuto;

    it("refuses a uid Podium has never known with its own code, not 'deleted … remove it'", async () => {
      h = await createHarness();
      const hh = h;
      const typo = "c0a57a15-5e11-4000-8000-00000000000f";
      const [input] = await inputsFor(hh, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), [typo], "coastal-smiles");
      const [result] = await collect(hh.router.onboardLocations([input as OnboardingInput]));
      expect(result).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_NOT_IN_PODIUM" });
      expect(result?.message).toContain("Check the location_uid for a typo");
      expect(result?.message).not.toMatch(/deleted in Podium|locations remove/);
      expect(await hh.router.store.list()).toEqual([]);
    });

    it("pins a slug to the organization of its first location and refuses a location of another organization under it, naming both", async () => {
      h = await createHarness();
      const hh = h;
      const harbour = fixtureGrant(hh.sandbox, ha.ownerGrant.grantId);
      const coastal = fixtureGrant(hh.sandbox, cs.ownerGrant.grantId);
      // Fremantle pins harbour-auto to harbour's organization.
      expect((await collect(hh.router.onboardLocations(await inputsFor(hh, harbour, [ha.locations.fremantle], "harbour-auto"))))[0]?.outcome).toBe("onboarded");
      // A coastal-smiles location typed in as harbour-auto (the case).
      const [wrong] = await collect(hh.router.onboardLocations(await inputsFor(hh, coastal, [BURLEIGH], "harbour-auto")));
      expect(wrong).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_ORG_MISMATCH" });
      expect(wrong?.message).toContain(`org slug "harbour-auto" is pinned to Podium organization ${ha.organizationUid}`);
      expect(wrong?.message).toContain(`location ${ha.locations.fremantle} ("Fremantle")`);
      expect(wrong?.message).toContain(`Podium reports location ${BURLEIGH} in organization ${cs.organizationUid}`);
      // The same organization under a second slug is refused too: one slug per organization.
      const [second] = await collect(hh.router.onboardLocations(await inputsFor(hh, harbour, [ha.locations.geelong], "harbour")));
      expect(second).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_ORG_MISMATCH" });
      expect(second?.message).toContain(`organization ${ha.organizationUid}, which is registered as org slug "harbour-auto"`);
      // A dry run says the same and holds nothing.
      const [dry] = await collect(hh.router.onboardLocations(await inputsFor(hh, coastal, [SYDNEY], "harbour-auto"), { dryRun: true }));
      expect(dry).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_ORG_MISMATCH" });
      // The right slugs work; only Fremantle and these are stored, and the refusals are audited.
      const right = await collect(hh.router.onboardLocations([...(await inputsFor(hh, coastal, [BURLEIGH], "coastal-smiles")), ...(await inputsFor(hh, harbour, [ha.locations.geelong], "harbour-auto"))]));
      expect(right.map((r) => r.outcome)).toEqual(["onboarded", "onboarded"]);
      expect((await hh.router.listLocations()).map((l) => [l.orgSlug, l.organizationUid])).toEqual(
        expect.arrayContaining([["coastal-smiles", cs.organizationUid], ["harbour-auto", ha.organizationUid]]),
      );
      expect((await hh.auditLines()).filter((l) => l.error_code === "ERR_LOC_ORG_MISMATCH").map((l) => l.location_uid)).toEqual([BURLEIGH, ha.locations.geelong, SYDNEY]);
    });

    it("holds a slug's pin while a batch runs: two organizations under one new slug in one batch, exactly one is onboarded", async () => {
      h = await createHarness();
      const hh = h;
      const inputs = [
        ...(await inputsFor(hh, fixtureGrant(hh.sandbox, cs.ownerGrant.grantId), [SYDNEY], "new-slug")),
        ...(await inputsFor(hh, fixtureGrant(hh.sandbox, ha.ownerGrant.grantId), [ha.locations.fremantle], "new-slug")),
      ];
      const results = await collect(hh.router.onboardLocations(inputs, { concurrency: 2 }));
      expect(results.map((r) => r.outcome).sort()).toEqual(["failed", "onboarded"]);
      expect(results.find((r) => r.outcome === "failed")?.errorCode).toBe("ERR_LOC_ORG_MISMATCH");
      expect(await hh.router.store.list()).toHaveLength(1);
    });
  });

  describe("each failure names its code and what the operator should do", () => {
    const cases: Array<{
      name: string;
      code: CoreErrorCode;
      /** Fragments the message must contain besides the catalog's action. */
      says: (uid: string) => string[];
      arrange: (hh: Harness, grant: GrantCredential & { uids: string[] }, input: OnboardingInput) => void;
    }> = [
      {
        name: "a location Podium deleted",
        code: "ERR_LOC_NOT_IN_PODIUM",
        says: (uid) => [uid, "Podium has no location with this uid", "typo"],
        arrange: (hh, _g, input) => hh.sandbox.setFaults({ deletedLocations: [input.locationUid] }),
      },
      {
        name: "a revoked refresh token",
        code: "ERR_LOC_AUTH",
        says: (uid) => [uid, "invalid_grant", "re-authorize the location and store its new refresh token"],
        arrange: (hh, g) => hh.sandbox.setFaults({ revokedGrants: [g.grantId] }),
      },
      {
        name: "an environment variable that is not set",
        code: "ERR_LOC_CREDENTIAL",
        says: () => ["environment variable PODIUM_TEST_UNSET_SECRET", "is not set"],
        arrange: (_hh, _g, input) => (input.clientSecretRef = "env:PODIUM_TEST_UNSET_SECRET"),
      },
      {
        name: "a missing refresh-token file",
        code: "ERR_LOC_CREDENTIAL",
        says: () => ["refresh-token file", "does not exist", "onboard the location again"],
        arrange: (hh, _g, input) => (input.refreshTokenFile = join(hh.dir, "no-such-refresh-token")),
      },
    ];
    for (const c of cases) {
      it(`fails ${c.name} with ${c.code}, leaving no record`, async () => {
        h = await createHarness();
        const hh = h;
        // Two credentials, so a failure of one (a revoked grant) cannot touch the other.
        const grant = newGrant(hh.sandbox, 1);
        const bystander = newGrant(hh.sandbox, 1);
        const inputs = [...(await inputsFor(hh, grant, grant.uids)), ...(await inputsFor(hh, bystander, bystander.uids))];
        const target = inputs[0] as OnboardingInput;
        c.arrange(hh, grant, target);
        const results = await collect(hh.router.onboardLocations(inputs));
        const failed = results.find((r) => r.locationUid === target.locationUid);
        expect(failed).toMatchObject({ outcome: "failed", errorCode: c.code });
        const message = failed?.message ?? "";
        expect(message).toContain(errorCatalog[c.code].action);
        for (const fragment of c.says(target.locationUid)) expect(message).toContain(fragment);
        for (const secret of [grant.clientSecret, grant.refreshToken]) expect(message).not.toContain(secret);
        // The other location is unaffected, and only it is stored.
        expect(results.find((r) => r.locationUid !== target.locationUid)?.outcome).toBe("onboarded");
        expect((await hh.router.store.list()).map((r) => r.locationUid)).toEqual(bystander.uids);
        const audit = (await hh.auditLines()).filter((l) => l.location_uid === target.locationUid);
        expect(audit).toMatchObject([{ endpoint: "router:OnboardLocations", error_code: c.code }]);
      });
    }
  });

  describe("by a configured OAuth app, with the refresh token sent as its value (what the wire carries)", () => {
    let secrets = "";
    const FREMANTLE = defaultFixtureIds.harbourAuto.locations.fremantle;
    const token = cs.ownerGrant.refreshToken;
    afterEach(async () => {
      if (secrets !== "") await rm(secrets, { recursive: true, force: true });
      secrets = "";
    });
    /** A harness whose settings configure coastal-smiles' app, its secrets in files only the operator named. */
    async function appHarness(): Promise<{ hh: Harness; tokenDir: string; app: { clientIdRef: string; clientSecretRef: string } }> {
      secrets = await mkdtemp(join(tmpdir(), "onboarding-app-"));
      await writeFile(join(secrets, "id"), cs.app.clientId, { mode: 0o600 });
      await writeFile(join(secrets, "secret"), cs.app.clientSecret, { mode: 0o600 });
      const tokenDir = join(secrets, "tokens");
      const app = { clientIdRef: `file:${join(secrets, "id")}`, clientSecretRef: `file:${join(secrets, "secret")}` };
      h = await createHarness({
        settings: { onboarding: { refresh_token_dir: tokenDir }, oauth_apps: { "coastal-smiles": { client_id_ref: app.clientIdRef, client_secret_ref: app.clientSecretRef } } },
      });
      return { hh: h, tokenDir, app };
    }
    const byApp = (locationUid: string, extra: Partial<{ oauthApp: string; refreshToken: string }> = {}): OnboardingInput => ({
      locationUid,
      orgSlug: "coastal-smiles",
      oauthApp: "coastal-smiles",
      refreshToken: token,
      ...extra,
    });

    it("stores the app's references and the token in a 0600 file of refresh_token_dir, and the location is routable", async () => {
      const { hh, tokenDir, app } = await appHarness();
      const results = await collect(hh.router.onboardLocations([byApp(SYDNEY), byApp(BURLEIGH)]));
      expect(results.map((r) => [r.locationUid, r.outcome])).toEqual(expect.arrayContaining([[SYDNEY, "onboarded"], [BURLEIGH, "onboarded"]]));
      for (const uid of [SYDNEY, BURLEIGH]) {
        const record = await hh.router.store.get(uid);
        expect(record).toMatchObject({ ...app, orgSlug: "coastal-smiles", state: "active" });
        expect(record!.refreshTokenFile.startsWith(`${tokenDir}/${uid}.`)).toBe(true);
        expect((await stat(record!.refreshTokenFile)).mode & 0o777).toBe(0o600);
        expect(await readFile(record!.refreshTokenFile, "utf8")).toBe(token);
      }
      expect((await hh.router.call({ locationUid: SYDNEY, method: "GET", path: `/v4/locations/${SYDNEY}` })).status).toBe(200);
      // Neither the result messages nor the audit trail carry the token.
      expect(JSON.stringify(results)).not.toContain(token);
      expect(JSON.stringify(await hh.auditLines())).not.toContain(token);
    });

    it("leaves no token file behind for a failed, skipped or dry-run location", async () => {
      const { hh, tokenDir } = await appHarness();
      const results = await collect(hh.router.onboardLocations([byApp(FREMANTLE), byApp(SYDNEY)], { dryRun: true }));
      expect(results.map((r) => [r.locationUid, r.outcome, r.errorCode]).sort()).toEqual([
        [FREMANTLE, "failed", "ERR_LOC_NOT_IN_SCOPE"],
        [SYDNEY, "checked", undefined],
      ].sort());
      expect(await readdir(tokenDir).catch(() => [])).toEqual([]);
      await collect(hh.router.onboardLocations([byApp(SYDNEY)]));
      expect(await readdir(tokenDir)).toHaveLength(1);
      expect((await collect(hh.router.onboardLocations([byApp(SYDNEY)])))[0]?.outcome).toBe("skipped_existing");
      expect(await readdir(tokenDir)).toHaveLength(1);
    });

    it.each([
      ["an app that is not configured", { oauthApp: "harbour-auto" }, 'locations[0].oauth_app "harbour-auto" is not configured'],
      ["a secret reference where an app name belongs", { oauthApp: "file:/etc/hostname" }, "it is never a secret reference or a path"],
      ["an environment reference where an app name belongs", { oauthApp: "env:PATH" }, "it is never a secret reference or a path"],
      ["a token with white space", { refreshToken: `${token} x` }, "locations[0].refresh_token must be the token itself"],
      ["a token over 4096 characters", { refreshToken: "t".repeat(4097) }, "locations[0].refresh_token must be the token itself: 1-4096"],
      ["an empty token", { refreshToken: "" }, "locations[0].refresh_token is required"],
    ])("refuses the whole batch for %s, echoing no token and writing nothing", async (_name, extra, says) => {
      const { hh, tokenDir } = await appHarness();
      const before = await snapshot(hh);
      const err = await rejection(collect(hh.router.onboardLocations([byApp(SYDNEY, extra), byApp(BURLEIGH)])));
      expect(err.code).toBe("ERR_LOC_BAD_REQUEST");
      expect(err.message).toContain(says.replace("locations[0].oauth_app", "oauth_app"));
      expect(err.message).not.toContain(token);
      expect(err.message).not.toContain("/etc/hostname");
      expect(await snapshot(hh)).toEqual(before);
      expect(await readdir(tokenDir).catch(() => [])).toEqual([]);
      expect(hh.sandbox.ledger()).toEqual([]);
    });
  });
});

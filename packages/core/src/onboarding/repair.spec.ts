/**
 * Repair is one command: onboarding a registered location again repairs it when it is broken (its credential
 * refused, deleted, out of scope), replaces its credentials when asked, or says loudly why it does neither. Each
 * path runs against the sandbox and ends with a routed call that works and one audit line for the repair.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { isCoreError } from "@podium-router/errors";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import type { OnboardingInput, OnboardingOptions, OnboardingResult } from "./onboarding.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

let h: Harness | undefined;
let secrets = "";
beforeEach(async () => {
  secrets = await mkdtemp(join(tmpdir(), "pr-repair-secrets-"));
  await writeFile(join(secrets, "id"), cs.app.clientId, { mode: 0o600 });
  await writeFile(join(secrets, "secret"), cs.app.clientSecret, { mode: 0o600 });
  await writeFile(join(secrets, "id-alt"), cs.app.clientId, { mode: 0o600 });
  await writeFile(join(secrets, "secret-alt"), cs.app.clientSecret, { mode: 0o600 });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await rm(secrets, { recursive: true, force: true });
});

/** A router with two configured apps for coastal-smiles (the same Podium app, its secrets in different files). */
async function harness(): Promise<Harness> {
  h = await createHarness({
    settings: {
      upstream: { retry: { max_attempts: 1 } },
      oauth_apps: {
        coastal: { client_id_ref: `file:${join(secrets, "id")}`, client_secret_ref: `file:${join(secrets, "secret")}` },
        "coastal-alt": { client_id_ref: `file:${join(secrets, "id-alt")}`, client_secret_ref: `file:${join(secrets, "secret-alt")}` },
      },
    },
  });
  return h;
}

const token = (hh: Harness, grantId: string): string => fixtureGrant(hh.sandbox, grantId).refreshToken;

/** One location as a caller over the wire sends it: an app name and the token's value. */
const input = (uid: string, refreshToken: string, oauthApp = "coastal", orgSlug: string = cs.slug): OnboardingInput => ({ locationUid: uid, orgSlug, oauthApp, refreshToken });

async function onboard(hh: Harness, one: OnboardingInput, opts: OnboardingOptions = {}): Promise<OnboardingResult> {
  const results: OnboardingResult[] = [];
  for await (const r of hh.router.onboardLocations([one], opts)) results.push(r);
  expect(results).toHaveLength(1);
  return results[0] as OnboardingResult;
}

async function callCode(hh: Harness, uid: string, path = "/v4/contacts"): Promise<string> {
  try {
    const res = await hh.router.call({ locationUid: uid, method: "GET", path });
    return String(res.status);
  } catch (err) {
    if (isCoreError(err)) return err.code;
    throw err;
  }
}

/** The OnboardLocations lines written for `uid` since `from` (an index into the audit lines). */
async function onboardingLines(hh: Harness, uid: string, from: number) {
  return (await hh.auditLines()).slice(from).filter((l) => l.location_uid === uid && l.endpoint === "router:OnboardLocations");
}

describe("onboarding a registered location again", () => {
  it("auth-failed: the same refused token is refused loudly; a new token repairs it, verified first", async () => {
    const hh = await harness();
    expect((await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)))).outcome).toBe("onboarded");
    expect(await callCode(hh, SYDNEY)).toBe("200");
    hh.sandbox.setFaults({ revokedGrants: [cs.sydneyGrant.grantId], expireAllTokens: true });
    expect(await callCode(hh, SYDNEY)).toBe("ERR_LOC_AUTH");
    const stored = await hh.router.store.get(SYDNEY);

    // The token Podium refuses, again: not "already onboarded", and nothing changes.
    const same = await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    expect(same).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_AUTH" });
    expect(same.message).toContain(`location ${SYDNEY} is still broken (Podium refused its stored credential)`);
    expect(same.message).toContain("the refresh token given is the stored one");
    expect(await hh.router.store.get(SYDNEY)).toEqual(stored);

    // A new token (the owner's consent): verified, then stored in one write; calls work again.
    const before = (await hh.auditLines()).length;
    const repaired = await onboard(hh, input(SYDNEY, token(hh, cs.ownerGrant.grantId)));
    expect(repaired).toMatchObject({ outcome: "replaced" });
    expect(repaired.message).toContain("repaired: Podium refused its stored credential; given refresh token");
    expect(await callCode(hh, SYDNEY)).toBe("200");
    expect(await onboardingLines(hh, SYDNEY, before)).toMatchObject([{ status: 200 }]);
    expect((await onboardingLines(hh, SYDNEY, before))[0]?.error_code).toBeUndefined();
    const now = await hh.router.store.get(SYDNEY);
    expect(now?.refreshTokenFile).not.toBe(stored?.refreshTokenFile);
    expect((await readFile(now!.refreshTokenFile, "utf8")).trim()).toBe(token(hh, cs.ownerGrant.grantId));
    await expect(stat(stored!.refreshTokenFile)).rejects.toMatchObject({ code: "ENOENT" }); // the refused one is gone
    expect(await hh.router.getLocationStatus(SYDNEY)).toMatchObject({ authState: "valid", lastErrorCode: undefined });
  });

  it("deleted, then restored in Podium: refused while Podium still answers 404, repaired with the same credentials once restored", async () => {
    const hh = await harness();
    await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    hh.sandbox.setFaults({ deletedLocations: [SYDNEY] });
    expect(await callCode(hh, SYDNEY, `/v4/locations/${SYDNEY}`)).toBe("ERR_LOC_DELETED");
    expect((await hh.router.store.get(SYDNEY))?.state).toBe("deleted");

    const still = await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    expect(still).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_DELETED" });
    expect(still.message).toContain("Podium still answers 404");
    expect((await hh.router.store.get(SYDNEY))?.state).toBe("deleted");

    hh.sandbox.setFaults({ deletedLocations: [] });
    expect(await callCode(hh, SYDNEY)).toBe("ERR_LOC_DELETED"); // the router does not guess
    const before = (await hh.auditLines()).length;
    const restored = await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    expect(restored).toMatchObject({ outcome: "replaced" });
    expect(restored.message).toContain("repaired: it was marked deleted (Podium answered 404); re-verified with the same credentials");
    expect((await hh.router.store.get(SYDNEY))?.state).toBe("active");
    expect(await callCode(hh, SYDNEY)).toBe("200");
    expect(await onboardingLines(hh, SYDNEY, before)).toMatchObject([{ status: 200 }]);
  });

  it("not in scope: repaired with a credential whose grant reaches the location", async () => {
    const hh = await harness();
    // Registered earlier with the front desk's grant, which reaches Sydney only.
    await hh.register(BURLEIGH, fixtureGrant(hh.sandbox, cs.sydneyGrant.grantId), cs.slug, cs.organizationUid);
    await hh.restart();
    expect(await callCode(hh, BURLEIGH)).toBe("ERR_LOC_NOT_IN_SCOPE");

    const before = (await hh.auditLines()).length;
    const repaired = await onboard(hh, input(BURLEIGH, token(hh, cs.ownerGrant.grantId)));
    expect(repaired).toMatchObject({ outcome: "replaced" });
    expect(repaired.message).toContain(`repaired: it was not in its credential's scope; given OAuth app (stored: other references; given: "coastal"), refresh token`);
    expect(await callCode(hh, BURLEIGH)).toBe("200");
    expect(await onboardingLines(hh, BURLEIGH, before)).toMatchObject([{ status: 200 }]);
    expect(await hh.router.listLocations()).toMatchObject([{ locationUid: BURLEIGH, oauthApp: "coastal", name: "Burleigh Heads" }]);
  });

  it("changed credentials for a working location: skipped or refused naming the difference; replaced only when asked, verified first", async () => {
    const hh = await harness();
    await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    const stored = await hh.router.store.get(SYDNEY);

    expect(await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)))).toMatchObject({ outcome: "skipped_existing", message: "already onboarded and working; nothing changed" });
    // Another token only: Podium may have rotated the stored one, so it is kept, and the message says so.
    const otherToken = await onboard(hh, input(SYDNEY, token(hh, cs.ownerGrant.grantId)));
    expect(otherToken).toMatchObject({ outcome: "skipped_existing" });
    expect(otherToken.message).toContain("the refresh token given differs from the stored one");
    expect(otherToken.message).toContain("--replace");
    // Another app (or org slug): refused, naming the difference.
    const otherApp = await onboard(hh, input(SYDNEY, token(hh, cs.ownerGrant.grantId), "coastal-alt"));
    expect(otherApp).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_ALREADY_ONBOARDED" });
    expect(otherApp.message).toContain(`the input differs in OAuth app (stored: "coastal"; given: "coastal-alt"), refresh token`);
    expect(await hh.router.store.get(SYDNEY)).toEqual(stored);
    // A dry run of the replacement checks the new credentials and changes nothing.
    const dry = await onboard(hh, input(SYDNEY, token(hh, cs.ownerGrant.grantId), "coastal-alt"), { replace: true, dryRun: true });
    expect(dry).toMatchObject({ outcome: "checked" });
    expect(dry.message).toContain("a real run would be: credentials replaced");
    expect(await hh.router.store.get(SYDNEY)).toEqual(stored);
    // Credentials that do not work never replace ones that do.
    const wrong = await onboard(hh, input(SYDNEY, "sbx-rt-not-a-token", "coastal-alt"), { replace: true });
    expect(wrong).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_AUTH" });
    expect(wrong.message).toContain("were kept: the ones given did not verify");
    expect(await hh.router.store.get(SYDNEY)).toEqual(stored);
    expect(await callCode(hh, SYDNEY)).toBe("200");

    const before = (await hh.auditLines()).length;
    const replaced = await onboard(hh, input(SYDNEY, token(hh, cs.ownerGrant.grantId), "coastal-alt"), { replace: true });
    expect(replaced).toMatchObject({ outcome: "replaced" });
    expect(replaced.message).toContain(`credentials replaced (OAuth app (stored: "coastal"; given: "coastal-alt"), refresh token)`);
    expect(await hh.router.store.get(SYDNEY)).toMatchObject({ clientIdRef: `file:${join(secrets, "id-alt")}` });
    expect((await hh.router.listLocations())[0]?.oauthApp).toBe("coastal-alt");
    expect(await callCode(hh, SYDNEY)).toBe("200");
    expect(await onboardingLines(hh, SYDNEY, before)).toMatchObject([{ status: 200 }]);
  });

  it("bulk replace: each registered location replaced or skipped on its own merits, new ones onboarded", async () => {
    const hh = await harness();
    await onboard(hh, input(SYDNEY, token(hh, cs.sydneyGrant.grantId)));
    await onboard(hh, input(BURLEIGH, token(hh, cs.ownerGrant.grantId)));
    const owner = token(hh, cs.ownerGrant.grantId);
    const before = (await hh.auditLines()).length;
    const results: OnboardingResult[] = [];
    for await (const r of hh.router.onboardLocations([input(SYDNEY, owner), input(BURLEIGH, owner), input(cs.locations.newcastle, owner)], { replace: true })) results.push(r);
    expect(Object.fromEntries(results.map((r) => [r.locationUid, r.outcome]))).toEqual({ [SYDNEY]: "replaced", [BURLEIGH]: "skipped_existing", [cs.locations.newcastle]: "onboarded" });
    for (const uid of [SYDNEY, BURLEIGH, cs.locations.newcastle]) expect(await callCode(hh, uid)).toBe("200");
    expect(await onboardingLines(hh, SYDNEY, before)).toMatchObject([{ status: 200 }]);
  });
});

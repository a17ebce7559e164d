/**
 * Repairs over the wire, as an operator types them: `dev` in-process (real sandbox, core and server on port 0),
 * Podium's failures switched on through the sandbox's admin API, and the CLI through main() with the real client.
 * Each repair ends with a routed call that works and exactly one audit line for it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { main } from "../cli.js";
import { approveConsent } from "../testing/consent-browser.js";
import { createMemoryIo } from "../testing/memory-io.js";
import type { MemoryIo } from "../testing/memory-io.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

describe("repairing a broken location from the CLI", () => {
  let stateDir = "";
  let dev: MemoryIo;
  let exit: Promise<number>;
  let url = "";
  let sandboxUrl = "";
  const apiKey = "k-repair-spec";
  const secrets = (): string => join(stateDir, "secrets");
  const sydneyToken = (): string => join(secrets(), `${cs.sydneyGrant.grantId}.refresh-token`);
  const ownerToken = (): string => join(secrets(), `${cs.ownerGrant.grantId}.refresh-token`);

  const io = (): MemoryIo => createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: apiKey }, cwd: stateDir });
  const cli = async (...argv: string[]) => {
    const mem = io();
    const code = await main(argv, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  };
  const faults = async (patch: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${sandboxUrl}/_sandbox/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(patch) });
    expect(res.status).toBe(200);
  };
  const callSydney = () => cli("call", "GET", "/v4/contacts?limit=1", "--location-uid", SYDNEY);
  /** Sydney's OnboardLocations audit lines (the repair's RPC). */
  const repairLines = async (): Promise<{ status: number; error_code?: string; caller?: string }[]> => {
    const audit = await cli("audit", "--location-uid", SYDNEY, "--output", "ndjson");
    return audit.stdout
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { endpoint: string; status: number; error_code?: string; caller?: string })
      .filter((l) => l.endpoint === "router:OnboardLocations");
  };
  /** Revokes the front desk's grant (Sydney's credential) and expires every access token Podium issued. */
  const breakSydney = async (): Promise<void> => {
    await faults({ revokedGrants: [cs.sydneyGrant.grantId], expireAllTokens: true });
    const broken = await callSydney();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("ERR_LOC_AUTH");
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "podium-router-repair-"));
    dev = createMemoryIo();
    exit = main(["dev", "--port", "0", "--sandbox-port", "0", "--state-dir", stateDir, "--api-key", apiKey], dev.io);
    while (!dev.stdout().includes("Press Ctrl-C")) {
      if (dev.stderr().includes("podium-router:")) throw new Error(dev.stderr());
      await new Promise((r) => setTimeout(r, 20));
    }
    url = /router {3}(http:\/\/\S+)/.exec(dev.stdout())![1]!;
    sandboxUrl = /sandbox {2}(http:\/\/\S+)/.exec(dev.stdout())![1]!;
  });
  afterAll(async () => {
    dev.shutdown();
    await exit;
    await rm(stateDir, { recursive: true, force: true });
  });

  it("auth-failed: status names the repair; onboarding the refused token again is refused loudly; reauthorize with a new token repairs", async () => {
    expect((await callSydney()).code).toBe(0);
    await breakSydney();
    const status = await cli("locations", "status", "--location-uid", SYDNEY, "--output", "json");
    expect(JSON.parse(status.stdout)).toMatchObject({ auth_state: "failed", last_error_code: "ERR_LOC_AUTH", oauth_app: cs.slug });
    expect(status.stderr).toContain(`repair: podium-router locations reauthorize --location-uid ${SYDNEY} --authorize`);

    // The documented repair of old ("onboard it again") with the same token: exit 1, saying why, never "nothing changed".
    const same = await cli("onboard", "--location-uid", SYDNEY, "--org-slug", cs.slug, "--oauth-app", cs.slug, "--refresh-token-file", sydneyToken(), "--output", "json");
    expect(same.code).toBe(1);
    expect(JSON.parse(same.stdout)).toMatchObject([{ outcome: "failed", error_code: "ERR_LOC_AUTH", message: expect.stringContaining("still broken") }]);
    expect(JSON.parse(same.stdout)[0].message).toContain("the refresh token given is the stored one");

    const before = (await repairLines()).length;
    const repaired = await cli("locations", "reauthorize", "--location-uid", SYDNEY, "--refresh-token-file", ownerToken(), "--output", "json");
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject([{ location_uid: SYDNEY, outcome: "replaced", message: expect.stringContaining("repaired: Podium refused its stored credential") }]);
    expect((await callSydney()).code).toBe(0);
    expect((await repairLines()).slice(before)).toMatchObject([{ status: 200, caller: "dev" }]);
  });

  it("reauthorize --authorize: a consent in the browser replaces the credential once verified", async () => {
    // Sydney now runs on the owner's grant: Podium revokes it, then the owner re-approves the app.
    await faults({ revokedGrants: [cs.ownerGrant.grantId], expireAllTokens: true });
    expect((await callSydney()).stderr).toContain("ERR_LOC_AUTH");
    await faults({ revokedGrants: [] });
    // The router never resends a refresh token Podium refused: calls keep failing until a new credential comes.
    expect((await callSydney()).stderr).toContain("ERR_LOC_AUTH");
    const before = (await repairLines()).length;
    const mem = io();
    const running = main(["locations", "reauthorize", "--location-uid", SYDNEY, "--authorize"], mem.io);
    const { page } = await approveConsent(mem, running);
    expect(page).toContain("you can close this tab");
    expect(await running, mem.stderr()).toBe(0);
    expect(mem.stdout()).toMatch(new RegExp(`\\n${SYDNEY}\\s+replaced\\s+"Sydney" .*repaired: Podium refused its stored credential`));
    expect((await callSydney()).code).toBe(0);
    expect((await repairLines()).slice(before)).toMatchObject([{ status: 200 }]);
  });

  it("deleted, then restored in Podium: `onboard` again makes it live again", async () => {
    await faults({ deletedLocations: [SYDNEY] });
    expect((await cli("call", "GET", `/v4/locations/${SYDNEY}`, "--location-uid", SYDNEY)).stderr).toContain("ERR_LOC_DELETED");
    const status = await cli("locations", "status", "--location-uid", SYDNEY);
    expect(status.stderr).toContain("repair: if Podium restored the location, run `podium-router onboard` for it again");
    await faults({ deletedLocations: [] });
    const before = (await repairLines()).length;
    const again = await cli("onboard", "--location-uid", SYDNEY, "--org-slug", cs.slug, "--oauth-app", cs.slug, "--refresh-token-file", ownerToken(), "--output", "json");
    expect(again.code, again.stdout).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject([{ outcome: "replaced", message: expect.stringContaining("repaired: it was marked deleted") }]);
    expect((await callSydney()).code).toBe(0);
    expect((await repairLines()).slice(before)).toMatchObject([{ status: 200 }]);
  });

  it("bulk: a working location given another token is kept (and says --replace); --replace replaces it, verified, one audit line", async () => {
    await writeFile(
      join(stateDir, "bulk.csv"),
      `location_uid,org_slug,oauth_app,refresh_token_file\n${SYDNEY},${cs.slug},${cs.slug},${sydneyToken()}\n${BURLEIGH},${cs.slug},${cs.slug},${ownerToken()}\n`,
    );
    const kept = await cli("onboard", "--from-file", "bulk.csv", "--output", "json");
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject([
      { location_uid: SYDNEY, outcome: "skipped_existing", message: expect.stringContaining("the refresh token given differs from the stored one") },
      { location_uid: BURLEIGH, outcome: "skipped_existing", message: "already onboarded and working; nothing changed" },
    ]);
    expect(kept.stderr).toContain("run again with --replace");

    const before = (await repairLines()).length;
    const replaced = await cli("onboard", "--from-file", "bulk.csv", "--replace", "--output", "json");
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject([
      { location_uid: SYDNEY, outcome: "replaced", message: expect.stringContaining("credentials replaced (refresh token)") },
      { location_uid: BURLEIGH, outcome: "skipped_existing" },
    ]);
    expect((await callSydney()).code).toBe(0);
    expect((await repairLines()).slice(before)).toMatchObject([{ status: 200 }]);
  });

  it("another app for a working location without --replace: exit 1, ERR_LOC_ALREADY_ONBOARDED naming the difference", async () => {
    const other = await cli("onboard", "--location-uid", SYDNEY, "--org-slug", "coastal-smiles-2", "--oauth-app", cs.slug, "--refresh-token-file", ownerToken(), "--output", "json");
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject([{ outcome: "failed", error_code: "ERR_LOC_ALREADY_ONBOARDED", message: expect.stringContaining('org slug (stored: "coastal-smiles"; given: "coastal-smiles-2")') }]);
    expect((await callSydney()).code).toBe(0);
  });
});

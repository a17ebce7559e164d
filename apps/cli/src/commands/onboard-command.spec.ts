import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@podium-router/client";
import type { LocationCredential } from "@podium-router/client";
import { createFakeRouter } from "@podium-router/client/testing";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const header = "location_uid,org_slug,oauth_app,refresh_token_file";
const tokenOf = (uid: string): string => `sbx-rt-${uid}-0001`;

describe("onboardCommand()", () => {
  let dir = "";
  let bulk = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-router-onboard-"));
    bulk = join(dir, "locations.csv");
    await mkdir(join(dir, "tokens"));
    for (const uid of ["loc-a", "loc-b", "loc-c"]) await writeFile(join(dir, "tokens", uid), `${tokenOf(uid)}\n`, { mode: 0o600 });
    await writeFile(join(dir, "rt.txt"), tokenOf("loc-a"), { mode: 0o600 });
    await writeFile(bulk, `${header}\n${["loc-a", "loc-b", "loc-c"].map((u) => `${u},coastal-smiles,coastal-smiles,tokens/${u}`).join("\n")}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fake router that records every location the CLI sent. */
  function recordingRouter(): { fake: ReturnType<typeof createFakeRouter>; sent: LocationCredential[] } {
    const sent: LocationCredential[] = [];
    const fake = createFakeRouter();
    const original = fake.service.onboardLocations!.bind(fake.service);
    fake.service.onboardLocations = (req, ctx) => {
      sent.push(...req.locations);
      return original(req, ctx);
    };
    return { fake, sent };
  }

  it("onboards one location from flags: the app by name, the token read from the local file and sent as its value", async () => {
    const { fake, sent } = recordingRouter();
    const run = await runWithFakeRouter(["onboard", "--location-uid", "loc-a", "--org-slug", "coastal-smiles", "--oauth-app", "coastal-smiles", "--refresh-token-file", "rt.txt"], { router: fake, cwd: dir });
    expect(run.code).toBe(0);
    expect(sent.map((l) => ({ locationUid: l.locationUid, orgSlug: l.orgSlug, oauthApp: l.oauthApp, refreshToken: l.refreshToken }))).toEqual([
      { locationUid: "loc-a", orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshToken: tokenOf("loc-a") },
    ]);
    // No path of this machine travels to the router.
    expect(JSON.stringify(sent)).not.toContain(dir);
    expect(run.stdout).toMatch(/^LOCATION_UID\s+OUTCOME\s+ERROR_CODE\s+MESSAGE\nloc-a\s+onboarded\s+onboarded\n1 onboarded\n$/);
    expect(run.stdout + run.stderr).not.toContain(tokenOf("loc-a"));
  });

  it("reads each bulk row's token file (relative to the bulk file) and sends the values", async () => {
    const { fake, sent } = recordingRouter();
    const run = await runWithFakeRouter(["onboard", "--from-file", bulk], { router: fake });
    expect(run.code).toBe(0);
    expect(sent.map((l) => [l.locationUid, l.oauthApp, l.refreshToken])).toEqual(["loc-a", "loc-b", "loc-c"].map((u) => [u, "coastal-smiles", tokenOf(u)]));
  });

  it.each([
    ["a token file that does not exist", "missing.rt", /^podium-router: cannot read the refresh-token file .*missing\.rt: ENOENT\n$/],
    ["an empty token file", "empty.rt", /^podium-router: the refresh-token file .*empty\.rt is empty\n$/],
    ["a token file of two lines", "two.rt", /^podium-router: the refresh-token file .*two\.rt has more than one line/],
    ["a token file far larger than a token", "big.rt", /^podium-router: .*big\.rt is 20000 bytes; a refresh-token file holds the token alone/],
  ])("refuses %s before anything is sent, exit 2, never printing its content", async (_what, name, message) => {
    await writeFile(join(dir, "empty.rt"), "\n");
    await writeFile(join(dir, "two.rt"), "sbx-rt-one\nsbx-rt-two\n");
    await writeFile(join(dir, "big.rt"), "x".repeat(20_000));
    const run = await runWithFakeRouter(["onboard", "--location-uid", "loc-a", "--org-slug", "o", "--oauth-app", "a", "--refresh-token-file", name], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain("sbx-rt-");
    expect(run.fake.received).toEqual([]);
  });

  it("refuses to send refresh tokens in cleartext to another host unless --allow-cleartext", async () => {
    const args = ["onboard", "--location-uid", "loc-a", "--org-slug", "o", "--oauth-app", "a", "--refresh-token-file", "rt.txt"];
    const refused = await runWithFakeRouter(["--server", "http://192.0.2.9:8080", ...args], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^podium-router: refusing to send refresh tokens in cleartext to 192\.0\.2\.9:8080: use an https:\/\/ --server, or --allow-cleartext/);
    expect(refused.fake.received).toEqual([]);
    for (const server of ["https://192.0.2.9:8443", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2:8080"]) {
      expect((await runWithFakeRouter(["--server", server, ...args], { cwd: dir })).code, server).toBe(0);
    }
    expect((await runWithFakeRouter(["--server", "http://192.0.2.9:8080", ...args, "--allow-cleartext"], { cwd: dir })).code).toBe(0);
  });

  it("is safe to re-run: locations already onboarded are skipped_existing, exit 0", async () => {
    const fake = createFakeRouter();
    const first = await runWithFakeRouter(["onboard", "--from-file", bulk], { router: fake });
    const second = await runWithFakeRouter(["onboard", "--from-file", bulk], { router: fake });
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.stdout).toMatch(/\n3 onboarded\n$/);
    expect(second.stdout).toMatch(/\n3 skipped_existing\n$/);
  });

  it("reports a partial failure with the error code per location and exits 1", async () => {
    const run = await runWithFakeRouter(["onboard", "--from-file", bulk, "--output", "json"], { router: { failOnboarding: ["loc-b"] } });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      { location_uid: "loc-a", outcome: "onboarded", message: "onboarded" },
      { location_uid: "loc-b", outcome: "failed", error_code: "ERR_LOC_NOT_IN_SCOPE", message: expect.stringContaining("re-authorize") },
      { location_uid: "loc-c", outcome: "onboarded", message: "onboarded" },
    ]);
    expect(run.stderr).toMatch(/^podium-router: 1 of 3 locations not onboarded \(ERR_LOC_ONBOARDING_PARTIAL\); fix them and run the same command again/);
  });

  it("checks without changing anything with --dry-run", async () => {
    const fake = createFakeRouter();
    const run = await runWithFakeRouter(["onboard", "--from-file", bulk, "--dry-run"], { router: fake });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n3 checked\n$/);
    expect(fake.locations.size).toBe(0);
  });

  it("refuses a bad bulk file before anything is sent, exit 2", async () => {
    const dup = join(dir, "dup.csv");
    await writeFile(dup, `${header}\nloc-a,o,acme,rt\nloc-a,o,acme,rt\n`);
    const run = await runWithFakeRouter(["onboard", "--from-file", dup]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`podium-router: ${dup}:3: duplicate location_uid loc-a (first on line 2)\n`);
    expect(run.fake.received).toEqual([]);
  });

  it("draws a progress bar only on a terminal", async () => {
    const tty = await runWithFakeRouter(["onboard", "--from-file", bulk], { isTTY: true });
    const pipe = await runWithFakeRouter(["onboard", "--from-file", bulk], { isTTY: false });
    expect(tty.stderr).toMatch(/onboarding \[.*\] 3\/3/);
    expect(pipe.stderr).toBe("");
  });

  it("prints what finished before the stream broke, then the error", async () => {
    const fake = createFakeRouter();
    fake.service.onboardLocations = async function* (req) {
      yield { locationUid: req.locations[0]!.locationUid, outcome: 1, message: "onboarded" };
      throw new ConnectError("connection lost", Code.Unavailable);
    };
    const run = await runWithFakeRouter(["onboard", "--from-file", bulk], { router: fake });
    expect(run.stdout).toMatch(/loc-a\s+onboarded/);
    expect(run.stdout).toMatch(/loc-b\s+no_result/);
    expect(run.stderr).toMatch(/^podium-router: .*connection lost/m);
    expect(run.code).toBe(2);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@podium-router/client";
import type { LocationCredential } from "@podium-router/client";
import { createFakeRouter } from "@podium-router/client/testing";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const header = "location_uid,org_slug,client_id_ref,client_secret_ref,refresh_token_file";

describe("onboardCommand()", () => {
  let dir = "";
  let bulk = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-router-onboard-"));
    bulk = join(dir, "locations.csv");
    await writeFile(bulk, `${header}\n${["loc-a", "loc-b", "loc-c"].map((u) => `${u},coastal-smiles,env:PODIUM_ID,env:PODIUM_SECRET,tokens/${u}`).join("\n")}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("onboards one location from flags, with absolute references, and exits 0", async () => {
    const sent: LocationCredential[] = [];
    const fake = createFakeRouter();
    const original = fake.service.onboardLocations!.bind(fake.service);
    fake.service.onboardLocations = (req, ctx) => {
      sent.push(...req.locations);
      return original(req, ctx);
    };
    const run = await runWithFakeRouter(
      ["onboard", "--location-uid", "loc-a", "--org-slug", "coastal-smiles", "--client-id-env", "PODIUM_ID", "--client-secret-file", "secret.txt", "--refresh-token-file", "rt.txt"],
      { router: fake, cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(sent).toMatchObject([{ locationUid: "loc-a", orgSlug: "coastal-smiles", clientIdRef: "env:PODIUM_ID", clientSecretRef: `file:${join(dir, "secret.txt")}`, refreshTokenFile: join(dir, "rt.txt") }]);
    expect(run.stdout).toMatch(/^LOCATION_UID\s+OUTCOME\s+ERROR_CODE\s+MESSAGE\nloc-a\s+onboarded\s+onboarded\n1 onboarded\n$/);
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
    await writeFile(dup, `${header}\nloc-a,o,env:I,env:S,rt\nloc-a,o,env:I,env:S,rt\n`);
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

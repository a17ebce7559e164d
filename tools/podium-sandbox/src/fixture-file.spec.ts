import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startSandbox, tokenFor } from "../test/harness.js";
import type { SandboxFixture } from "./fixture.js";
import { InvalidFixtureError, loadFixtureFile, validateFixture } from "./fixture-file.js";
import { defaultFixture, defaultFixtureIds } from "./fixtures/default-fixture.js";

const tiny: SandboxFixture = {
  orgs: [{ slug: "solo", organizationUid: "00000000-0000-4000-8000-00000000a000", businessName: "Solo", locations: [{ uid: "00000000-0000-4000-8000-00000000a001", name: "Only" }] }],
  users: [{ uid: "u1", email: "u1@solo.example", firstName: "U", lastName: "One", orgSlug: "solo" }],
  apps: [{ clientId: "c1", clientSecret: "s1", name: "Solo app" }],
  grants: [{ grantId: "g1", clientId: "c1", userUid: "u1", orgSlug: "solo", locations: ["Only"], scopes: ["read_locations"], refreshToken: "rt-1" }],
};

describe("validateFixture()", () => {
  it("accepts the default fixture", () => {
    expect(validateFixture(JSON.parse(JSON.stringify(defaultFixture)))).toEqual(defaultFixture);
  });

  it.each([
    [{ ...tiny, orgs: "x" }, "fixture orgs must be an array"],
    [{ ...tiny, apps: [{ clientId: "c" }] }, "fixture apps[0].clientSecret must be a non-empty string"],
    [{ ...tiny, grants: [{ ...tiny.grants[0], scopes: "read_locations" }] }, "fixture grants[0].scopes must be an array"],
    [{ ...tiny, resources: [] }, "fixture resources must be an object"],
    [{ ...tiny, resources: { gizmos: [] } }, /fixture resources\.gizmos is not a resource kind/],
    [{ ...tiny, resources: { reviews: [{ locations: [] }] } }, "fixture resources.reviews[0].uid must be a non-empty string"],
  ])("refuses a broken fixture naming the path (%#)", (raw, message) => {
    expect(() => validateFixture(raw)).toThrow(InvalidFixtureError);
    expect(() => validateFixture(raw)).toThrow(message);
  });
});

describe("loadFixtureFile()", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-sandbox-fixture-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("loads a JSON fixture a sandbox then serves", async () => {
    const path = join(dir, "tiny.json");
    await writeFile(path, JSON.stringify(tiny));
    const sandbox = await startSandbox({ fixture: await loadFixtureFile(path) });
    try {
      const token = await tokenFor(sandbox, "g1");
      expect((await call(sandbox, "GET", "/v4/locations", { token })).body.data.map((l: { name: string }) => l.name)).toEqual(["Only"]);
    } finally {
      await sandbox.close();
    }
  });

  it("names the file when it is missing or not JSON", async () => {
    await expect(loadFixtureFile(join(dir, "absent.json"))).rejects.toThrow(/cannot read fixture file .*absent\.json/);
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{");
    await expect(loadFixtureFile(bad)).rejects.toThrow(/bad\.json is not valid JSON/);
  });

  it("refuses grants naming unknown orgs, apps or locations when a sandbox loads them", async () => {
    await expect(startSandbox({ fixture: { ...tiny, grants: [{ ...tiny.grants[0]!, locations: ["Nowhere"] }] } })).rejects.toThrow('fixture grant g1: no location "Nowhere" in org solo');
    await expect(startSandbox({ fixture: { ...tiny, grants: [{ ...tiny.grants[0]!, clientId: "c9" }] } })).rejects.toThrow("unknown clientId c9");
  });
});

describe("defaultFixture", () => {
  it("loads seeded resources from a file, and names a resource that refers to an unknown location", async () => {
    const loc = tiny.orgs[0]?.locations[0]?.uid as string;
    const review = { uid: "r-1", locations: [loc], rating: 5, body: "Good", siteName: "Google", authorName: "Ann" };
    const dir = await mkdtemp(join(tmpdir(), "sbx-resources-"));
    try {
      const grants = [{ ...(tiny.grants[0] as SandboxFixture["grants"][number]), scopes: ["read_reviews"] }];
      await writeFile(join(dir, "ok.json"), JSON.stringify({ ...tiny, grants, resources: { reviews: [review] } }));
      const sandbox = await startSandbox({ fixture: await loadFixtureFile(join(dir, "ok.json")) });
      try {
        const token = await tokenFor(sandbox, "g1");
        expect((await call(sandbox, "GET", "/v4/reviews/r-1", { token })).body.data).toMatchObject({ uid: "r-1", locations: [{ uid: loc }] });
        expect(sandbox.fixture.resources).toEqual({ reviews: [review] });
      } finally {
        await sandbox.close();
      }
      await expect(startSandbox({ fixture: { ...tiny, resources: { reviews: [{ ...review, locations: ["nowhere"] }] } } })).rejects.toThrow("fixture resources.reviews[0]: unknown location nowhere");
      await expect(startSandbox({ fixture: { ...tiny, resources: { reviews: [review, review] } } })).rejects.toThrow("fixture resources.reviews[1]: uid r-1 appears twice");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("holds coastal-smiles (Sydney, Burleigh Heads under one grant; a Sydney-only grant) and harbour-auto", () => {
    const [coastal, harbour] = defaultFixture.orgs;
    expect(coastal?.slug).toBe("coastal-smiles");
    expect(coastal?.locations.map((l) => l.name)).toEqual(expect.arrayContaining(["Sydney", "Burleigh Heads"]));
    expect(harbour?.slug).toBe("harbour-auto");
    expect(harbour?.locations).toHaveLength(2);
    const grants = defaultFixture.grants.filter((g) => g.orgSlug === "coastal-smiles");
    expect(grants.map((g) => g.locations)).toEqual([expect.arrayContaining(["Sydney", "Burleigh Heads"]), ["Sydney"]]);
    expect(defaultFixtureIds.coastalSmiles.locations.sydney).toBe(coastal?.locations[0]?.uid);
  });
});

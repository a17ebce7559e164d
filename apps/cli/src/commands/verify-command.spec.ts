import { describe, expect, it } from "vitest";
import { runWithFakeRouter } from "../testing/run-with-fake-router.js";

const locations = [
  { locationUid: "loc-sydney", orgSlug: "coastal-smiles" },
  { locationUid: "loc-hidden", orgSlug: "coastal-smiles", inScope: false },
  { locationUid: "loc-gone", orgSlug: "coastal-smiles", state: "deleted" as const },
];

describe("verifyCommand()", () => {
  it("exits 0 and says so when the location is in scope", async () => {
    const run = await runWithFakeRouter(["verify", "--location-uid", "loc-sydney", "--force"], { router: { locations } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^loc-sydney is in scope \(org coastal-smiles, verified at 2026-01-01T00:00:00.000Z, checked with Podium now\)\n$/);
    expect(run.stderr).toBe("");
  });

  for (const [uid, code] of [
    ["loc-hidden", "ERR_LOC_NOT_IN_SCOPE"],
    ["loc-unknown", "ERR_LOC_UNKNOWN"],
    ["loc-gone", "ERR_LOC_DELETED"],
  ] as const) {
    it(`exits 1 with ${code} on stderr for ${uid}`, async () => {
      const run = await runWithFakeRouter(["verify", "--location-uid", uid], { router: { locations } });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(new RegExp(`^podium-router: .+\\(${code}\\)\\n$`));
    });
  }

  it("exits 2 when the router refuses the API key", async () => {
    const run = await runWithFakeRouter(["verify", "--location-uid", "loc-sydney", "--api-key", "wrong"], { router: { locations, apiKey: "right" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^podium-router: .*\(ERR_LOC_UNAUTHENTICATED\)\n$/);
  });

  it("exits 2 when the router cannot be reached", async () => {
    // A real client on a port nothing listens on: the transport error has no ERR_LOC_* reason.
    const { main } = await import("../cli.js");
    const { createMemoryIo } = await import("../testing/memory-io.js");
    const mem = createMemoryIo();
    const code = await main(["verify", "--location-uid", "loc-sydney", "--server", "http://127.0.0.1:1"], mem.io);
    expect(code).toBe(2);
    expect(mem.stderr()).toMatch(/^podium-router: cannot get an answer from the router at http:\/\/127\.0\.0\.1:1: .*\[Unavailable\]\n$/);
  });
});

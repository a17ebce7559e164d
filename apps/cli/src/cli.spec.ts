import { describe, expect, it } from "vitest";
import { cliVersion, main } from "./cli.js";
import { commandNames } from "./command-options.js";
import { createMemoryIo } from "./testing/memory-io.js";
import { runWithFakeRouter } from "./testing/run-with-fake-router.js";
import { commandUsage, mainUsage } from "./usage.js";

describe("main()", () => {
  it("prints the usage for --help and exits 0", async () => {
    const mem = createMemoryIo();
    expect(await main(["--help"], mem.io)).toBe(0);
    expect(mem.stdout()).toBe(mainUsage);
  });

  for (const command of commandNames) {
    it(`prints the usage of ${command} for ${command} --help`, async () => {
      const mem = createMemoryIo();
      expect(await main([command, "--help"], mem.io)).toBe(0);
      expect(mem.stdout()).toBe(commandUsage[command]);
      expect(mem.stdout()).toMatch(new RegExp(`^Usage: podium-router ${command}`));
    });
  }

  it("prints the version for --version", async () => {
    const mem = createMemoryIo();
    expect(await main(["--version"], mem.io)).toBe(0);
    expect(mem.stdout()).toBe(`${cliVersion}\n`);
    expect(cliVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("prints a usage error as podium-router: <message> with a pointer to --help, exit 2", async () => {
    const mem = createMemoryIo();
    expect(await main(["verify"], mem.io)).toBe(2);
    expect(mem.stderr()).toBe('podium-router: missing --location-uid\nRun "podium-router verify --help" for usage.\n');
    expect(mem.stdout()).toBe("");
  });

  it("takes the server and API key from the environment", async () => {
    const run = await runWithFakeRouter(["locations", "list"], {
      env: { PODIUM_ROUTER_URL: "http://router.test:9000", PODIUM_ROUTER_API_KEY: "k-env" },
      router: { apiKey: "k-env" },
    });
    expect(run.code).toBe(0);
    expect(run.clientOptions).toMatchObject({ baseUrl: "http://router.test:9000", apiKey: "k-env", protocol: "connect" });
  });

  it("prefers --server, --api-key and --protocol over the environment", async () => {
    const run = await runWithFakeRouter(["locations", "list", "--server", "http://flag.test", "--api-key", "k-flag", "--protocol", "grpc-web"], {
      env: { PODIUM_ROUTER_URL: "http://router.test:9000", PODIUM_ROUTER_API_KEY: "k-env" },
      router: { apiKey: "k-flag" },
    });
    expect(run.code).toBe(0);
    expect(run.clientOptions).toMatchObject({ baseUrl: "http://flag.test", apiKey: "k-flag", protocol: "grpc-web" });
  });

  it("defaults to http://127.0.0.1:8080 without a key", async () => {
    const run = await runWithFakeRouter(["locations", "list"]);
    expect(run.clientOptions).toMatchObject({ baseUrl: "http://127.0.0.1:8080", apiKey: undefined });
  });

  it("refuses a malformed PODIUM_ROUTER_URL as a configuration error, exit 2", async () => {
    const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: "router:8080" } });
    expect(await main(["locations", "list"], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(/^podium-router: baseUrl must be an absolute http\(s\) URL; got "router:8080"\n$/);
  });

  // The README's exit-status column: no answer (router unreachable, key refused) is 2 for every command.
  it.each([
    ["call", ["call", "GET", "/v4/contacts", "--location-uid", "loc-1"]],
    ["audit", ["audit", "--output", "json"]],
    ["locations", ["locations", "list"]],
  ])("exits 2 from %s when the router is unreachable or refuses the key", async (_name, argv) => {
    const unreachable = createMemoryIo({ env: { PODIUM_ROUTER_URL: "http://127.0.0.1:9" } });
    expect(await main(argv, unreachable.io)).toBe(2);
    expect(unreachable.stderr()).toMatch(/^podium-router: cannot get an answer from the router at http:\/\/127\.0\.0\.1:9/);
    const refused = await runWithFakeRouter([...argv, "--api-key", "wrong"], { router: { apiKey: "right", locations: [{ locationUid: "loc-1", orgSlug: "o" }] } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("ERR_LOC_UNAUTHENTICATED");
  });

  it("never prints the API key in an error", async () => {
    const run = await runWithFakeRouter(["verify", "--location-uid", "loc-1", "--api-key", "k-very-secret"], { router: { apiKey: "other" } });
    expect(run.code).toBe(2);
    expect(run.stderr + run.stdout).not.toContain("k-very-secret");
  });
});

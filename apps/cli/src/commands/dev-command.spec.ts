import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReadmeSnippet } from "@podium-router/client/testing";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { main } from "../cli.js";
import { approveConsent } from "../testing/consent-browser.js";
import { createMemoryIo } from "../testing/memory-io.js";
import type { MemoryIo } from "../testing/memory-io.js";

const cs = defaultFixtureIds.coastalSmiles;
const sydney = cs.locations.sydney;

/**
 * `dev` in-process (real sandbox, real core, real server on port 0), then every router command through
 * main() and the real client against it, and the client README's snippet.
 */
describe("devCommand()", () => {
  let stateDir = "";
  let dev: MemoryIo;
  let exit: Promise<number>;
  let url = "";
  let apiKey = "";

  /** Runs one CLI command against the dev router. */
  const cli = async (...argv: string[]) => {
    const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: apiKey }, cwd: stateDir });
    const code = await main(argv, mem.io);
    return { code, stdout: mem.stdout(), stderr: mem.stderr() };
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "podium-router-dev-"));
    dev = createMemoryIo();
    exit = main(["dev", "--port", "0", "--sandbox-port", "0", "--state-dir", stateDir, "--api-key", "k-dev-spec"], dev.io);
    while (!dev.stdout().includes("Press Ctrl-C")) {
      if (dev.stderr().includes("podium-router:")) throw new Error(dev.stderr());
      await new Promise((r) => setTimeout(r, 20));
    }
    url = /router {3}(http:\/\/\S+)/.exec(dev.stdout())![1]!;
    apiKey = "k-dev-spec";
  });
  afterAll(async () => {
    dev.shutdown();
    await exit;
    await rm(stateDir, { recursive: true, force: true });
  });

  it("onboards Sydney and Burleigh Heads and prints a curl command that works", async () => {
    expect(dev.stdout()).toMatch(new RegExp(`Sydney\\s+${sydney}\\s+onboarded`));
    expect(dev.stdout()).toMatch(new RegExp(`Burleigh Heads\\s+${cs.locations.burleighHeads}\\s+onboarded`));
    const curl = dev.stdout().split("\n").find((l) => l.trimStart().startsWith("curl "))!;
    // Asynchronously: the router answers from this very process.
    const { stdout } = await promisify(execFile)("sh", ["-c", curl.trim()]);
    expect(JSON.parse(stdout)).toMatchObject({ status: 202, requestId: expect.any(String) });
  });

  it("verify: 0 in scope, 1 unknown", async () => {
    expect(await cli("verify", "--location-uid", sydney)).toMatchObject({ code: 0, stdout: expect.stringContaining(`${sydney} is in scope (org coastal-smiles`) });
    const unknown = await cli("verify", "--location-uid", "no-such-location");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^podium-router: .*\(ERR_LOC_UNKNOWN, request id [^)]+\)\n$/);
  });

  for (const protocol of ["grpc", "grpc-web", "connect"]) {
    it(`speaks ${protocol} to the real server, typed refusals included`, async () => {
      expect((await cli("--protocol", protocol, "verify", "--location-uid", cs.locations.burleighHeads)).code).toBe(0);
      const unknown = await cli("--protocol", protocol, "call", "GET", "/v4/contacts", "--location-uid", "no-such-location");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/\(ERR_LOC_UNKNOWN, request id [^)]+\)\n$/);
    });
  }

  it("health: SERVING from the real router's gRPC health service without a key (exit 0); no router, exit 2", async () => {
    for (const protocol of ["grpc", "connect"]) {
      const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: url } });
      expect(await main(["--protocol", protocol, "health"], mem.io), mem.stderr()).toBe(0);
      expect(mem.stdout()).toBe("SERVING\n");
    }
    const none = createMemoryIo({ env: { PODIUM_ROUTER_URL: "http://127.0.0.1:9" } });
    expect(await main(["health"], none.io)).toBe(2);
    expect(none.stderr()).toMatch(/^podium-router: cannot get an answer from the router at http:\/\/127\.0\.0\.1:9/);
  });

  it("verify: 2 with a wrong API key", async () => {
    const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: "wrong" } });
    expect(await main(["verify", "--location-uid", sydney], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(/ERR_LOC_UNAUTHENTICATED/);
  });

  it("call and audit: the call is routed and leaves one audit line", async () => {
    const call = await cli("call", "GET", "/v4/contacts?limit=5", "--location-uid", sydney, "--request-id", "spec-call-1");
    expect(call.code).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ data: expect.any(Array) });
    const audit = await cli("audit", "--location-uid", sydney, "--request-id", "spec-call-1", "--output", "ndjson");
    expect(audit.code).toBe(0);
    expect(audit.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ location_uid: sydney, endpoint: "/v4/contacts", method: "GET", status: 200, request_id: "spec-call-1" }),
    ]);
    const table = await cli("audit", "--location-uid", sydney, "--request-id", "spec-call-1");
    expect(table.stdout.split("\n")[1]).toMatch(new RegExp(`^\\S+\\s+${sydney}\\s+Sydney\\s+coastal-smiles\\s+/v4/contacts\\s+GET\\s+200\\s+spec-call-1`));
  });

  it("events tail: a contact created for Sydney comes back as Sydney's contact.created event", async () => {
    const status = await cli("locations", "status", "--location-uid", sydney, "--output", "json");
    const cursor = (JSON.parse(status.stdout) as { events_last_cursor: string }).events_last_cursor;
    const call = await cli("call", "POST", "/v4/contacts", "--location-uid", sydney, "--data", JSON.stringify({ name: "Grace Hopper", locations: [sydney] }));
    expect(call.code).toBe(0);
    const tail = await cli("events", "tail", "--location-uid", sydney, "--after-cursor", cursor, "--event-types", "contact.created", "--count", "1");
    expect(tail.code).toBe(0);
    expect(JSON.parse(tail.stdout)).toMatchObject({ location_uid: sydney, event_type: "contact.created", event: { data: { name: "Grace Hopper" } } });
  });

  it("onboard from a file: new ones onboarded, a foreign one failed (exit 1), a re-run skips the done ones", async () => {
    // The rows name the app dev mode configured (oauth_apps) and a refresh-token file the CLI reads itself.
    const token = join(stateDir, "secrets", `${cs.ownerGrant.grantId}.refresh-token`);
    const row = (uid: string) => `${uid},coastal-smiles,coastal-smiles,${token}`;
    await writeFile(join(stateDir, "more.csv"), `location_uid,org_slug,oauth_app,refresh_token_file\n${row(cs.locations.newcastle)}\n${row(defaultFixtureIds.harbourAuto.locations.fremantle)}\n`);
    const first = await cli("onboard", "--from-file", "more.csv", "--output", "json");
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toEqual([
      expect.objectContaining({ location_uid: cs.locations.newcastle, outcome: "onboarded" }),
      expect.objectContaining({ location_uid: defaultFixtureIds.harbourAuto.locations.fremantle, outcome: "failed", error_code: "ERR_LOC_NOT_IN_SCOPE" }),
    ]);
    const again = await cli("onboard", "--from-file", "more.csv", "--output", "json");
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ outcome: "skipped_existing" });
  });

  it("the printed onboard example works as pasted: the configured app by name, the token from the local file", async () => {
    const line = dev.stdout().split("\n").find((l) => l.trimStart().startsWith("npx podium-router onboard "))!;
    expect(line).toContain(`--location-uid ${cs.locations.byronBay} --org-slug coastal-smiles --oauth-app coastal-smiles --refresh-token-file`);
    // Let a real shell split the line (the path is quoted), then run the same arguments through main().
    const argv = JSON.parse(
      (await promisify(execFile)("sh", ["-c", `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${line.trim().slice("npx podium-router ".length)}`])).stdout,
    ) as string[];
    const run = await cli(...argv, "--output", "json");
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([expect.objectContaining({ location_uid: cs.locations.byronBay, outcome: "onboarded" })]);
  });

  it("refuses what would name a secret on the router: a reference for an app, a path sent for the router to read", async () => {
    const ref = await cli("onboard", "--location-uid", cs.locations.byronBay, "--org-slug", "coastal-smiles", "--oauth-app", "file:/etc/hostname", "--refresh-token-file", "x");
    expect(ref).toMatchObject({ code: 2, stderr: expect.stringContaining("--oauth-app must name an OAuth app configured on the router") });
    const old = await cli("onboard", "--location-uid", cs.locations.byronBay, "--org-slug", "coastal-smiles", "--client-secret-file", "/etc/hostname", "--refresh-token-file", "x");
    expect(old).toMatchObject({ code: 2, stderr: expect.stringContaining("--client-secret-file was removed: callers never name a secret") });
  });

  it("locations list, status and remove", async () => {
    const list = await cli("locations", "list", "--output", "json");
    expect((JSON.parse(list.stdout) as { location_uid: string }[]).map((l) => l.location_uid)).toEqual(expect.arrayContaining([sydney, cs.locations.burleighHeads]));
    // Names and the organization uid come from Podium (the sandbox's GET /v4/locations), over the wire.
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ location_uid: sydney, name: "Sydney", org_slug: "coastal-smiles", organization_uid: cs.organizationUid })]),
    );
    const table = await cli("locations", "list");
    expect(table.stdout).toMatch(new RegExp(`\\n${cs.locations.burleighHeads}\\s+Burleigh Heads\\s+coastal-smiles\\s+${cs.organizationUid}\\s+active`));
    const status = await cli("locations", "status", "--location-uid", sydney, "--output", "json");
    expect(JSON.parse(status.stdout)).toMatchObject({ location_uid: sydney, name: "Sydney", organization_uid: cs.organizationUid, org_slug: "coastal-smiles", state: "active" });
    expect(await cli("locations", "remove", "--location-uid", cs.locations.newcastle)).toMatchObject({ code: 0, stdout: `removed ${cs.locations.newcastle}\n` });
    expect((await cli("verify", "--location-uid", cs.locations.newcastle)).code).toBe(1);
  });

  it("keeps a consent's refresh token under --state-dir, like everything else", async () => {
    const mem = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: apiKey }, cwd: stateDir });
    const exit = main(["onboard", "--authorize", "--location-uid", cs.locations.byronBay, "--org-slug", cs.slug, "--oauth-app", cs.slug], mem.io);
    await approveConsent(mem, exit);
    expect(await exit, mem.stderr()).toBe(0);
    expect((await readdir(join(stateDir, "refresh-tokens"))).filter((f) => f.startsWith(cs.locations.byronBay))).toHaveLength(1);
  });

  it("runs the client README's snippet against the real router and sandbox", async () => {
    const printed = await runReadmeSnippet({ url, apiKey });
    expect(printed[0]).toMatch(/^202 \{/);
    expect(printed[1]).toBe("ERR_LOC_UNKNOWN");
  });
});

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox } from "@podium-router/podium-sandbox";
import type { Sandbox } from "@podium-router/podium-sandbox";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";

describe("serveCommand()", () => {
  let dir = "";
  let sandbox: Sandbox;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-router-serve-"));
    sandbox = await createSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the router from a settings file on the --port given, until shutdown", async () => {
    const settings = join(dir, "settings.yaml");
    const keySha256 = createHash("sha256").update("k-serve").digest("hex");
    await writeFile(
      settings,
      [
        "upstream:",
        `  base_url: ${sandbox.url}`,
        "credentials:",
        `  path: ${join(dir, "locations.json")}`,
        "audit:",
        `  path: ${join(dir, "audit.jsonl")}`,
        "server:",
        "  port: 1", // overridden by --port
        "  api_keys:",
        `    - { name: ops, key_sha256: ${keySha256}, locations: ["*"], rpcs: ["*"] }`,
        "",
      ].join("\n"),
    );
    const serve = createMemoryIo({ cwd: dir });
    const exit = main(["serve", "--settings", "settings.yaml", "--port", "0"], serve.io);
    let url: string | undefined;
    while (url === undefined) {
      url = serve.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { url?: string }).find((l) => l.url !== undefined)?.url;
      if (serve.stderr() !== "") throw new Error(serve.stderr());
      await new Promise((r) => setTimeout(r, 20));
    }
    const list = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: "k-serve" } });
    expect(await main(["locations", "list"], list.io)).toBe(0);
    expect(list.stderr()).toBe("no locations registered\n");
    serve.shutdown();
    expect(await exit).toBe(0);
    expect(serve.stdout()).toContain("router server closed");
  });

  it("resolves relative paths against the settings file's directory and logs where the state is", async () => {
    const etc = join(dir, "etc");
    const cwd = join(dir, "cwd");
    await mkdir(etc, { recursive: true });
    await mkdir(cwd, { recursive: true });
    const keySha256 = createHash("sha256").update("k-rel").digest("hex");
    await writeFile(
      join(etc, "settings.yaml"),
      [
        "upstream:",
        `  base_url: ${sandbox.url}`,
        "credentials:",
        "  path: state/locations.json",
        "audit:",
        "  path: state/audit/audit.jsonl",
        "server:",
        "  port: 0",
        "  api_keys:",
        `    - { name: ops, key_sha256: ${keySha256}, locations: ["*"], rpcs: ["*"] }`,
        "",
      ].join("\n"),
    );
    const serve = createMemoryIo({ cwd });
    const exit = main(["serve", "--settings", "../etc/settings.yaml"], serve.io);
    let url: string | undefined;
    while (url === undefined) {
      url = serve.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { url?: string }).find((l) => l.url !== undefined)?.url;
      if (serve.stderr() !== "") throw new Error(serve.stderr());
      await new Promise((r) => setTimeout(r, 20));
    }
    const logged = serve.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.audit_path !== undefined);
    expect(logged).toMatchObject({
      settings_file: join(etc, "settings.yaml"),
      audit_path: join(etc, "state", "audit", "audit.jsonl"),
      audit_index_path: join(etc, "state", "audit", "audit.jsonl.index.sqlite"),
      credentials: `file ${join(etc, "state", "locations.json")}`,
      refresh_token_dir: join(etc, "state", "refresh-tokens"),
    });
    // A query of the audit is itself audited: the line lands beside the settings file, nothing under the cwd.
    const audit = createMemoryIo({ env: { PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: "k-rel" } });
    expect(await main(["audit", "--output", "json"], audit.io)).toBe(0);
    serve.shutdown();
    expect(await exit).toBe(0);
    expect((await readFile(join(etc, "state", "audit", "audit.jsonl"), "utf8")).trim().split("\n").length).toBeGreaterThanOrEqual(1);
    expect(await readdir(cwd)).toEqual([]);
  });

  it("refuses a settings file that does not exist, exit 2", async () => {
    const mem = createMemoryIo({ cwd: dir });
    expect(await main(["serve", "--settings", "nope.yaml"], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(/^podium-router: .*nope\.yaml does not exist.*\(ERR_LOC_CONFIG\)\n$/);
  });

  it("refuses invalid settings, naming the key, exit 2", async () => {
    await writeFile(join(dir, "bad.yaml"), "budgets:\n  location:\n    burst: 0\n");
    const mem = createMemoryIo({ cwd: dir });
    expect(await main(["serve", "--settings", "bad.yaml"], mem.io)).toBe(2);
    expect(mem.stderr()).toMatch(/^podium-router: .*budgets\.location\.burst.*\(ERR_LOC_CONFIG\)\n$/);
  });
});

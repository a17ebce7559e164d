/**
 * The CLI and the client work outside this repository: `tools/dev/pack.mjs` packs them (and the workspace
 * packages the CLI needs) into npm tarballs, which are installed into empty directories, where the installed
 * `podium-router` runs a real router (dev mode) and the installed client's README snippet calls it.
 *
 * Installing takes minutes (better-sqlite3 is compiled from source where no prebuilt binary can be fetched), so
 * this runs in CI (`CI=true`, set by .ci/run) or with PODIUM_ROUTER_PACK_TEST=1, and is skipped with a note
 * otherwise. Third-party packages come from the npm registry (or npm's cache); every @podium-router package
 * from the local tarballs, which the test checks in the install's lock file.
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mainUsage } from "./usage.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const enabled = process.env["CI"] === "true" || process.env["PODIUM_ROUTER_PACK_TEST"] === "1";
const note = enabled ? "" : " [skipped: installs from the npm registry and compiles better-sqlite3 (minutes); runs in CI, or set PODIUM_ROUTER_PACK_TEST=1]";
const INSTALL_MS = 15 * 60_000;
/**
 * The environment of the installed programs: this one's, but without FORCE_COLOR, which nx sets for the tasks it
 * runs. Their output goes to a pipe, as a reader's `node snippet.mjs | ...` would, so it must come out plain (a
 * forced colour turns `console.log(202, ...)` into `\x1b[33m202\x1b[39m ...`).
 */
const { FORCE_COLOR: _forced, ...plainEnv } = process.env;

/** `npm install` of `tarballs` into `dir`, a fresh project with nothing else in it. */
async function install(dir: string, tarballs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "outside-the-repo", private: true, type: "module" }));
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], { cwd: dir, maxBuffer: 16 * 1024 * 1024, timeout: INSTALL_MS });
}

/** Every @podium-router package the install resolved, with where it came from. */
async function podiumRouterSources(dir: string): Promise<Record<string, string>> {
  const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
  return Object.fromEntries(
    Object.entries(lock.packages)
      .filter(([path]) => path.includes("node_modules/@podium-router/"))
      .map(([path, entry]) => [path.slice(path.lastIndexOf("@podium-router/")), entry.resolved ?? ""]),
  );
}

describe.skipIf(!enabled)(`the packed CLI and client, installed outside the repository${note}`, () => {
  let work = "";
  let tarballs: Record<string, string> = {};
  let dev: ChildProcess | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "podium-router-packed-"));
    const { stdout } = await run(process.execPath, [join(repoRoot, "tools/dev/pack.mjs"), "--out", join(work, "tarballs")], { cwd: repoRoot });
    const paths = stdout.trim().split("\n");
    tarballs = Object.fromEntries(paths.map((p) => [/^podium-router-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(basename(p))![1]!, p]));
  }, INSTALL_MS);
  afterAll(async () => {
    if (dev !== undefined && dev.exitCode === null) dev.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  });

  it("packs the CLI, the client and what the CLI needs, each with only its built files", async () => {
    expect(Object.keys(tarballs).sort()).toEqual(["cli", "client", "core", "errors", "podium-sandbox", "proto", "server"]);
    const { stdout } = await run("tar", ["tzf", tarballs["client"]!]);
    const files = stdout.trim().split("\n");
    expect(files).toContain("package/dist/index.js");
    expect(files).toContain("package/README.md");
    expect(files.filter((f) => /\.spec\.|\/src\/|tsbuildinfo/.test(f))).toEqual([]);
  });

  it("installs the client alone with only what it uses (no core, no database drivers), and its README snippet runs", { timeout: INSTALL_MS }, async () => {
    const app = join(work, "client-app");
    await install(app, [tarballs["client"]!, tarballs["errors"]!, tarballs["proto"]!]);
    expect(Object.keys(await podiumRouterSources(app)).sort()).toEqual(["@podium-router/client", "@podium-router/errors", "@podium-router/proto"]);
    for (const absent of ["@podium-router/core", "pg", "ioredis", "better-sqlite3", "undici"]) expect(existsSync(join(app, "node_modules", absent))).toBe(false);
    // The README's snippet, as a reader would copy it from the installed package.
    const readme = await readFile(join(app, "node_modules/@podium-router/client/README.md"), "utf8");
    await writeFile(join(app, "snippet.mjs"), /```ts\n([\s\S]*?)```/.exec(readme)![1]!);
  });

  it("installs the CLI from the tarballs alone and `podium-router --help` runs", { timeout: INSTALL_MS }, async () => {
    const app = join(work, "cli-app");
    await install(app, Object.values(tarballs));
    const sources = await podiumRouterSources(app);
    expect(Object.keys(sources)).toHaveLength(7);
    for (const [name, resolved] of Object.entries(sources)) expect(resolved, name).toMatch(/^file:.*\.tgz$/);
    const { stdout } = await run(join(app, "node_modules/.bin/podium-router"), ["--help"], { cwd: app, env: plainEnv });
    expect(stdout).toBe(mainUsage);
  });

  it("the installed CLI runs a router (dev mode) and the installed client calls it", { timeout: 120_000 }, async () => {
    const cliApp = join(work, "cli-app");
    const child = spawn(join(cliApp, "node_modules/.bin/podium-router"), ["dev", "--port", "0", "--sandbox-port", "0", "--state-dir", "state", "--api-key", "pr_packed_key_5d0e"], {
      cwd: cliApp,
      env: plainEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev = child;
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 3_000 && !out.includes("Press Ctrl-C") && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 20));
    expect(out, err).toContain("Press Ctrl-C");
    const url = /router {3}(http:\/\/\S+)/.exec(out)![1]!;

    const snippet = await run(process.execPath, ["snippet.mjs"], { cwd: join(work, "client-app"), env: { ...plainEnv, PODIUM_ROUTER_URL: url, PODIUM_ROUTER_API_KEY: "pr_packed_key_5d0e" } });
    const printed = snippet.stdout.trim().split("\n");
    expect(printed[0]).toMatch(/^202 \{/);
    expect(printed.at(-1)).toBe("ERR_LOC_UNKNOWN");

    // The audit trail of the installed router (SQLite index included) saw the client's call.
    const audit = await run(join(cliApp, "node_modules/.bin/podium-router"), ["audit", "--output", "ndjson", "--server", url, "--api-key", "pr_packed_key_5d0e"], { cwd: cliApp, env: plainEnv });
    expect(audit.stdout).toContain('"endpoint":"/v4/contacts","method":"POST","status":202');

    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", resolve)));
    expect(code).toBe(0);
  });
});

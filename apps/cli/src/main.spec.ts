import { execFile, execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkApiKey } from "@podium-router/client/testing";
import { commandUsage, mainUsage } from "./usage.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const bin = join(repoRoot, "apps/cli/bin/podium-router.js");
const run = promisify(execFile);

/** Starts `podium-router <args>` and resolves once stdout contains `ready`. */
function start(args: string[], ready: string): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve({ child, stdout: () => out, stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`podium-router ${args.join(" ")} exited ${code} before it was ready:\n${out}\n${err}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

// Every test here starts node processes (the CLI, a router, a sandbox): seconds each on a loaded machine.
describe("bin/podium-router.js", { timeout: 120_000 }, () => {
  beforeAll(() => {
    // The bin runs dist/ (built by `npm install`'s prepare script); build it here so the test sees this source.
    try {
      execFileSync(join(repoRoot, "node_modules/.bin/tsc"), ["-b", "apps/cli/tsconfig.lib.json"], { cwd: repoRoot, stdio: "pipe", encoding: "utf8" });
    } catch (err) {
      throw new Error(`building apps/cli failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
    }
  }, 120_000);

  it("prints the usage for --help and exits 0", async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, "--help"], { cwd: repoRoot });
    expect(stdout).toBe(mainUsage);
    expect(stderr).toBe("");
  });

  it("prints a command's usage for <command> --help", async () => {
    const { stdout } = await run(process.execPath, [bin, "onboard", "--help"], { cwd: repoRoot });
    expect(stdout).toBe(commandUsage.onboard);
  });

  it("exits 2 with podium-router: <message> on a usage error", async () => {
    const err = (await run(process.execPath, [bin, "verify"], { cwd: repoRoot }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^podium-router: missing --location-uid\n/);
  });

  describe("serve", () => {
    let dir = "";
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "podium-router-serve-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const listWith = (url: string, key: string): Promise<string> => checkApiKey(url, key, "grpc");
    const settings = (key: string, name: string): string =>
      [
        "audit: { path: state/audit.jsonl }",
        "credentials: { path: state/locations.json }",
        "server:",
        "  port: 0",
        `  api_keys: [{ name: ${name}, key_sha256: ${createHash("sha256").update(key).digest("hex")}, locations: ["*"], rpcs: ["*"] }]`,
        "",
      ].join("\n");

    it("reloads the API keys on a real SIGHUP, without a restart: the old key is refused, the new one accepted", async () => {
      const file = join(dir, "settings.yaml");
      await writeFile(file, settings("pr_old_key_1f3a", "old-app"));
      const serve = await start(["serve", "--settings", file], '"url"');
      try {
        const url = (JSON.parse(serve.stdout().split("\n").find((l) => l.includes('"url"'))!) as { url: string }).url;
        expect(await listWith(url, "pr_old_key_1f3a")).toBe("ok");
        expect(await listWith(url, "pr_new_key_8c2d")).toBe("ERR_LOC_UNAUTHENTICATED");

        await writeFile(file, settings("pr_new_key_8c2d", "new-app"));
        serve.child.kill("SIGHUP");
        while (!serve.stdout().includes("API keys reloaded") && serve.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        expect(serve.stdout()).toContain("API keys reloaded (SIGHUP)");
        expect(await listWith(url, "pr_new_key_8c2d")).toBe("ok");
        expect(await listWith(url, "pr_old_key_1f3a")).toBe("ERR_LOC_UNAUTHENTICATED");

        // A broken file keeps the keys in force and says why.
        await writeFile(file, "server: { api_keys: [ { name: x, key_sha256: nothex } ] }\n");
        serve.child.kill("SIGHUP");
        while (!serve.stdout().includes("API keys NOT reloaded") && serve.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        expect(serve.stdout()).toMatch(/key_sha256 must be 64 hexadecimal characters.*API keys NOT reloaded/);
        expect(await listWith(url, "pr_new_key_8c2d")).toBe("ok");
        expect(serve.child.exitCode).toBeNull();
        // The relative paths went beside the settings file.
        expect(serve.stdout()).toContain(`"audit_path":"${join(dir, "state", "audit.jsonl")}"`);
      } finally {
        serve.child.kill("SIGTERM");
      }
      expect(await exitOf(serve.child)).toBe(0);
    });
  });

  describe("dev", () => {
    let stateDir = "";
    beforeAll(async () => {
      stateDir = await mkdtemp(join(tmpdir(), "podium-router-dev-"));
    });
    afterAll(async () => {
      await rm(stateDir, { recursive: true, force: true });
    });

    it("starts sandbox and router, prints a curl command that works when pasted, and stops on SIGTERM", async () => {
      const dev = await start(["dev", "--port", "0", "--sandbox-port", "0", "--state-dir", stateDir], "Press Ctrl-C to stop.");
      try {
        expect(dev.stdout()).toMatch(/Sydney\s+c0a57a15-5e11-4000-8000-000000000001\s+onboarded/);
        expect(dev.stdout()).toMatch(/Burleigh Heads\s+c0a57a15-5e11-4000-8000-000000000002\s+onboarded/);
        const curl = dev.stdout().split("\n").find((l) => l.trimStart().startsWith("curl "))!.trim();
        const { stdout } = await run("sh", ["-c", curl]);
        const answer = JSON.parse(stdout) as { status: number; body: string; requestId: string };
        expect(answer.status).toBe(202);
        expect(JSON.parse(answer.body)).toMatchObject({ data: { identifier: expect.any(String) } });
        expect(answer.requestId).not.toBe("");
      } finally {
        dev.child.kill("SIGTERM");
      }
      expect(await exitOf(dev.child)).toBe(0);
      // The key was generated once and kept, owner-only.
      expect(((await stat(join(stateDir, "dev-api-key"))).mode & 0o777).toString(8)).toBe("600");
      // The audit log was flushed on the way out.
      expect(await readFile(join(stateDir, "audit", "audit.jsonl"), "utf8")).toContain('"endpoint":"/v4/contacts"');
    });

    it("onboards idempotently: a second run reports skipped_existing and keeps the key", async () => {
      const key = (await readFile(join(stateDir, "dev-api-key"), "utf8")).trim();
      const dev = await start(["dev", "--port", "0", "--sandbox-port", "0", "--state-dir", stateDir], "Press Ctrl-C to stop.");
      try {
        expect(dev.stdout()).toMatch(/Sydney\s+\S+\s+skipped_existing/);
        expect(dev.stdout()).toContain(`API key  ${key}`);
      } finally {
        dev.child.kill("SIGINT");
      }
      expect(await exitOf(dev.child)).toBe(0);
    });

    it("audit verify --state-dir checks the log dev wrote, naming it", async () => {
      const { stdout } = await run(process.execPath, [bin, "audit", "verify", "--state-dir", stateDir], { cwd: repoRoot });
      expect(stdout).toContain(`read ${join(stateDir, "audit", "audit.jsonl")}\n`);
      expect(stdout).toMatch(/audit chain intact: \d+ line\(s\) in 1 file\(s\), from the first line of the log/);
    });
  });

  describe("output to a closed pipe", () => {
    /** Runs the command with its stdout read by nobody: the read end is closed before it writes. */
    async function closedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
      const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.destroy();
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      return { code: await exitOf(child), stderr };
    }

    it("ends quietly with 0 when the reader went away (| head), for any command", async () => {
      const dir = await mkdtemp(join(tmpdir(), "podium-router-epipe-"));
      try {
        // A log of many files: verify prints a line per file read.
        const lines: string[] = [];
        for (let i = 0; i < 300; i++) lines.push(join(dir, `part-${i}.jsonl`));
        const { writeFile } = await import("node:fs/promises");
        for (const f of lines) await writeFile(f, "");
        for (const args of [["--help"], ["audit", "--help"], ["audit", "verify", ...lines.flatMap((f) => ["--file", f])]]) {
          const r = await closedPipe(args);
          expect(r, args.slice(0, 2).join(" ")).toEqual({ code: 0, stderr: "" });
        }
        // The shell way, as an operator types it.
        const { stdout, stderr } = await run("bash", ["-c", `set -o pipefail; "${process.execPath}" "${bin}" audit verify ${lines.map((f) => `--file ${f}`).join(" ")} | head -n 1`], { cwd: repoRoot });
        expect(stdout).toBe(`read ${lines[0]}\n`);
        expect(stderr).not.toMatch(/EPIPE|at .*\(/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

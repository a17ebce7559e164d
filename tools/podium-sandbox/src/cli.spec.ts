import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PORT, parseArgs, runCli, usage } from "./cli.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";

describe("parseArgs()", () => {
  it("defaults to port 8787 on 127.0.0.1 with the built-in fixture, no rotation, the rate limit on", () => {
    expect(parseArgs([])).toEqual({ ok: true, help: false, port: DEFAULT_PORT, host: "127.0.0.1", rotateRefreshTokens: false, rateLimit: true });
  });

  it("reads every option", () => {
    expect(parseArgs(["--port", "0", "--host", "0.0.0.0", "--fixture", "f.json", "--rotate-refresh-tokens", "--no-rate-limit"])).toEqual({
      ok: true,
      help: false,
      port: 0,
      host: "0.0.0.0",
      fixturePath: "f.json",
      rotateRefreshTokens: true,
      rateLimit: false,
    });
    expect(parseArgs(["--help"])).toMatchObject({ ok: true, help: true });
  });

  it("refuses bad ports and unknown options", () => {
    expect(parseArgs(["--port", "70000"])).toEqual({ ok: false, errorMessage: "--port must be an integer between 0 and 65535" });
    expect(parseArgs(["--port", "8a"])).toMatchObject({ ok: false });
    expect(parseArgs(["--bogus"])).toMatchObject({ ok: false, errorMessage: expect.stringContaining("--bogus") });
  });
});

describe("runCli()", () => {
  const io = (): { out: string[]; err: string[]; io: { stdout: (t: string) => void; stderr: (t: string) => void } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
  };

  it("prints usage for --help and exits 0", async () => {
    const o = io();
    expect(await runCli(["--help"], o.io)).toEqual({ exitCode: 0 });
    expect(o.out.join("")).toBe(usage);
  });

  it("reports bad arguments and unreadable fixtures on stderr with exit code 1", async () => {
    const o = io();
    expect((await runCli(["--port", "-1"], o.io)).exitCode).toBe(1);
    expect((await runCli(["--port", "0", "--fixture", "/nonexistent/fixture.json"], o.io)).exitCode).toBe(1);
    expect(o.err.join("")).toMatch(/^podium-sandbox: /);
    expect(o.err.join("")).toContain("/nonexistent/fixture.json");
  });

  it("starts a sandbox and prints its URL", async () => {
    const o = io();
    const { exitCode, sandbox } = await runCli(["--port", "0"], o.io);
    try {
      expect(exitCode).toBe(0);
      expect(o.out.join("")).toBe(`podium-sandbox listening on ${sandbox?.url}\n`);
    } finally {
      await sandbox?.close();
    }
  });
});

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

describe("bin/podium-sandbox.js", () => {
  beforeAll(async () => {
    // The bin runs the built dist/ (plain Node cannot load the TypeScript source); tsc -b is incremental.
    await promisify(execFile)(`${repoRoot}node_modules/.bin/tsc`, ["-b", `${packageDir}tsconfig.lib.json`], { cwd: repoRoot });
  }, 120_000);

  it("prints --help and exits 0", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [`${packageDir}bin/podium-sandbox.js`, "--help"]);
    expect(stdout).toBe(usage);
  });

  it("serves on the port it prints and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [`${packageDir}bin/podium-sandbox.js`, "--port", "0", "--rotate-refresh-tokens"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      const ha = defaultFixtureIds.harbourAuto;
      const res = await fetch(`${url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "refresh_token", refresh_token: ha.ownerGrant.refreshToken, client_id: ha.app.clientId, client_secret: ha.app.clientSecret }),
      });
      const body = (await res.json()) as { refresh_token: string };
      expect(res.status).toBe(200);
      expect(body.refresh_token).not.toBe(ha.ownerGrant.refreshToken);
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

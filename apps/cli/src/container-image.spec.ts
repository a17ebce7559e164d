/**
 * The container image (Dockerfile) and the replicated setup (compose.yaml): their promises checked from the files
 * (non-root, the CLI as entry point, the health check, the services and settings they wire), and the image built
 * and run where a container engine answers. This machine kind has the docker client but no engine: there the
 * build is skipped with a note saying so.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadSettings } from "@podium-router/core";
import { validateServerSettings } from "@podium-router/server";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Whether `docker info` reaches an engine (the client alone is not enough to build). */
function engineAnswers(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const engine = engineAnswers();

/** The instructions of the Dockerfile's last stage, as [keyword, rest] pairs. */
async function finalStage(): Promise<[string, string][]> {
  const text = (await readFile(join(repoRoot, "Dockerfile"), "utf8")).replace(/\\\n/g, " ");
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  const stages = lines.map((l) => /^(\w+)\s+(.*)$/.exec(l.trim())!).map((m) => [m[1]!.toUpperCase(), m[2]!] as [string, string]);
  const lastFrom = stages.map(([k]) => k).lastIndexOf("FROM");
  return stages.slice(lastFrom);
}

describe("Dockerfile", () => {
  it("runs the CLI as a non-root user, serving the mounted settings, with a health check on the gRPC health service", async () => {
    const stage = await finalStage();
    const last = (keyword: string): string | undefined => stage.filter(([k]) => k === keyword).at(-1)?.[1];
    expect(last("USER")).toBe("node");
    expect(JSON.parse(last("ENTRYPOINT")!)).toEqual(["podium-router"]);
    expect(JSON.parse(last("CMD")!)).toEqual(["serve", "--settings", "/etc/podium-router/settings.yaml"]);
    expect(last("HEALTHCHECK")).toMatch(/CMD \["podium-router", "health"\]$/);
    // The build stage installs the packed tarballs, as a user outside the repository would.
    const text = await readFile(join(repoRoot, "Dockerfile"), "utf8");
    expect(text).toContain("node tools/dev/pack.mjs --out /tmp/packages");
    const bases = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(new Set(bases).size).toBe(1); // one base: the addon compiled in the build stage matches the runtime's Node and libc
  });

  it.skipIf(!engine)(`builds, and the image answers --version and becomes healthy${engine ? "" : " [skipped: no container engine answers `docker info` on this machine]"}`, { timeout: 30 * 60_000 }, async () => {
    await run("docker", ["build", "-t", "podium-router:ci-test", "."], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    const version = await run("docker", ["run", "--rm", "podium-router:ci-test", "--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(await readFile(join(repoRoot, "apps/cli/package.json"), "utf8")).version);
    const id = (await run("docker", ["run", "-d", "--rm", "-e", "PODIUM_ROUTER_SERVER__HOST=127.0.0.1", "--entrypoint", "podium-router", "podium-router:ci-test", "serve"])).stdout.trim();
    try {
      let health = "";
      for (let i = 0; i < 120 && health !== "healthy"; i++) {
        health = (await run("docker", ["inspect", "--format", "{{.State.Health.Status}}", id])).stdout.trim();
        if (health !== "healthy") await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(health).toBe("healthy");
      expect((await run("docker", ["exec", id, "id", "-un"])).stdout.trim()).toBe("node");
    } finally {
      await run("docker", ["rm", "-f", id]).catch(() => undefined);
    }
  });
});

describe("compose.yaml", () => {
  it("runs two router replicas on PostgreSQL and Redis, each with its own state volume and the compose settings", async () => {
    const compose = parse(await readFile(join(repoRoot, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { build?: string; image?: string; depends_on?: Record<string, unknown>; volumes?: string[]; environment?: Record<string, string>; healthcheck?: unknown }>;
    };
    const routers = Object.entries(compose.services).filter(([, s]) => s.build === ".");
    expect(routers.map(([name]) => name)).toEqual(["router-1", "router-2"]);
    expect(compose.services["postgres"]?.healthcheck).toBeDefined();
    expect(compose.services["redis"]?.healthcheck).toBeDefined();
    const stateVolumes = new Set<string>();
    const logIds = new Set<string>();
    for (const [, s] of routers) {
      logIds.add(s.environment?.["PODIUM_ROUTER_AUDIT__CHECKPOINTS__LOG_ID"] ?? "");
      expect(Object.keys(s.depends_on ?? {}).sort()).toEqual(["postgres", "redis"]);
      expect(s.volumes).toContain("./config/compose.settings.yaml:/etc/podium-router/settings.yaml:ro");
      stateVolumes.add(s.volumes!.find((v) => v.endsWith(":/var/lib/podium-router"))!);
      // Secrets arrive by environment, never in the file.
      expect(Object.keys(s.environment ?? {})).toEqual(expect.arrayContaining(["PGPASSWORD", "PODIUM_ROUTER_KEY_K1", "PODIUM_ROUTER_SERVER__API_KEYS", "PODIUM_ROUTER_AUDIT_HMAC_KEY", "PODIUM_ROUTER_CURSOR_KEY"]));
    }
    expect(stateVolumes.size).toBe(2); // one audit trail per replica: a hash chain has one writer
    expect([...logIds].sort()).toEqual(["router-1", "router-2"]); // and its own log id for checkpoints in the shared database
  });

  it("its settings load through the real validators (core and server) as the replicas would", async () => {
    const apiKeys = `[{name: ops, key_sha256: ${"ab".repeat(32)}, locations: ["*"], rpcs: ["*"], oauth_apps: [main]}]`;
    const loaded = await loadSettings({
      path: join(repoRoot, "config/compose.settings.yaml"),
      env: { PODIUM_ROUTER_SERVER__API_KEYS: apiKeys, PODIUM_ROUTER_AUDIT__CHECKPOINTS__LOG_ID: "router-1", PODIUM_ROUTER_SERVER__PUBLIC_URL: "" },
    });
    expect(loaded.settings.credentials).toMatchObject({ backend: "postgres", encryption: { keys: { k1: "env:PODIUM_ROUTER_KEY_K1" }, activeKeyId: "k1" } });
    expect(loaded.settings.state).toMatchObject({ backend: "redis", redis: { url: "redis://redis:6379", replicas: 2 } });
    expect(loaded.settings.audit.path).toBe("/var/lib/podium-router/audit/audit.jsonl");
    expect(loaded.settings.audit.checkpoints).toMatchObject({ logId: "router-1", hmacKey: "env:PODIUM_ROUTER_AUDIT_HMAC_KEY" });
    // Both replicas bind paging cursors with one key, so either can serve the next page.
    expect(loaded.settings.isolation.cursorKey).toBe("env:PODIUM_ROUTER_CURSOR_KEY");
    expect([...loaded.settings.oauthApps.keys()]).toEqual(["main"]);
    const server = validateServerSettings(loaded.raw["server"], loaded.originOf, { oauthApps: loaded.settings.oauthApps.keys(), baseDir: loaded.baseDir });
    expect(server).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(server.apiKeys.map((k) => k.name)).toEqual(["ops"]);
  });
});

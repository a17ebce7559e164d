/**
 * The write-ahead contract under kill -9: writers call a real router server process (fsync: always) over gRPC
 * and the process is SIGKILLed at a random moment. Then every write the sandbox's ledger shows Podium accepted
 * has its audit line or its intent line, and every write answered OK has its full line.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRouterClient } from "@podium-router/client";
import { createLocationRouter, validateSettings, verifyAuditChain } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "./caller-auth.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const serverMain = join(repoRoot, "apps/router-server/dist/main.js");
const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const API_KEY = "pr_crash_4f1e7a2b9c";
const RUNS = 20;
const WRITERS = 6;
const OPEN = { rate_per_minute: 100_000_000, burst: 1_000_000 };

interface Line {
  request_id: string;
  status: number;
  phase?: string;
}

/** Starts the server process and resolves with its URL once it listens. */
function startServer(settingsFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: { ...process.env, PODIUM_ROUTER_SETTINGS: settingsFile, CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m !== null) resolve({ child, url: m[1]! });
    });
    child.once("exit", (code) => reject(new Error(`the server exited ${code} before listening:\n${out}\n${err}`)));
  });
}

const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", () => r())));

describe("write-ahead audit under SIGKILL (fsync: always)", () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    // The server process runs dist/: build it so the test sees this source.
    execFileSync(join(repoRoot, "node_modules/.bin/tsc"), ["-b", "apps/router-server/tsconfig.lib.json"], { cwd: repoRoot, stdio: "pipe" });
    sandbox = await createSandbox({ rateLimit: false });
    dir = await mkdtemp(join(tmpdir(), "audit-crash-"));
    await writeFile(join(dir, "sydney.rt"), cs.sydneyGrant.refreshToken, { mode: 0o600 });
    // Onboarded once, as an earlier run of the router would have; every run's server reads the same store.
    const settings = validateSettings({ upstream: { base_url: sandbox.url }, audit: { path: join(dir, "onboarding.jsonl") }, credentials: { path: join(dir, "locations.json") } });
    const router = await createLocationRouter({ settings, env: { CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret } });
    for await (const r of router.onboardLocations([{ locationUid: SYDNEY, orgSlug: cs.slug, clientIdRef: "env:CS_CLIENT_ID", clientSecretRef: "env:CS_CLIENT_SECRET", refreshTokenFile: join(dir, "sydney.rt") }])) {
      if (r.outcome !== "onboarded") throw new Error(`onboarding failed: ${r.message}`);
    }
    await router.close();
  }, 120_000);

  afterAll(async () => {
    await sandbox?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(`keeps a line (outcome or intent) for every write Podium accepted, and the full line for every write answered OK (${RUNS} runs)`, async () => {
    const table: string[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const runDir = join(dir, `run-${run}`);
      await mkdir(runDir);
      const auditPath = join(runDir, "audit.jsonl");
      const settingsFile = join(runDir, "settings.yaml");
      await writeFile(
        settingsFile,
        JSON.stringify({
          upstream: { base_url: sandbox.url, retry: { max_attempts: 1 } },
          budgets: { location: OPEN, upstream: OPEN },
          audit: { path: auditPath, fsync: "always" },
          credentials: { path: join(dir, "locations.json") },
          server: { port: 0, api_keys: [{ name: "crash", key_sha256: hashApiKey(API_KEY), locations: ["*"], rpcs: ["*"] }] },
        }),
      );
      const seq = sandbox.ledger().at(-1)?.seq ?? 0;
      const { child, url } = await startServer(settingsFile);
      const client = createRouterClient({ baseUrl: url, apiKey: API_KEY, protocol: "grpc" });
      const answeredOk: string[] = [];
      let dead = false;
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; !dead; i++) {
          const requestId = `crash-${run}-${w}-${i}`;
          try {
            const res = await client.location(SYDNEY).call("POST", "/v4/contacts", { name: `Crash ${run}.${w}.${i}`, phoneNumber: `+614${String(run * 1e6 + w * 1e4 + i).padStart(8, "0")}`, locations: [SYDNEY] }, { requestId, timeoutMs: 5_000 });
            if (res.status >= 200 && res.status < 300) answeredOk.push(res.requestId);
          } catch {
            if (dead) return;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      // A random moment once writes flow (the first one also fetches the location's token): anywhere in the
      // few hundred milliseconds after the first answer, so every run kills writes in flight.
      for (const until = Date.now() + 5_000; answeredOk.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 700)));
      child.kill("SIGKILL");
      await exited(child);
      dead = true;
      await Promise.all(writers);
      await client.close();

      const accepted = sandbox
        .ledger(seq)
        .filter((e) => e.method === "POST" && e.route === "/v4/contacts" && e.status >= 200 && e.status < 300 && e.requestId !== undefined)
        .map((e) => e.requestId!);
      // Complete lines only: the kill may cut the last one.
      const text = await readFile(auditPath, "utf8").catch(() => "");
      const lines = text.split("\n").slice(0, -1).map((l) => JSON.parse(l) as Line);
      const outcome = new Map(lines.filter((l) => l.phase === undefined).map((l) => [l.request_id, l]));
      const intent = new Set(lines.filter((l) => l.phase === "sent").map((l) => l.request_id));
      const unrecorded = accepted.filter((rid) => !outcome.has(rid) && !intent.has(rid));
      const okWithoutLine = answeredOk.filter((rid) => !(outcome.get(rid)!?.status >= 200 && outcome.get(rid)!.status < 300));
      const intentOnly = accepted.filter((rid) => !outcome.has(rid) && intent.has(rid));
      table.push(`run ${String(run).padStart(2)}: accepted by Podium ${accepted.length}, answered OK ${answeredOk.length}, full line ${accepted.length - intentOnly.length - unrecorded.length}, intent line only (outcome unknown) ${intentOnly.length}, no line ${unrecorded.length}, OK without full line ${okWithoutLine.length}`);
      expect(accepted.length, `run ${run}: writes reached Podium before the kill`).toBeGreaterThan(0);
      expect(unrecorded, `run ${run}: writes Podium accepted with no audit line`).toEqual([]);
      expect(okWithoutLine, `run ${run}: writes answered OK without their full line`).toEqual([]);
      // The chain holds, and verify names exactly the writes whose outcome is unknown (plus any intent of a write
      // that never reached Podium, e.g. one cut off in flight).
      const verified = await verifyAuditChain({ path: auditPath });
      expect(verified.ok, `run ${run}: chain`).toBe(true);
      if (verified.ok) expect(verified.outcomeUnknown).toEqual(expect.arrayContaining(intentOnly));
    }
    console.log(`audit crash test (${WRITERS} gRPC writers, fsync: always, SIGKILL at a random moment):\n${table.join("\n")}`);
  }, 300_000);
});

/**
 * Crash test of onboarding (issue 4): a child process onboards 50 locations with the built core and is
 * SIGKILLed at random points. The sandbox lives in this process, so it survives the kill and answers the
 * re-run. After every kill the store may hold fewer locations, never a half-onboarded one; a re-run
 * onboards exactly the rest.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSandbox, type Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OnboardingInput, OnboardingResult } from "./onboarding.js";
import { createLocationRouter } from "../router/location-router.js";
import { parseLocationsDocument } from "../credentials/locations-document.js";
import { validateSettings, type Settings } from "../settings/settings.js";
import { buildCore } from "../testing/build-core.js";

const CHILD = fileURLToPath(new URL("../testing/onboard-child.mjs", import.meta.url));
const LOCATIONS = 50;
const KILLS_WANTED = 20;
/** Kills per state directory before the re-run that must converge; the second kill hits a resumed run. */
const KILLS_PER_DIR = 2;

const randInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

let sandbox: Sandbox;
let root: string;
let grant: ReturnType<Sandbox["addGrant"]>;

beforeAll(async () => {
  await buildCore();
  sandbox = await createSandbox({ rateLimit: false });
  grant = sandbox.addGrant({ orgSlug: "crash-org", locations: LOCATIONS });
  root = await mkdtemp(join(tmpdir(), "podium-router-crash-"));
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface StateDir {
  dir: string;
  settings: Settings;
  inputs: OnboardingInput[];
  configPath: string;
}

async function newStateDir(n: number): Promise<StateDir> {
  const dir = join(root, `run-${n}`);
  await mkdir(join(dir, "rt"), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "client-id"), grant.clientId, { mode: 0o600 });
  await writeFile(join(dir, "client-secret"), grant.clientSecret, { mode: 0o600 });
  const inputs: OnboardingInput[] = [];
  for (const loc of grant.locations) {
    const rt = join(dir, "rt", loc.uid);
    await writeFile(rt, grant.refreshToken, { mode: 0o600 });
    inputs.push({
      locationUid: loc.uid,
      orgSlug: "crash-org",
      clientIdRef: `file:${join(dir, "client-id")}`,
      clientSecretRef: `file:${join(dir, "client-secret")}`,
      refreshTokenFile: rt,
    });
  }
  const storePath = join(dir, "state", "locations.json");
  const auditPath = join(dir, "state", "audit.jsonl");
  const configPath = join(dir, "child.json");
  await writeFile(configPath, JSON.stringify({ baseUrl: sandbox.url, storePath, auditPath, concurrency: 8, inputs }));
  const settings = validateSettings({
    upstream: { base_url: sandbox.url },
    audit: { path: auditPath, fsync: "never" },
    credentials: { path: storePath },
  });
  return { dir, settings, inputs, configPath };
}

interface KillOutcome {
  /** False when the child finished before the kill point came. */
  killed: boolean;
  /** Locations the child reported `onboarded` before it died: each must be durable. */
  acknowledged: string[];
  how: string;
}

/**
 * Runs the child and SIGKILLs it at a random point: right after a random number of results (plus a few ms, so
 * the kill lands inside the next insert or request), or a random delay after it is ready.
 */
function runAndKill(state: StateDir, remaining: number): Promise<KillOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, state.configPath], { stdio: ["ignore", "pipe", "pipe"] });
    const acknowledged: string[] = [];
    const byResults = Math.random() < 0.5;
    const afterResults = randInt(0, Math.max(0, remaining - 1));
    const extraMs = randInt(0, 8);
    const delayMs = randInt(0, 400);
    const how = byResults ? `after ${afterResults} results + ${extraMs} ms` : `${delayMs} ms after ready`;
    let results = 0;
    let stderr = "";
    let buffered = "";
    let timer: NodeJS.Timeout | undefined;
    const killIn = (ms: number) => (timer = setTimeout(() => child.kill("SIGKILL"), ms));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as { ready?: true; result?: OnboardingResult; done?: true };
        buffered = buffered.slice(nl + 1);
        if (line.ready) {
          if (!byResults) killIn(delayMs);
          else if (afterResults === 0) killIn(extraMs);
        }
        if (line.result) {
          results++;
          if (line.result.outcome === "onboarded") acknowledged.push(line.result.locationUid);
          if (byResults && results === afterResults) killIn(extraMs);
        }
      }
    });
    // A child that neither finishes nor gets killed is stuck (e.g. waiting on a lock): fail, do not hang.
    let stuck = false;
    const watchdog = setTimeout(() => {
      stuck = true;
      child.kill("SIGKILL");
    }, 20_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(watchdog);
      if (stuck) return reject(new Error(`onboarding child was stuck after ${results} results (${how}): ${stderr.slice(0, 2000)}`));
      if (signal === "SIGKILL") return resolvePromise({ killed: true, acknowledged, how });
      if (code === 0) return resolvePromise({ killed: false, acknowledged, how });
      reject(new Error(`onboarding child exited with code ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
}

/**
 * What must hold after any kill: the locations file (if any) parses with the real parser, and every
 * record in it is a fully onboarded location: verified (verified_at, organization_uid), in its
 * credential's scope at the sandbox, active, with its refresh-token file present; every location the
 * child acknowledged is there.
 */
async function assertOnlyComplete(state: StateDir, acknowledged: string[]): Promise<number> {
  const { path } = state.settings.credentials;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
    expect(acknowledged).toEqual([]);
    return 0;
  }
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  const records = parseLocationsDocument(text, path);
  const inScope = new Map(
    sandbox.fixture.grants.find((g) => g.grantId === grant.grantId)?.locations.map((l) => [l.uid, l.organizationUid]) ?? [],
  );
  for (const record of records.values()) {
    expect(record.state).toBe("active");
    expect(record.verifiedAt, record.locationUid).toBeTruthy();
    expect(inScope.has(record.locationUid), `${record.locationUid} in scope`).toBe(true);
    expect(record.organizationUid).toBe(inScope.get(record.locationUid));
    expect((await readFile(record.refreshTokenFile, "utf8")).trim()).not.toBe("");
  }
  for (const uid of acknowledged) expect(records.has(uid), `acknowledged ${uid} is durable`).toBe(true);
  return records.size;
}

/** The re-run after the crash(es), as a restarted router does it: it must do exactly the rest. */
async function rerun(state: StateDir, storedBefore: number): Promise<void> {
  const router = await createLocationRouter({ settings: state.settings, env: {} });
  try {
    const results: OnboardingResult[] = [];
    for await (const r of router.onboardLocations(state.inputs)) results.push(r);
    const count = (o: string) => results.filter((r) => r.outcome === o).length;
    expect(results.filter((r) => r.outcome === "failed")).toEqual([]);
    expect(count("onboarded") + count("skipped_existing")).toBe(LOCATIONS);
    expect(count("skipped_existing")).toBe(storedBefore);
    expect((await router.store.list()).length).toBe(LOCATIONS);
    // Live at once: a call for a location onboarded by the re-run goes through with its own token.
    const last = results.find((r) => r.outcome === "onboarded") ?? results[0];
    const res = await router.call({ locationUid: last?.locationUid ?? "", method: "GET", path: "/v4/reviews" });
    expect(res.status).toBe(200);
  } finally {
    await router.close();
  }
  expect(await assertOnlyComplete(state, [])).toBe(LOCATIONS);
}

describe("onboardLocations() under SIGKILL", () => {
  it(`leaves only fully onboarded locations after each of ${KILLS_WANTED} kills, and a re-run converges to all ${LOCATIONS}`, async () => {
    let landed = 0;
    let heldLock = 0;
    const log: string[] = [];
    for (let n = 0; landed < KILLS_WANTED && n < KILLS_WANTED * 2; n++) {
      const state = await newStateDir(n);
      const lockDir = `${state.settings.credentials.path}.lock`;
      let stored = 0;
      for (let k = 0; k < KILLS_PER_DIR && landed < KILLS_WANTED; k++) {
        // Latency makes every token and listing request slow, so kills land while requests are in flight.
        const latencyMs = randInt(0, 25);
        sandbox.setFaults({ latencyMs });
        const outcome = await runAndKill(state, LOCATIONS - stored);
        if (outcome.killed) landed++;
        const before = stored;
        stored = await assertOnlyComplete(state, outcome.acknowledged);
        // A resumed run never loses what an earlier one stored.
        expect(stored).toBeGreaterThanOrEqual(before);
        // Onboarding rewrites the file almost continuously, so most kills leave the lock held by a dead process;
        // the next run (child or re-run) must take it over instead of waiting for it to go stale.
        if (existsSync(lockDir)) heldLock++;
        log.push(`dir ${n} kill ${k}: latency ${latencyMs} ms, ${outcome.how}, ${outcome.killed ? "killed" : "finished first"}; ${stored} stored${existsSync(lockDir) ? ", lock left held" : ""}`);
      }
      sandbox.setFaults({ latencyMs: 0 });
      const t0 = performance.now();
      await rerun(state, stored);
      log.push(`dir ${n} re-run: ${LOCATIONS - stored} onboarded, ${stored} skipped, ${Math.round(performance.now() - t0)} ms`);
      await rm(state.dir, { recursive: true, force: true });
    }
    console.info(`onboarding crash test: ${landed} kills, ${heldLock} of them with the store's lock held\n${log.join("\n")}`);
    expect(landed).toBe(KILLS_WANTED);
  }, 120_000);
});

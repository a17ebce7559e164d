/**
 * Scale measurements of issue 4: onboarding N locations against the sandbox, and the router's start-up time
 * and memory with N locations in the store. Measurements, not tests: nothing here asserts a target.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  createFileCredentialStore,
  createLocationRouter,
  validateSettings,
  type CredentialStore,
  type LocationRecord,
  type OnboardingInput,
} from "@podium-router/core";
import { CredentialError } from "@podium-router/errors";
import { createSandbox } from "@podium-router/podium-sandbox";

/** How the locations' credentials are laid out. */
export type GrantLayout =
  /** One consent (grant) per location, all under one app: each onboarding lists one page. */
  | "grant-per-location"
  /** One grant reaching every location: each onboarding lists all of them (N/100 pages). */
  | "one-grant";

/** Options of `runOnboardingBench()`. */
export interface OnboardingBenchOptions {
  /** @default 1000 */
  locations?: number | undefined;
  /** @default 8 */
  concurrency?: number | undefined;
  /** @default "grant-per-location" */
  layout?: GrantLayout | undefined;
  /** "file": the real file store; "memory": a map, to show what the store costs. @default "file" */
  store?: "file" | "memory" | undefined;
}

/** One onboarding run's figures. */
export interface OnboardingBenchResult {
  locations: number;
  concurrency: number;
  layout: GrantLayout;
  store: "file" | "memory";
  seconds: number;
  onboarded: number;
  failed: number;
  /** Requests the sandbox answered (token + listing pages). */
  upstreamRequests: number;
  /** Bytes of the locations file at the end (file store). */
  fileBytes: number;
}

/** Onboards `locations` new locations into an empty store through the router, against an in-process sandbox. */
export async function runOnboardingBench(options: OnboardingBenchOptions = {}): Promise<OnboardingBenchResult> {
  const locations = options.locations ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const layout = options.layout ?? "grant-per-location";
  const storeKind = options.store ?? "file";
  const sandbox = await createSandbox({ rateLimit: false, ledgerCapacity: 1000 });
  const dir = await mkdtemp(join(tmpdir(), "podium-router-bench-onboard-"));
  try {
    const inputs = await prepareInputs(sandbox, dir, locations, layout);
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "state", "audit.jsonl"), fsync: "interval" },
      credentials: { path: join(dir, "state", "locations.json") },
    });
    const store = storeKind === "memory" ? createMemoryStore() : createFileCredentialStore({ path: settings.credentials.path });
    const router = await createLocationRouter({ settings, env: {}, store });
    const requestsBefore = sandbox.stats().requests;
    const t0 = performance.now();
    let onboarded = 0;
    let failed = 0;
    for await (const r of router.onboardLocations(inputs, { concurrency })) {
      if (r.outcome === "onboarded") onboarded++;
      else failed++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const upstreamRequests = sandbox.stats().requests - requestsBefore;
    await router.close();
    const fileBytes = storeKind === "file" ? (await readFile(settings.credentials.path)).length : 0;
    return { locations, concurrency, layout, store: storeKind, seconds, onboarded, failed, upstreamRequests, fileBytes };
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function prepareInputs(sandbox: Awaited<ReturnType<typeof createSandbox>>, dir: string, n: number, layout: GrantLayout): Promise<OnboardingInput[]> {
  const creds = join(dir, "creds");
  await mkdir(creds, { recursive: true, mode: 0o700 });
  const first = sandbox.addGrant({ orgSlug: "bench-org", locations: layout === "one-grant" ? n : 1 });
  await writeFile(join(creds, "client-id"), first.clientId, { mode: 0o600 });
  await writeFile(join(creds, "client-secret"), first.clientSecret, { mode: 0o600 });
  const grants = [first];
  // The same app, one consent per location: what per-location credentials look like in Podium.
  if (layout === "grant-per-location") for (let i = 1; i < n; i++) grants.push(sandbox.addGrant({ orgSlug: "bench-org", locations: 1, clientId: first.clientId }));
  const inputs: OnboardingInput[] = [];
  for (const g of grants) {
    for (const loc of g.locations) {
      const rt = join(creds, `rt-${loc.uid}`);
      await writeFile(rt, g.refreshToken, { mode: 0o600 });
      inputs.push({
        locationUid: loc.uid,
        orgSlug: "bench-org",
        clientIdRef: `file:${join(creds, "client-id")}`,
        clientSecretRef: `file:${join(creds, "client-secret")}`,
        refreshTokenFile: rt,
      });
    }
  }
  return inputs;
}

/** A store that keeps records in a map (refresh tokens still in their files): the cost floor without the file store. */
function createMemoryStore(): CredentialStore {
  const records = new Map<string, LocationRecord>();
  return {
    list: async () => [...records.values()],
    get: async (uid) => records.get(uid),
    insert: async (r) => (records.has(r.locationUid) ? false : (records.set(r.locationUid, { ...r }), true)),
    update: async (uid, patch) => {
      const next = { ...(records.get(uid) as LocationRecord), ...patch } as LocationRecord;
      records.set(uid, next);
      return next;
    },
    remove: async (uid) => records.delete(uid),
    replace: async (r) => (records.set(r.locationUid, { ...r }), { ...r }),
    readRefreshToken: async (r) => {
      const text = (await readFile(r.refreshTokenFile, "utf8").catch(() => "")).trim();
      if (text === "") throw new CredentialError({ locationUid: r.locationUid }, `refresh-token file ${r.refreshTokenFile} is missing or empty`);
      return text;
    },
    writeRefreshToken: async (r, token) => writeFile(r.refreshTokenFile, token, { mode: 0o600 }),
    close: async () => undefined,
  };
}

/** One start-up measurement, taken in a fresh process. */
export interface StartupBenchResult {
  locations: number;
  /** Bytes of the locations file. */
  fileBytes: number;
  /** `createLocationRouter()` until it resolved (reads and parses the file, builds the live map). */
  createRouterMs: number;
  /** Process start until the router was ready (Node start-up and module loading included). */
  sinceProcessStartMs: number;
  /** Resident set after a full GC with the router ready. */
  rssMb: number;
  /** The same process's resident set after a full GC before the router was built (modules loaded). */
  baselineRssMb: number;
  heapUsedMb: number;
}

/**
 * Writes a locations file of `locations` records (the store's documented format, schema_version 1) and measures
 * a router starting on it in a fresh child process (`childScript startup-child <settings.json>`).
 */
export async function runStartupBench(locations: number, childScript: string): Promise<StartupBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "podium-router-bench-startup-"));
  try {
    const path = join(dir, "locations.json");
    const text = locationsDocument(locations, dir);
    await writeFile(path, text, { mode: 0o600 });
    const config = { storePath: path, auditPath: join(dir, "audit.jsonl") };
    const configPath = join(dir, "startup.json");
    await writeFile(configPath, JSON.stringify(config));
    const out = await runNode(["--expose-gc", childScript, "startup-child", configPath]);
    const m = JSON.parse(out) as Omit<StartupBenchResult, "locations" | "fileBytes">;
    return { locations, fileBytes: Buffer.byteLength(text), ...m };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The child side of `runStartupBench()`: builds the router once and prints its figures as JSON. */
export async function startupChild(configPath: string): Promise<void> {
  const { storePath, auditPath } = JSON.parse(await readFile(configPath, "utf8")) as { storePath: string; auditPath: string };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const settings = validateSettings({ upstream: { base_url: "http://127.0.0.1:9" }, audit: { path: auditPath }, credentials: { path: storePath } });
  gc();
  const baselineRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const router = await createLocationRouter({ settings, env: {} });
  const createRouterMs = performance.now() - t0;
  const sinceProcessStartMs = performance.now(); // performance.now() counts from the process's time origin
  gc();
  const mem = process.memoryUsage();
  const listed = (await router.listLocations()).length;
  await router.close();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  process.stdout.write(
    JSON.stringify({ createRouterMs, sinceProcessStartMs, rssMb: mb(mem.rss), baselineRssMb: mb(baselineRss), heapUsedMb: mb(mem.heapUsed), listed }),
  );
}

/** A locations document of n realistic records: uuid-like uids, file references, ISO times. */
function locationsDocument(n: number, dir: string): string {
  const now = new Date().toISOString();
  const locations = [];
  for (let i = 0; i < n; i++) {
    const hex = i.toString(16).padStart(12, "0");
    const uid = `5ca1ab1e-0000-4000-8000-${hex}`;
    locations.push({
      location_uid: uid,
      org_slug: `org-${i % 500}`,
      client_id_ref: `file:${dir}/creds/org-${i % 500}/client-id`,
      client_secret_ref: `file:${dir}/creds/org-${i % 500}/client-secret`,
      refresh_token_file: `${dir}/creds/org-${i % 500}/rt-${uid}`,
      state: "active",
      organization_uid: `0a9a0000-0000-4000-8000-${(i % 500).toString(16).padStart(12, "0")}`,
      verified_at: now,
      created_at: now,
      updated_at: now,
    });
  }
  return `${JSON.stringify({ schema_version: 1, locations }, null, 2)}\n`;
}

function runNode(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}: ${err.slice(0, 2000)}`))));
  });
}

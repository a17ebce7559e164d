/**
 * Test harness for the scale-out tests: N router processes (replica-child.mjs, running the BUILT core)
 * against one sandbox, each with its own credential file and audit log, all registering the same
 * locations with the same credential (one client id, one refresh-token file: one quota group), so what
 * they share is exactly what the state backend shares. Test-only: excluded from the library build.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileCredentialStore } from "../credentials/file/file-credential-store.js";
import type { AuditRecord } from "../audit/audit-record.js";
import type { BudgetBackendOutcome } from "../redis/redis-rate-budgets.js";
import type { GrantCredential } from "./router-harness.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "replica-child.mjs");

/** One loop of calls a replica runs: `concurrency` callers back to back, or one call every `intervalMs`. */
export interface ReplicaLoop {
  locationUid: string;
  method: string;
  path: string;
  body?: string | undefined;
  concurrency?: number | undefined;
  intervalMs?: number | undefined;
}

/** One call as the replica saw it. `code` is "OK" or the ERR_LOC_* code it failed with. */
export interface ReplicaCall {
  loop: number;
  /** Epoch ms when the call started and ended. */
  t: number;
  end: number;
  /** Epoch ms when the rate budget admitted it; 0 when it was refused before. */
  admittedAt: number;
  requestId: string;
  method: string;
  code: string;
  status: number;
}

export interface ReplicaReport {
  calls: ReplicaCall[];
  outcomes: { t: number; outcome: BudgetBackendOutcome }[];
}

export interface Replica {
  readonly index: number;
  readonly auditPath: string;
  /**
   * Runs the loops from `startAt` (epoch ms) for `durationMs`, resolving with what the replica saw. With
   * `warmUp`, each loop first makes one call right away (reported too, started before `startAt`), so the
   * first OAuth refresh and verification happen before the window.
   */
  run(startAt: number, durationMs: number, loops: ReplicaLoop[], opts?: { warmUp?: boolean }): Promise<ReplicaReport>;
  /** The audit lines the replica wrote. */
  auditLines(): Promise<AuditRecord[]>;
  /** The exit code once the process has ended (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Closes the router and ends the process. */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  /** How many router processes. */
  replicas: number;
  /** Their working directory (a temp dir the test removes). */
  dir: string;
  sandboxUrl: string;
  /** The settings document every replica shares (snake_case); upstream, audit and credentials are filled in. */
  settings: Record<string, unknown>;
  /** Locations every replica registers, all with `grant`'s credential. */
  locations: { uid: string; orgSlug?: string }[];
  grant: GrantCredential;
}

/** Starts the replicas and resolves once each has built its router. Build the core first (buildCore). */
export async function startReplicas(opts: ReplicaOptions): Promise<Replica[]> {
  const shared = join(opts.dir, "shared");
  await mkdir(shared, { recursive: true });
  // One refresh-token file and one client for all: the same grant, so the same quota group everywhere.
  const rt = join(shared, "refresh-token");
  const cid = join(shared, "client-id");
  const secret = join(shared, "client-secret");
  await writeFile(rt, opts.grant.refreshToken, { mode: 0o600 });
  await writeFile(cid, opts.grant.clientId, { mode: 0o600 });
  await writeFile(secret, opts.grant.clientSecret, { mode: 0o600 });
  return Promise.all(Array.from({ length: opts.replicas }, (_, i) => startOne(i, opts, { rt, cid, secret })));
}

async function startOne(index: number, opts: ReplicaOptions, files: { rt: string; cid: string; secret: string }): Promise<Replica> {
  const dir = join(opts.dir, `replica-${index}`);
  await mkdir(dir, { recursive: true });
  const storePath = join(dir, "locations.json");
  const auditPath = join(dir, "audit.jsonl");
  const store = createFileCredentialStore({ path: storePath });
  const now = new Date().toISOString();
  for (const loc of opts.locations) {
    await store.insert({
      locationUid: loc.uid,
      orgSlug: loc.orgSlug ?? "replica-org",
      clientIdRef: `file:${files.cid}`,
      clientSecretRef: `file:${files.secret}`,
      refreshTokenFile: files.rt,
      state: "active",
      createdAt: now,
      updatedAt: now,
    });
  }
  await store.close();
  const settings = {
    ...opts.settings,
    upstream: { base_url: opts.sandboxUrl, ...(opts.settings["upstream"] as object | undefined) },
    audit: { path: auditPath, fsync: "never" },
    credentials: { path: storePath },
  };
  const configPath = join(dir, "config.json");
  await writeFile(configPath, JSON.stringify({ settings }));

  // No inherited execArgv: the test runner's `--conditions @podium-router/source` would send the built core's
  // workspace imports (@podium-router/errors) to TypeScript sources a plain node cannot load.
  const child: ChildProcess = fork(CHILD, [configPath], { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on("data", () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const died = (): Error => new Error(`replica ${index} exited before answering: ${stderr.slice(-2000)}`);
  await new Promise<void>((resolve, reject) => {
    child.once("message", (m: { ready?: boolean }) => (m.ready ? resolve() : reject(new Error(`replica ${index}: unexpected ${JSON.stringify(m)}`))));
    void exited.then(() => reject(died()));
  });

  return {
    index,
    auditPath,
    exited,
    run(startAt, durationMs, loops, runOpts = {}) {
      return new Promise<ReplicaReport>((resolve, reject) => {
        child.once("message", (m: { report?: ReplicaReport }) => (m.report ? resolve(m.report) : reject(new Error(`replica ${index}: unexpected message`))));
        void exited.then(() => reject(died()));
        child.send({ run: { startAt, durationMs, loops, warmUp: runOpts.warmUp ?? false } });
      });
    },
    async auditLines() {
      const text = await readFile(auditPath, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditRecord);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ exit: true });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

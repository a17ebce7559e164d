/**
 * Test harness: a real sandbox on a port, a real file credential store and audit log in a temp dir,
 * and a router built from settings, with locations registered straight into the store (the way a
 * previous onboarding would have left them). Test-only: excluded from the library build.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox, defaultFixtureIds, type Sandbox, type SandboxOptions } from "@podium-router/podium-sandbox";
import { afterEach } from "vitest";
import { createFileCredentialStore } from "../credentials/file/file-credential-store.js";
import type { AuditRecord } from "../audit/audit-record.js";
import { createLocationRouter, type LocationRouterDeps, type LocationRouterHandle } from "../router/location-router.js";
import { validateSettings, type Settings } from "../settings/settings.js";

export interface Harness {
  sandbox: Sandbox;
  dir: string;
  settings: Settings;
  router: LocationRouterHandle;
  /** Register a location with the credential of `grant` (client id/secret/refresh token of a sandbox grant). */
  register(uid: string, grant: GrantCredential, orgSlug?: string, organizationUid?: string): Promise<void>;
  /** Rebuild the router from the store (as a restart would). */
  restart(extra?: Partial<LocationRouterDeps>): Promise<LocationRouterHandle>;
  /** Another router on the same settings, store and sandbox (a second replica); closed by `close()`. */
  replica(extra?: Partial<LocationRouterDeps>): Promise<LocationRouterHandle>;
  auditLines(): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export interface GrantCredential {
  grantId: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export async function createHarness(opts: {
  sandbox?: SandboxOptions;
  settings?: Record<string, unknown>;
  deps?: Partial<LocationRouterDeps>;
} = {}): Promise<Harness> {
  const sandbox = await createSandbox({ rateLimit: false, ...opts.sandbox });
  const dir = await mkdtemp(join(tmpdir(), "podium-router-test-"));
  const raw = opts.settings ?? {};
  const settings = validateSettings({
    ...raw,
    upstream: { base_url: sandbox.url, ...(raw["upstream"] as object | undefined) },
    audit: { path: join(dir, "audit.jsonl"), fsync: "never", ...(raw["audit"] as object | undefined) },
    credentials: { path: join(dir, "locations.json") },
    // Onboarding by token value writes refresh-token files: into the test's directory, never the cwd.
    onboarding: { refresh_token_dir: join(dir, "refresh-tokens"), ...(raw["onboarding"] as object | undefined) },
  });
  const store = createFileCredentialStore({ path: settings.credentials.path });
  const env: Record<string, string | undefined> = {};
  const build = () => createLocationRouter({ settings, env, ...opts.deps });
  const replicas: LocationRouterHandle[] = [];
  const h: Harness = {
    sandbox,
    dir,
    settings,
    router: undefined as unknown as LocationRouterHandle,
    async register(uid, grant, orgSlug = "test-org", organizationUid) {
      const rt = join(dir, `rt-${uid}`);
      await writeFile(rt, grant.refreshToken, { mode: 0o600 });
      const secret = join(dir, `secret-${grant.clientId}`);
      await writeFile(secret, grant.clientSecret, { mode: 0o600 });
      const envName = `CID_${grant.clientId.replace(/[^A-Za-z0-9]/g, "_")}`;
      env[envName] = grant.clientId;
      const now = new Date().toISOString();
      await store.insert({
        locationUid: uid,
        orgSlug,
        clientIdRef: `env:${envName}`,
        clientSecretRef: `file:${secret}`,
        refreshTokenFile: rt,
        state: "active",
        ...(organizationUid ? { organizationUid } : {}),
        createdAt: now,
        updatedAt: now,
      });
    },
    async restart(extra) {
      await h.router?.close();
      h.router = await createLocationRouter({ settings, env, ...opts.deps, ...extra });
      return h.router;
    },
    async replica(extra) {
      // Its own audit log, as a replica on another machine has: two writers of one hash chain would break it.
      const path = join(dir, `audit-replica-${replicas.length + 1}.jsonl`);
      const own: Settings = { ...settings, audit: { ...settings.audit, path, checkpoints: { ...settings.audit.checkpoints, path: `${path}.checkpoints` } } };
      const r = await createLocationRouter({ settings: own, env, ...opts.deps, ...extra });
      replicas.push(r);
      return r;
    },
    async auditLines() {
      await h.router.audit.flush();
      const text = await readFile(settings.audit.path, "utf8").catch(() => "");
      return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
    },
    async close() {
      for (const r of replicas.splice(0)) await r.close();
      await h.router?.close();
      await store.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  h.router = await build();
  return h;
}

/** The sandbox grant of the default fixture with this id, as a credential. */
export function fixtureGrant(sandbox: Sandbox, grantId: string): GrantCredential {
  const g = sandbox.fixture.grants.find((x) => x.grantId === grantId);
  if (!g) throw new Error(`no grant ${grantId} in the sandbox fixture`);
  return { grantId: g.grantId, clientId: g.clientId, clientSecret: g.clientSecret, refreshToken: g.refreshToken };
}

/**
 * The harness of the running test, closed after it: `const current = harnessPerTest()`, then
 * `current.h = await createHarness()` (or `coastalOwners()`) inside the test.
 */
export function harnessPerTest(): { h: Harness | undefined } {
  const holder: { h: Harness | undefined } = { h: undefined };
  afterEach(async () => {
    await holder.h?.close();
    holder.h = undefined;
  });
  return holder;
}

/**
 * A harness with coastal-smiles' Sydney and Burleigh Heads registered on the owner's credential (which reaches all
 * four of its locations), the router rebuilt with `extra`.
 */
export async function coastalOwners(extra: Partial<LocationRouterDeps> = {}): Promise<Harness> {
  const h = await createHarness();
  const cs = defaultFixtureIds.coastalSmiles;
  const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
  await h.register(cs.locations.sydney, owner, cs.slug, cs.organizationUid);
  await h.register(cs.locations.burleighHeads, owner, cs.slug, cs.organizationUid);
  await h.restart(extra);
  return h;
}

export { codeOf } from "./refusal.js";

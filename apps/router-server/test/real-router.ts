/**
 * A router server on port 0 over the real core and the real Podium sandbox, with coastal-smiles'
 * Sydney and Burleigh Heads onboarded: for tests that must show what reached the audit log and what
 * went upstream (the sandbox ledger), not only what the caller saw.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLocationRouter, validateSettings, type LocationRouter, type OnboardingInput } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type LedgerEntry, type Sandbox } from "@podium-router/podium-sandbox";
import { Registry } from "prom-client";
import { hashApiKey } from "../src/caller-auth.js";
import { createRouterMetrics, type RouterMetrics } from "../src/metrics.js";
import { createRouterServer, type RouterServer } from "../src/router-server.js";
import { createServerLogger } from "../src/server-logger.js";
import { validateServerSettings } from "../src/server-settings.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
export const REAL_SYDNEY = cs.locations.sydney;
export const REAL_BURLEIGH = cs.locations.burleighHeads;
/** harbour-auto's Fremantle, under another organization's credential; onboarded only when asked for. */
export const REAL_FREMANTLE = defaultFixtureIds.harbourAuto.locations.fremantle;
/** Granted everything. */
export const OPS_KEY = "pr_real_ops_7d41c2e9";
/** Granted Call and VerifyLocation for Sydney only. */
export const SYDNEY_ONLY_KEY = "pr_real_sydney_0b9a3f6c";

/** One audit line as the core writes it. */
export interface AuditLine {
  location_uid: string;
  endpoint: string;
  method: string;
  status: number;
  request_id: string;
  caller?: string;
  error_code?: string;
}

/** A running server on the real core and sandbox. */
export interface RealRouter {
  url: string;
  port: number;
  sandbox: Sandbox;
  router: LocationRouter;
  server: RouterServer;
  metrics: RouterMetrics;
  /** The sandbox's last ledger sequence number, to ask later what went upstream since. */
  lastSeq(): number;
  /** Podium API calls (not token refreshes or location listings) the sandbox saw since `seq`. */
  upstreamSince(seq: number): LedgerEntry[];
  /** The audit lines written so far. */
  auditLines(): AuditLine[];
  /** The same lines as written, unparsed. */
  auditLineTexts(): string[];
  /** The server's log text. */
  logText(): string;
  /** The directory of the router's files (store, audit log, refresh tokens). */
  dir: string;
  close(): Promise<void>;
}

/** What else a test may ask of {@link startRealRouter}. */
export interface RealRouterOptions {
  /** Also onboard harbour-auto's Fremantle, with harbour-auto's own credential. @default false */
  harbour?: boolean | undefined;
}

/**
 * The OAuth apps the real router is configured with: each sandbox organization's app, its secrets in
 * environment variables only the operator (this harness) names.
 */
export const REAL_OAUTH_APPS = {
  "coastal-smiles": { client_id_ref: "env:CS_CLIENT_ID", client_secret_ref: "env:CS_CLIENT_SECRET" },
  "harbour-auto": { client_id_ref: "env:HA_CLIENT_ID", client_secret_ref: "env:HA_CLIENT_SECRET" },
};

/**
 * Starts sandbox, core and server; `section` adds to the test's `server` settings, `core` to the core's
 * (e.g. `onboarding`).
 */
export async function startRealRouter(section: Record<string, unknown> = {}, core: Record<string, unknown> = {}, options: RealRouterOptions = {}): Promise<RealRouter> {
  const sandbox = await createSandbox();
  const dir = mkdtempSync(join(tmpdir(), "router-real-"));
  const auditPath = join(dir, "audit.jsonl");
  writeFileSync(join(dir, "owner.rt"), cs.ownerGrant.refreshToken, { mode: 0o600 });
  writeFileSync(join(dir, "harbour.rt"), ha.ownerGrant.refreshToken, { mode: 0o600 });
  const settings = validateSettings({
    upstream: { base_url: sandbox.url, retry: { max_attempts: 1 } },
    audit: { path: auditPath, fsync: "never" },
    credentials: { path: join(dir, "locations.json") },
    onboarding: { refresh_token_dir: join(dir, "refresh-tokens") },
    oauth_apps: REAL_OAUTH_APPS,
    ...core,
  });
  const env = { CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret, HA_CLIENT_ID: ha.app.clientId, HA_CLIENT_SECRET: ha.app.clientSecret };
  let text = "";
  const logger = createServerLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString("utf8");
        cb();
      },
    }),
  });
  const metrics = createRouterMetrics(new Registry());
  const router = await createLocationRouter({ settings, env, logger, observer: metrics.observer });
  const ref = { orgSlug: cs.slug, clientIdRef: "env:CS_CLIENT_ID", clientSecretRef: "env:CS_CLIENT_SECRET", refreshTokenFile: join(dir, "owner.rt") };
  const inputs: OnboardingInput[] = [{ locationUid: REAL_SYDNEY, ...ref }, { locationUid: REAL_BURLEIGH, ...ref }];
  if (options.harbour === true) {
    inputs.push({ locationUid: REAL_FREMANTLE, orgSlug: ha.slug, clientIdRef: "env:HA_CLIENT_ID", clientSecretRef: "env:HA_CLIENT_SECRET", refreshTokenFile: join(dir, "harbour.rt") });
  }
  for await (const r of router.onboardLocations(inputs)) {
    if (r.outcome !== "onboarded") throw new Error(`onboarding ${r.locationUid} failed: ${r.message}`);
  }
  const serverSettings = validateServerSettings({
    port: 0,
    max_request_bytes: 64 * 1024,
    shutdown_grace_ms: 2_000,
    api_keys: [
      { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] },
      { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_ONLY_KEY), locations: [REAL_SYDNEY], rpcs: ["Call", "VerifyLocation"] },
    ],
    ...section,
  }, undefined, { oauthApps: settings.oauthApps.keys() });
  const server = createRouterServer({ router, settings: serverSettings, logger, metrics });
  const address = await server.listen();
  const texts = (): string[] => {
    let raw = "";
    try {
      raw = readFileSync(auditPath, "utf8");
    } catch {
      return [];
    }
    return raw.split("\n").filter((l) => l.trim() !== "");
  };
  const lines = (): AuditLine[] => texts().map((l) => JSON.parse(l) as AuditLine);
  // The audit log writes in the background: wait for the two onboarding lines, so a test that counts
  // lines starts from a settled file.
  for (const until = Date.now() + 10_000; lines().length < inputs.length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
  return {
    url: address.url,
    port: address.port,
    sandbox,
    router,
    server,
    metrics,
    lastSeq: () => sandbox.ledger().at(-1)?.seq ?? 0,
    upstreamSince: (seq) => sandbox.ledger(seq).filter((e) => e.route !== "/oauth/token" && !e.path.startsWith("/v4/locations")),
    auditLines: lines,
    auditLineTexts: texts,
    logText: () => text,
    dir,
    async close() {
      await server.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

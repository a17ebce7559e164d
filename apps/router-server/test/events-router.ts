/**
 * A router server on port 0 with inbound events enabled, over the real core, event hub and Podium sandbox:
 * Sydney and Burleigh Heads onboarded, their webhooks synced through the SyncWebhooks RPC, and API keys granted
 * one location each for WatchEvents. The sandbox posts its webhooks to this server's receiver for real.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEventHub, createLocationRouter, validateSettings, type EventHub, type LocationRouter } from "@podium-router/core";
import { createRouterClient, type RouterClient, type RouterProtocol } from "@podium-router/client";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { Registry } from "prom-client";
import { hashApiKey } from "../src/caller-auth.js";
import { createRouterMetrics, type RouterMetrics } from "../src/metrics.js";
import { createRouterServer, type RouterServer } from "../src/router-server.js";
import { createServerLogger } from "../src/server-logger.js";
import { validateServerSettings } from "../src/server-settings.js";
import type { AuditLine as RealAuditLine } from "./real-router.js";

const cs = defaultFixtureIds.coastalSmiles;
export const SYDNEY = cs.locations.sydney;
export const BURLEIGH = cs.locations.burleighHeads;
export const NEWCASTLE = cs.locations.newcastle;
/** Granted everything. */
export const OPS_KEY = "pr_events_ops_5a1f0c";
/** Granted WatchEvents and Call for Sydney only. */
export const SYDNEY_EVENTS_KEY = "pr_events_sydney_9c2e77";
/** Granted WatchEvents for Burleigh Heads only. */
export const BURLEIGH_EVENTS_KEY = "pr_events_burleigh_31d8aa";

/** One audit line as the core writes it, with its endpoint (the event type, for events). */
export interface AuditLine extends RealAuditLine {
  endpoint: string;
}

export interface EventsRouter {
  url: string;
  sandbox: Sandbox;
  router: LocationRouter;
  events: EventHub;
  server: RouterServer;
  metrics: RouterMetrics;
  client(key: string, protocol?: RouterProtocol): RouterClient;
  auditLines(): AuditLine[];
  /** The server's log (warnings and errors). */
  logText(): string;
  /** The value of one `podium_router_events_received_total{outcome}` sample. */
  received(outcome: string): Promise<number>;
  close(): Promise<void>;
}

/** Starts sandbox, core, event hub and server; `events` adds to the `events` settings. */
export async function startEventsRouter(events: Record<string, unknown> = {}): Promise<EventsRouter> {
  const sandbox = await createSandbox({ rateLimit: false, webhooks: { baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2_000 } });
  const dir = mkdtempSync(join(tmpdir(), "router-events-"));
  const auditPath = join(dir, "audit.jsonl");
  writeFileSync(join(dir, "owner.rt"), cs.ownerGrant.refreshToken, { mode: 0o600 });
  const settings = validateSettings({
    upstream: { base_url: sandbox.url, retry: { max_attempts: 1 } },
    audit: { path: auditPath, fsync: "never" },
    credentials: { path: join(dir, "locations.json") },
    events: { enabled: true, path: join(dir, "events.sqlite"), subscriptions_path: join(dir, "subscriptions.json"), ...events },
  });
  const env = { CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret };
  let logText = "";
  const logger = createServerLogger({ level: "warn", destination: { write: (line: string) => void (logText += line) } });
  const metrics = createRouterMetrics(new Registry());
  const router = await createLocationRouter({ settings, env, logger, observer: metrics.observer });
  const ref = { orgSlug: cs.slug, clientIdRef: "env:CS_CLIENT_ID", clientSecretRef: "env:CS_CLIENT_SECRET", refreshTokenFile: join(dir, "owner.rt") };
  for await (const r of router.onboardLocations([{ locationUid: SYDNEY, ...ref }, { locationUid: BURLEIGH, ...ref }])) {
    if (r.outcome !== "onboarded") throw new Error(`onboarding ${r.locationUid} failed: ${r.message}`);
  }
  const hub = await createEventHub({ router, logger, observer: metrics.events, env });
  const serverSettings = validateServerSettings({
    port: 0,
    shutdown_grace_ms: 2_000,
    api_keys: [
      { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"] },
      { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_EVENTS_KEY), locations: [SYDNEY], rpcs: ["WatchEvents", "Call"] },
      { name: "burleigh-app", key_sha256: hashApiKey(BURLEIGH_EVENTS_KEY), locations: [BURLEIGH], rpcs: ["WatchEvents"] },
    ],
  });
  const server = createRouterServer({ router, settings: serverSettings, logger, metrics, events: hub });
  const address = await server.listen();
  const clients: RouterClient[] = [];
  const ops = createRouterClient({ baseUrl: address.url, apiKey: OPS_KEY });
  clients.push(ops);
  for await (const r of ops.syncWebhooks({})) if (r.errorCode !== "") throw new Error(`webhook sync of ${r.locationUid} failed: ${r.message}`);
  return {
    url: address.url,
    sandbox,
    router,
    events: hub,
    server,
    metrics,
    client(key, protocol = "connect") {
      const c = createRouterClient({ baseUrl: address.url, apiKey: key, protocol });
      clients.push(c);
      return c;
    },
    auditLines() {
      let raw = "";
      try {
        raw = readFileSync(auditPath, "utf8");
      } catch {
        return [];
      }
      return raw.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as AuditLine);
    },
    logText: () => logText,
    async received(outcome) {
      const metric = await metrics.registry.getSingleMetric("podium_router_events_received_total")?.get();
      return metric?.values.find((v) => v.labels["outcome"] === outcome)?.value ?? 0;
    },
    async close() {
      for (const c of clients) await c.close();
      await server.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

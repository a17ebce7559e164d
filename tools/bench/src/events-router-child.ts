/**
 * Child process of the events bench: the router as production builds it (core, event hub on SQLite, server with
 * the webhook receiver and WatchEvents), with Sydney onboarded and its webhook synced against an in-process
 * sandbox (idle while the bench runs), plus a raw HTTP receiver on the same Node (read the body, answer 200): the
 * ceiling any webhook receiver on this machine has. One process, so both share its CPU alike.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createEventHub, createLocationRouter, validateSettings } from "@podium-router/core";
import { createRouterMetrics, createRouterServer, createServerLogger, hashApiKey, validateServerSettings, type RouterServer } from "@podium-router/server";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { serveBenchParent } from "./bench-child.js";

const cs = defaultFixtureIds.coastalSmiles;

/** What the parent needs to drive the bench. */
export interface EventsBenchTargets {
  /** The router's receiver URL for Sydney's subscription. */
  webhookUrl: string;
  /** The secret Podium (here: the load generator) signs with. */
  secret: string;
  /** The raw receiver. */
  rawUrl: string;
  /** The router (WatchEvents). */
  routerUrl: string;
  locationUid: string;
}

let sandbox: Sandbox | undefined;
let server: RouterServer | undefined;
let raw: Server | undefined;

async function start({ stateDir, apiKey }: { stateDir: string; apiKey: string }): Promise<EventsBenchTargets> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  sandbox = await createSandbox({ rateLimit: false });
  const refreshTokenFile = join(stateDir, "sydney.refresh-token");
  await writeFile(refreshTokenFile, cs.sydneyGrant.refreshToken, { mode: 0o600 });
  const settings = validateSettings({
    upstream: { base_url: sandbox.url },
    audit: { path: join(stateDir, "audit", "audit.jsonl") },
    credentials: { path: join(stateDir, "locations.json") },
    events: { enabled: true, path: join(stateDir, "events.sqlite"), subscriptions_path: join(stateDir, "subscriptions.json") },
  });
  const env = { BENCH_CLIENT_ID: cs.app.clientId, BENCH_CLIENT_SECRET: cs.app.clientSecret };
  const logger = createServerLogger({ level: "info", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const metrics = createRouterMetrics();
  const router = await createLocationRouter({ settings, env, logger, observer: metrics.observer });
  const input = { locationUid: cs.locations.sydney, orgSlug: cs.slug, clientIdRef: "env:BENCH_CLIENT_ID", clientSecretRef: "env:BENCH_CLIENT_SECRET", refreshTokenFile };
  for await (const r of router.onboardLocations([input], { caller: "bench" })) {
    if (r.outcome !== "onboarded" && r.outcome !== "skipped_existing") throw new Error(`onboarding Sydney failed: ${r.message}`);
  }
  const events = await createEventHub({ router, logger, observer: metrics.events, env });
  server = createRouterServer({
    router,
    settings: validateServerSettings({ port: 0, api_keys: [{ name: "bench", key_sha256: hashApiKey(apiKey), locations: ["*"], rpcs: ["*"] }] }),
    logger,
    metrics,
    events,
  });
  const routerUrl = (await server.listen()).url;
  for await (const r of events.syncWebhooks({ locationUids: [cs.locations.sydney], publicUrl: routerUrl }, { caller: "bench" })) {
    if (r.outcome === "failed") throw new Error(`webhook sync failed: ${r.message}`);
  }
  const token = sandbox.issueAccessToken(cs.sydneyGrant.grantId).accessToken;
  const hooks = (await (await fetch(`${sandbox.url}/v4/webhooks?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: Array<{ url: string; secret: string }> };
  const hook = hooks.data.find((w) => w.url.startsWith(routerUrl));
  if (hook === undefined) throw new Error("the synced webhook is missing");
  raw = createServer((req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}'));
  });
  await new Promise<void>((r) => raw?.listen(0, "127.0.0.1", r));
  return { webhookUrl: hook.url, secret: hook.secret, rawUrl: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`, routerUrl, locationUid: cs.locations.sydney };
}

serveBenchParent({
  start,
  cpu: () => process.cpuUsage(),
  close: async () => {
    await server?.close();
    raw?.closeAllConnections();
    raw?.close();
    await sandbox?.close();
  },
});

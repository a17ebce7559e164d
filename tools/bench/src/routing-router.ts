/**
 * The router the bench measures, built as production builds it (start-router-server.ts): the real
 * core with its metrics observer, the file credential store, the audit log (fsync "interval") and the
 * server with its default gRPC engine (grpc-js), with Sydney onboarded from the sandbox. Only the rate
 * budgets are opened wide, so the bench measures routing rather than waiting for tokens.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLocationRouter, createMemoryOwnershipCache, validateSettings, type OnboardingInput, type OwnershipCache } from "@podium-router/core";
import { createRouterMetrics, createRouterServer, createServerLogger, hashApiKey, validateServerSettings, type RouterServer } from "@podium-router/server";
import { defaultFixtureIds, defaultResourceIds } from "@podium-router/podium-sandbox";
import { createEchoLocationRouter } from "./routing-echo-router.js";

const cs = defaultFixtureIds.coastalSmiles;
/** The location every routed call is for. */
export const BENCH_LOCATION = cs.locations.sydney;
/** Sydney's own grant (the front desk's): the credential the router holds for it, and the direct calls' token. */
export const BENCH_GRANT_ID = cs.sydneyGrant.grantId;
/** The storm scenario's other credential: harbour-auto's Fremantle, under harbour-auto's own grant. */
export const BENCH_NEIGHBOUR_LOCATION = defaultFixtureIds.harbourAuto.locations.fremantle;
export const BENCH_NEIGHBOUR_GRANT_ID = defaultFixtureIds.harbourAuto.ownerGrant.grantId;
/**
 * The core scenarios' calls: the bench's request (`GET /v4/reviews`, a list), a location-named one (the location
 * itself), and a call on an owned resource (Sydney's review by id) with the ownership cache warm, or cold (every
 * owner lookup misses, so Podium is asked who owns the review before each call).
 */
export type CoreCall = "list" | "location" | "owned-warm" | "owned-cold";
export const CORE_CALLS: Readonly<Record<CoreCall, { method: "GET"; path: string }>> = Object.freeze({
  list: { method: "GET", path: "/v4/reviews" },
  location: { method: "GET", path: `/v4/locations/${cs.locations.sydney}` },
  "owned-warm": { method: "GET", path: `/v4/reviews/${defaultResourceIds.coastalSmiles.reviews.sydney}` },
  "owned-cold": { method: "GET", path: `/v4/reviews/${defaultResourceIds.coastalSmiles.reviews.sydney}` },
});
/** Budgets no bench run can spend: the bench measures routing, not waiting. */
const OPEN_BUDGET = { rate_per_minute: 1_000_000_000, burst: 1_000_000 };

/** Options of {@link startBenchRouter}. */
export interface BenchRouterOptions {
  sandboxUrl: string;
  /** The API key the load generator sends; the server stores only its hash. */
  apiKey: string;
  /** Where credentials, the refresh token and the audit log go. */
  stateDir: string;
  /** The Podium path of the echo server's canned answer (fetched once through the real router). */
  echoPath: string;
  /** The audit log's fsync policy. @default "interval" (the default setting) */
  fsync?: "always" | "interval" | "never" | undefined;
  /** The `budgets` settings section. @default budgets no run can spend */
  budgets?: Record<string, unknown> | undefined;
  /** Also onboard {@link BENCH_NEIGHBOUR_LOCATION} with its own credential (the storm scenario). @default false */
  neighbour?: boolean | undefined;
}

/** The routing server and the echo server (same stack, a stub core), both on 127.0.0.1 port 0. */
export interface BenchRouter {
  routedUrl: string;
  echoUrl: string;
  /**
   * Routes the bench's request through the core in this process, without the server: with the
   * context the server passes (caller, deadline, signal). Rejects unless Podium answered 200. `kind` picks the
   * call (default: the bench's request).
   */
  callCore(kind?: CoreCall): Promise<void>;
  /** Owner lookups the core sent to Podium so far (`onOwnerLookup`). */
  ownerLookups(): number;
  close(): Promise<void>;
}

/** A log sink that drops every line: the server logs at "info" as in production, nothing per call. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

/** Starts both servers and onboards Sydney; rejects if onboarding or the first routed call fails. */
export async function startBenchRouter(opts: BenchRouterOptions): Promise<BenchRouter> {
  await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
  const refreshTokenFile = join(opts.stateDir, "sydney.refresh-token");
  await writeFile(refreshTokenFile, cs.sydneyGrant.refreshToken, { mode: 0o600 });
  const settings = validateSettings({
    upstream: { base_url: opts.sandboxUrl },
    audit: { path: join(opts.stateDir, "audit", "audit.jsonl"), ...(opts.fsync === undefined ? {} : { fsync: opts.fsync }) },
    credentials: { path: join(opts.stateDir, "locations.json") },
    budgets: opts.budgets ?? { location: OPEN_BUDGET, upstream: OPEN_BUDGET },
  });
  const ha = defaultFixtureIds.harbourAuto;
  const env = { BENCH_CLIENT_ID: cs.app.clientId, BENCH_CLIENT_SECRET: cs.app.clientSecret, BENCH_HA_CLIENT_ID: ha.app.clientId, BENCH_HA_CLIENT_SECRET: ha.app.clientSecret };
  const logger = createServerLogger({ level: "info", destination: discard() });
  const serverSettings = validateServerSettings({
    port: 0,
    api_keys: [{ name: "bench", key_sha256: hashApiKey(opts.apiKey), locations: ["*"], rpcs: ["*"] }],
  });

  const metrics = createRouterMetrics();
  // The ownership cache, which the "owned-cold" core call bypasses (every lookup a miss).
  const warm = createMemoryOwnershipCache({ ttlMs: 300_000, maxEntries: 100_000 });
  let cold = false;
  const ownershipCache: OwnershipCache = { get: (k) => (cold ? Promise.resolve(undefined) : warm.get(k)), set: (k, v) => warm.set(k, v), delete: (k) => warm.delete(k) };
  let lookups = 0;
  const router = await createLocationRouter({ settings, env, logger, observer: metrics.observer, ownershipCache, onOwnerLookup: () => void lookups++ });
  const servers: RouterServer[] = [];
  try {
    const inputs: OnboardingInput[] = [{ locationUid: BENCH_LOCATION, orgSlug: cs.slug, clientIdRef: "env:BENCH_CLIENT_ID", clientSecretRef: "env:BENCH_CLIENT_SECRET", refreshTokenFile }];
    if (opts.neighbour === true) {
      const neighbourToken = join(opts.stateDir, "neighbour.refresh-token");
      await writeFile(neighbourToken, ha.ownerGrant.refreshToken, { mode: 0o600 });
      inputs.push({ locationUid: BENCH_NEIGHBOUR_LOCATION, orgSlug: ha.slug, clientIdRef: "env:BENCH_HA_CLIENT_ID", clientSecretRef: "env:BENCH_HA_CLIENT_SECRET", refreshTokenFile: neighbourToken });
    }
    for await (const r of router.onboardLocations(inputs, { caller: "bench" })) {
      if (r.outcome !== "onboarded" && r.outcome !== "skipped_existing") throw new Error(`onboarding ${r.locationUid} failed: ${r.errorCode ?? ""} ${r.message}`);
    }
    const sample = await router.call({ locationUid: BENCH_LOCATION, method: "GET", path: opts.echoPath });
    if (sample.status !== 200) throw new Error(`GET ${opts.echoPath} through the router answered ${sample.status}`);

    const routed = createRouterServer({ router, settings: serverSettings, logger, metrics });
    servers.push(routed);
    const routedUrl = (await routed.listen()).url;
    const echo = createRouterServer({ router: createEchoLocationRouter(sample), settings: serverSettings, logger });
    servers.push(echo);
    const echoUrl = (await echo.listen()).url;
    const calls = { ...CORE_CALLS, list: { method: "GET" as const, path: opts.echoPath } };
    return {
      routedUrl,
      echoUrl,
      async callCore(kind = "list") {
        cold = kind === "owned-cold";
        const res = await router.call({ locationUid: BENCH_LOCATION, ...calls[kind] }, { caller: "bench", deadline: Date.now() + 10_000, signal: new AbortController().signal });
        if (res.status !== 200) throw new Error(`core (${kind}): Podium answered ${res.status}`);
      },
      ownerLookups: () => lookups,
      async close() {
        await Promise.all(servers.map((s) => s.close()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    await router.close();
    throw err;
  }
}

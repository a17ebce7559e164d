import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createLocationRouter, validateSettings } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { ErrorDetailSchema, LocationRouterService, OnboardingOutcome, RetryInfoSchema, VerificationState } from "@podium-router/proto";
import { Registry } from "prom-client";
import { hashApiKey } from "./caller-auth.js";
import { createRouterMetrics } from "./metrics.js";
import { createRouterServer, type RouterServer } from "./router-server.js";
import { createServerLogger } from "./server-logger.js";
import { validateServerSettings } from "./server-settings.js";

// The real core against the real sandbox over HTTP: Sydney and Burleigh Heads of coastal-smiles.
const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;
const OPS_KEY = "pr_it_ops_6f1d2a9c";
const SYDNEY_KEY = "pr_it_sydney_3b7e0c51";

describe("createRouterServer() on the real core and the Podium sandbox", () => {
  let sandbox: Sandbox;
  let server: RouterServer;
  let dir: string;
  let url: string;
  let logText = "";
  let ops: Client<typeof LocationRouterService>;
  let sydneyApp: Client<typeof LocationRouterService>;
  const opsAuth = { headers: { authorization: `Bearer ${OPS_KEY}` } };
  const sydneyAuth = { headers: { authorization: `Bearer ${SYDNEY_KEY}` } };
  /** Upstream requests the sandbox saw for a location since `seq`. */
  const upstreamFor = (uid: string, seq: number) => sandbox.ledger(seq).filter((e) => e.locationUids.includes(uid) && e.route !== "/oauth/token");
  const lastSeq = () => sandbox.ledger().at(-1)?.seq ?? 0;

  beforeAll(async () => {
    sandbox = await createSandbox();
    dir = mkdtempSync(join(tmpdir(), "router-it-"));
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
      budgets: { max_wait_ms: 0, overrides: { [BURLEIGH]: { rate_per_minute: 1, burst: 1 } } },
      onboarding: { refresh_token_dir: join(dir, "tokens") },
      oauth_apps: { "coastal-smiles": { client_id_ref: "env:CS_CLIENT_ID", client_secret_ref: "env:CS_CLIENT_SECRET" } },
    });
    const env = { CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret };
    const logger = createServerLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logText += chunk.toString("utf8");
          cb();
        },
      }),
    });
    const metrics = createRouterMetrics(new Registry());
    const router = await createLocationRouter({ settings, env, logger, observer: metrics.observer });
    const serverSettings = validateServerSettings({
      port: 0,
      max_request_bytes: 16 * 1024,
      api_keys: [
        { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["coastal-smiles"] },
        { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_KEY), locations: [SYDNEY], rpcs: ["Call", "VerifyLocation"] },
      ],
    });
    server = createRouterServer({ router, settings: serverSettings, logger, metrics });
    url = (await server.listen()).url;
    ops = createClient(LocationRouterService, createGrpcTransport({ baseUrl: url }));
    sydneyApp = createClient(LocationRouterService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));

    const onboarded = [];
    // The app by name, the token by value: the wire names no secret's location.
    const ref = { orgSlug: cs.slug, oauthApp: "coastal-smiles", refreshToken: cs.ownerGrant.refreshToken };
    for await (const r of ops.onboardLocations({ locations: [{ locationUid: SYDNEY, ...ref }, { locationUid: BURLEIGH, ...ref }] }, opsAuth)) onboarded.push(r);
    expect(onboarded.map((r) => [r.locationUid, r.outcome, r.errorCode])).toEqual(
      expect.arrayContaining([
        [SYDNEY, OnboardingOutcome.ONBOARDED, ""],
        [BURLEIGH, OnboardingOutcome.ONBOARDED, ""],
      ]),
    );
  });

  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function failure(p: Promise<unknown>): Promise<ConnectError> {
    try {
      await p;
    } catch (e) {
      return ConnectError.from(e);
    }
    throw new Error("expected the call to fail");
  }

  it("routes a call for a granted location to Podium, over gRPC and Connect", async () => {
    const seq = lastSeq();
    for (const client of [ops, sydneyApp]) {
      const res = await client.call({ locationUid: SYDNEY, method: "GET", path: `/v4/locations/${SYDNEY}` }, client === ops ? opsAuth : sydneyAuth);
      expect(res.status).toBe(200);
      expect(res.body).toContain("Sydney");
    }
    expect(upstreamFor(SYDNEY, seq)).toHaveLength(2);
  });

  it("verifies a location and reports its status", async () => {
    expect((await sydneyApp.verifyLocation({ locationUid: SYDNEY }, sydneyAuth)).state).toBe(VerificationState.VERIFIED);
    const status = await ops.getLocationStatus({ locationUid: SYDNEY }, opsAuth);
    expect(status.orgSlug).toBe(cs.slug);
  });

  it("refuses bad input over the wire with its code and reason, and sends nothing upstream", async () => {
    const seq = lastSeq();
    const cases: [string, () => Promise<unknown>, Code, string][] = [
      ["unauthenticated", () => ops.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts" }), Code.Unauthenticated, "ERR_LOC_UNAUTHENTICATED"],
      ["ungranted location", () => sydneyApp.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/contacts" }, sydneyAuth), Code.PermissionDenied, "ERR_LOC_PERMISSION_DENIED"],
      ["unknown location", () => ops.call({ locationUid: "00000000-0000-4000-8000-00000000dead", method: "GET", path: "/v4/contacts" }, opsAuth), Code.NotFound, "ERR_LOC_UNKNOWN"],
      [
        "mismatched body",
        () => ops.call({ locationUid: SYDNEY, method: "POST", path: "/v4/messages", body: JSON.stringify({ locationUid: BURLEIGH, body: "hi", channel: { type: "phone", identifier: "+61400000000" } }) }, opsAuth),
        Code.InvalidArgument,
        "ERR_LOC_MISMATCH",
      ],
      ["traversal path", () => ops.call({ locationUid: SYDNEY, method: "GET", path: "/v4/../oauth/token" }, opsAuth), Code.InvalidArgument, "ERR_LOC_BAD_REQUEST"],
      ["invalid JSON body", () => ops.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: "{not json" }, opsAuth), Code.InvalidArgument, "ERR_LOC_BAD_REQUEST"],
      ["oversized body", () => ops.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: "x".repeat(32 * 1024) }, opsAuth), Code.ResourceExhausted, "ERR_LOC_BAD_REQUEST"],
    ];
    for (const [name, call, code, reason] of cases) {
      const err = await failure(call());
      expect([name, Code[err.code]]).toEqual([name, Code[code]]);
      expect(err.findDetails(ErrorDetailSchema)[0]?.reason, name).toBe(reason);
    }
    expect(sandbox.ledger(seq).filter((e) => e.route !== "/oauth/token" && !e.path.startsWith("/v4/locations"))).toEqual([]);
  });

  it("answers a spent budget with RESOURCE_EXHAUSTED and the retry delay", async () => {
    // Burleigh Heads' budget holds one call per minute; onboarding did not spend it.
    await ops.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/contacts" }, opsAuth).catch(() => {});
    const err = await failure(ops.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/contacts" }, opsAuth));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_RATE_LIMITED", locationUid: BURLEIGH });
    const [retry] = err.findDetails(RetryInfoSchema);
    expect(durationMs(retry!.retryDelay!)).toBeGreaterThan(0);
  });

  it("audits refusals with the caller's name and counts calls in /metrics", async () => {
    await failure(sydneyApp.call({ locationUid: BURLEIGH, method: "DELETE", path: "/v4/contacts/abc" }, sydneyAuth));
    const refused = [];
    for await (const r of ops.queryAudit({ locationUid: BURLEIGH }, opsAuth)) refused.push(r.record);
    expect(refused.some((r) => r?.caller === "sydney-app" && r.errorCode === "ERR_LOC_PERMISSION_DENIED" && r.status === 0)).toBe(true);
    const metrics = await (await fetch(`${url}/metrics`, opsAuth)).text();
    expect(metrics).toMatch(/podium_router_routed_calls_total\{outcome="OK"\} \d+/);
    expect(metrics).toMatch(/podium_router_upstream_latency_seconds_count\{status_class="2xx"\} \d+/);
    expect(metrics).toMatch(/podium_router_verifications_total\{cache="(hit|miss)"\} \d+/);
  });

  it("keeps secrets out of logs and audit lines", async () => {
    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8");
    for (const secret of [OPS_KEY, SYDNEY_KEY, cs.app.clientSecret, cs.ownerGrant.refreshToken]) {
      expect(logText).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(logText).not.toMatch(/Bearer [A-Za-z0-9_]/);
  });
});

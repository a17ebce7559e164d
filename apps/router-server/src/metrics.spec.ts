import { describe, it, expect } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { LocationRouterService } from "@podium-router/proto";
import { Registry } from "prom-client";
import { ADMIN_KEY, startTestServer, SYDNEY } from "../test/test-server.js";
import { createRouterMetrics } from "./metrics.js";

describe("createRouterMetrics()", () => {
  it("counts what the core reports through its observer, without a location label", async () => {
    const metrics = createRouterMetrics(new Registry());
    const o = metrics.observer;
    o.callOutcome("OK");
    o.callOutcome("ERR_LOC_RATE_LIMITED");
    o.upstreamLatency(42, 201);
    o.budgetWait(15);
    o.budgetRefused();
    o.verification(true);
    o.verification(false);
    o.refresh("ok");
    o.budgetBackend("local_fallback");
    metrics.rpcFinished("Call", 0, 3);
    const { body } = await metrics.render();
    expect(body).toContain('podium_router_routed_calls_total{outcome="ERR_LOC_RATE_LIMITED"} 1');
    expect(body).toContain('podium_router_upstream_latency_seconds_count{status_class="2xx"} 1');
    expect(body).toContain("podium_router_budget_wait_seconds_count 1");
    expect(body).toContain("podium_router_budget_refusals_total 1");
    expect(body).toContain('podium_router_verifications_total{cache="hit"} 1');
    expect(body).toContain('podium_router_verifications_total{cache="miss"} 1');
    expect(body).toContain('podium_router_token_refreshes_total{outcome="ok"} 1');
    expect(body).toContain('podium_router_budget_decisions_total{backend="local_fallback"} 1');
    expect(body).toContain('podium_router_rpc_calls_total{rpc="Call",code="OK"} 1');
    expect(body).not.toMatch(/location/);
  });
});

describe("GET /metrics", () => {
  it("needs an API key and counts calls by RPC and code", async () => {
    const t = await startTestServer();
    try {
      const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: t.url }));
      const headers = { authorization: `Bearer ${ADMIN_KEY}` };
      await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, { headers });
      await client.call({ locationUid: "loc-nowhere", method: "GET", path: "/v4/echo" }, { headers }).catch(() => {});

      const refused = await fetch(`${t.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: "unauthenticated" });

      const res = await fetch(`${t.url}/metrics`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      expect(text).toContain('podium_router_rpc_calls_total{rpc="Call",code="OK"} 1');
      expect(text).toContain('podium_router_rpc_calls_total{rpc="Call",code="NotFound"} 1');
      expect(text).toContain("process_cpu_seconds_total");
      expect(text).not.toContain(SYDNEY);
    } finally {
      await t.close();
    }
  });
});

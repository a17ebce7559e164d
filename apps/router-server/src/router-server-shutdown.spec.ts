import { describe, it, expect } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { healthV1, LocationRouterService } from "@podium-router/proto";
import { ADMIN_KEY, startTestServer, SYDNEY } from "../test/test-server.js";

const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

describe("RouterServer.close()", () => {
  for (const engine of ["grpc-js", "connect"] as const) {
    it(`finishes in-flight calls on every protocol, then closes the router (grpc_engine ${engine})`, async () => {
      const t = await startTestServer({ section: { grpc_engine: engine } });
      const calls = [
        createGrpcTransport({ baseUrl: t.url }),
        createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" }),
        createConnectTransport({ baseUrl: t.url, httpVersion: "2" }),
      ].map(async (transport) => {
        const client = createClient(LocationRouterService, transport);
        return client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=300" }, { headers: auth });
      });
      while (t.router.calls.length < calls.length) await t.router.slowStarted();
      const closed = t.close();
      const results = await Promise.all(calls);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      await closed;
      expect(t.router.closed).toBe(true);
      // The port no longer accepts connections.
      await expect(fetch(`${t.url}/metrics`)).rejects.toThrow();
    });
  }

  it("reports NOT_SERVING to health watchers and ends their streams", async () => {
    const t = await startTestServer();
    const health = createClient(healthV1.Health, createGrpcTransport({ baseUrl: t.url }));
    const seen: healthV1.HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      for await (const res of health.watch({})) {
        seen.push(res.status);
        if (seen.length === 1) void t.close();
      }
    })();
    await watching;
    expect(seen).toEqual([SERVING, NOT_SERVING]);
    await t.close();
  });

  it("cuts calls still running when the grace period ends", async () => {
    const t = await startTestServer({ section: { shutdown_grace_ms: 100 } });
    const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: t.url }));
    const pending = client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=10000" }, { headers: auth });
    await t.router.slowStarted();
    await t.close();
    await expect(pending).rejects.toThrow();
    expect(t.logLines().some((l) => l["msg"] === "shutdown grace period over; cutting in-flight calls")).toBe(true);
  });
});

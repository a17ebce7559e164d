import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { AuditStatus } from "@podium-router/core";
import { healthV1, LocationRouterService } from "@podium-router/proto";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeLocationRouter } from "../test/fake-location-router.js";
import { ADMIN_KEY, startTestServer, type TestServer } from "../test/test-server.js";
import { WRITES_HEALTH_SERVICE } from "./health-service.js";

const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

/** The fake router with an audit log whose state the test sets. */
function routerWithAudit() {
  const router = createFakeLocationRouter();
  let status: AuditStatus = { writable: true, refusing: "none", pendingBytes: 0 };
  const listeners = new Set<(s: AuditStatus) => void>();
  return Object.assign(router, {
    auditStatus: () => status,
    onAuditStatus(listener: (s: AuditStatus) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setAudit(next: AuditStatus) {
      status = next;
      for (const l of listeners) l(next);
    },
  });
}

describe("health and metrics follow the audit log", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it(`turns ${WRITES_HEALTH_SERVICE} NOT_SERVING while writes are refused, everything under refuse_all, and back`, async () => {
    const router = routerWithAudit();
    t = await startTestServer({ router });
    const health = createClient(healthV1.Health, createGrpcTransport({ baseUrl: t.url }));
    const check = async (): Promise<[number, number, number]> => [
      (await health.check({})).status,
      (await health.check({ service: LocationRouterService.typeName })).status,
      (await health.check({ service: WRITES_HEALTH_SERVICE })).status,
    ];
    expect(await check()).toEqual([SERVING, SERVING, SERVING]);
    const abort = new AbortController();
    const watched: number[] = [];
    const watching = (async () => {
      try {
        for await (const r of health.watch({ service: WRITES_HEALTH_SERVICE }, { signal: abort.signal })) watched.push(r.status);
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Canceled) throw err;
      }
    })();
    for (let i = 0; i < 100 && watched.length < 1; i++) await new Promise((r) => setTimeout(r, 20));

    router.setAudit({ writable: false, refusing: "writes", pendingBytes: 4096 });
    expect(await check()).toEqual([SERVING, SERVING, NOT_SERVING]);
    const metrics = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) => r.text());
    expect(metrics).toMatch(/^podium_router_audit_pending_bytes 4096$/m);
    expect(metrics).toMatch(/^podium_router_audit_write_failures_total 0$/m);

    router.setAudit({ writable: false, refusing: "all", pendingBytes: 8192 });
    expect(await check()).toEqual([NOT_SERVING, NOT_SERVING, NOT_SERVING]);

    // Resumes by itself: no restart, the Watch stream stays open and says so.
    router.setAudit({ writable: true, refusing: "none", pendingBytes: 0 });
    expect(await check()).toEqual([SERVING, SERVING, SERVING]);
    for (let i = 0; i < 50 && watched.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(watched).toEqual([SERVING, NOT_SERVING, SERVING]);
    abort.abort();
    await watching;
  });
});

import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorDetailSchema, LocationRouterService } from "@podium-router/proto";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`createRouterServer() limits with grpc_engine ${engine}`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ section: { grpc_engine: engine, max_request_bytes: 4096 } });
    });
    afterAll(async () => {
      await t.close();
    });

    it("refuses a body over server.max_request_bytes as RESOURCE_EXHAUSTED with reason ERR_LOC_BAD_REQUEST", async () => {
      const transports = {
        grpc: createGrpcTransport({ baseUrl: t.url }),
        "connect h1": createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" }),
        "connect h2 binary": createConnectTransport({ baseUrl: t.url, httpVersion: "2", useBinaryFormat: true }),
        "grpc-web": createGrpcWebTransport({ baseUrl: t.url, httpVersion: "1.1" }),
      };
      for (const [name, transport] of Object.entries(transports)) {
        const client = createClient(LocationRouterService, transport);
        const err = await failure(client.call({ locationUid: SYDNEY, method: "POST", path: "/v4/echo", body: "x".repeat(8192) }, { headers: auth }));
        expect(err.code, name).toBe(Code.ResourceExhausted);
        expect(err.findDetails(ErrorDetailSchema)[0]?.reason, name).toBe("ERR_LOC_BAD_REQUEST");
      }
      expect(t.router.calls.filter((c) => c.call.method === "POST")).toHaveLength(0);
    });

    it("accepts a body under the limit", async () => {
      const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: t.url }));
      const res = await client.call({ locationUid: SYDNEY, method: "POST", path: "/v4/echo", body: JSON.stringify({ note: "y".repeat(2048) }) }, { headers: auth });
      expect(JSON.parse(res.body)).toMatchObject({ hasBody: true });
    });

    it("turns the caller's deadline into the core's deadline and answers DEADLINE_EXCEEDED with details", async () => {
      for (const transport of [createGrpcTransport({ baseUrl: t.url }), createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" })]) {
        const client = createClient(LocationRouterService, transport);
        const started = Date.now();
        const err = await failure(client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=5000", requestId: "slow-1" }, { headers: auth, timeoutMs: 300 }));
        expect(err.code).toBe(Code.DeadlineExceeded);
        const ctx = t.router.calls.at(-1)?.ctx;
        expect(ctx?.deadline).toBeGreaterThanOrEqual(started + 100);
        // The timeout travels as a relative header, so the server's clock starts when the request
        // arrives; on a loaded machine that can be well after `started`. The bound still proves the
        // caller's 300 ms (not the slow route's 5 s) became the core's deadline.
        expect(ctx?.deadline).toBeLessThanOrEqual(started + 300 + 1_500);
        // The core's signal fired at the deadline, so the slow upstream call was abandoned.
        await vi.waitFor(() => expect(ctx?.signal?.aborted).toBe(true));
      }
    });

    it("aborts the core's signal when the client cancels", async () => {
      const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: t.url }));
      const controller = new AbortController();
      const pending = client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=5000" }, { headers: auth, signal: controller.signal });
      await t.router.slowStarted();
      const { ctx } = t.router.calls.at(-1)!;
      controller.abort();
      expect((await failure(pending)).code).toBe(Code.Canceled);
      await vi.waitFor(() => expect(ctx?.signal?.aborted).toBe(true));
    });
  });
}

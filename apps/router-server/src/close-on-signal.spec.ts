import { describe, it, expect } from "vitest";
import { EventEmitter } from "node:events";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { LocationRouterService } from "@podium-router/proto";
import { pino } from "pino";
import { ADMIN_KEY, startTestServer, SYDNEY } from "../test/test-server.js";
import { closeOnSignal } from "./close-on-signal.js";

describe("closeOnSignal()", () => {
  it("on SIGTERM finishes the in-flight call, closes the router and exits 0", async () => {
    const t = await startTestServer();
    const signals = new EventEmitter();
    const exited = new Promise<number>((resolve) => closeOnSignal(t.server, pino({ level: "silent" }), { signals, exit: resolve }));
    const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: t.url }));
    const inflight = client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=200" }, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await t.router.slowStarted();
    signals.emit("SIGTERM", "SIGTERM");
    signals.emit("SIGINT", "SIGINT");
    expect((await inflight).status).toBe(200);
    expect(await exited).toBe(0);
    expect(t.router.closed).toBe(true);
  });
});

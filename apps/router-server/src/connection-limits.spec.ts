import { describe, it, expect, vi } from "vitest";
import { Agent, request as h1Request } from "node:http";
import { connect as h2Connect } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CallRequestSchema, LocationRouterService } from "@podium-router/proto";
import { frame, H2_PREFACE, h2Frame, hpackBlock } from "../test/raw-wire.js";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

// Issue 11 item 8: connections are bounded. Idle ones (an HTTP/2 preface and SETTINGS, then silence)
// are closed, never hold the cap against callers, and take their memory with them.

const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const H2_SETTINGS = h2Frame(4, 0, 0);

/** A connection that sends the HTTP/2 preface and an empty SETTINGS frame, then nothing, and never reads. */
function idleHttp2(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1", () => {
      socket.write(Buffer.concat([H2_PREFACE, H2_SETTINGS]));
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

/** Resolves when the server has closed `socket` (the peer's FIN, a reset or a destroy). */
function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
    // Reading lets the FIN (or a GOAWAY, then the FIN) arrive; an unread socket never sees it.
    socket.resume();
  });
}

/** The value of a metric line in the Prometheus text, or 0 when it is absent. */
function metric(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `) || (labels === "" && l.startsWith(`${name} `)));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

async function scrape(t: TestServer): Promise<string> {
  // A fresh connection each time (agent: false): a pooled one could be the one closed for idleness.
  return new Promise((resolve, reject) => {
    const r = h1Request(`${t.url}/metrics`, { headers: auth, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve(text));
    });
    r.on("error", reject);
    r.end();
  });
}

async function legitCalls(t: TestServer, tag: string): Promise<void> {
  // A fresh transport per call: each opens its own connection while the attack holds the cap.
  const transports = {
    gRPC: createGrpcTransport({ baseUrl: t.url }),
    "Connect over HTTP/2": createConnectTransport({ baseUrl: t.url, httpVersion: "2" }),
    "Connect over HTTP/1.1": createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl: t.url, httpVersion: "1.1" }),
  };
  for (const [name, transport] of Object.entries(transports)) {
    const res = await createClient(LocationRouterService, transport).call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo", requestId: `${tag}-${name.length}` }, { headers: auth });
    expect([name, res.status]).toEqual([name, 200]);
  }
}

describe("connection limits", () => {
  it("idle HTTP/2 connections beyond max_connections never lock out a caller, are closed after idle_timeout_ms, and RSS returns within a bound", async () => {
    const t = await startTestServer({ section: { max_connections: 20, idle_timeout_ms: 400, header_timeout_ms: 2_000, keepalive_time_ms: 0 } });
    try {
      await legitCalls(t, "warm-up");
      const rssBefore = process.memoryUsage().rss;
      const attackers: Promise<void>[] = [];
      let openDuringAttack = 0;
      for (let batch = 0; batch < 20; batch++) {
        const sockets = await Promise.all(Array.from({ length: 100 }, () => idleHttp2(t.port)));
        attackers.push(...sockets.map(closedByServer));
        if (batch === 10) {
          // 1,100 idle connections so far against a cap of 20: callers still get through.
          await legitCalls(t, "during-attack");
          openDuringAttack = metric(await scrape(t), "podium_router_connections_open");
        }
      }
      // Every idle connection is closed by the server: the ones replaced at the cap at once, the last
      // ones after the idle timeout.
      await Promise.all(attackers);
      await legitCalls(t, "after-attack");
      const text = await scrape(t);
      // The gauge counts sockets still closing too (a replaced connection gets its GOAWAY first); before
      // the limits, all 1,100 were open at this point.
      expect(openDuringAttack).toBeGreaterThan(0);
      expect(openDuringAttack).toBeLessThanOrEqual(2 * 20);
      // Which of the two closed a given connection depends on the machine's speed; together they closed all.
      const atCap = metric(text, "podium_router_connections_idle_closed_total", '{trigger="cap"}');
      const timedOut = metric(text, "podium_router_connections_idle_closed_total", '{trigger="idle_timeout"}');
      expect(atCap).toBeGreaterThanOrEqual(1);
      expect(timedOut).toBeGreaterThanOrEqual(1);
      expect(atCap + timedOut).toBeGreaterThanOrEqual(2_000);
      expect(metric(text, "podium_router_connections_refused_total")).toBe(0);
      await vi.waitFor(async () => expect(metric(await scrape(t), "podium_router_connections_open")).toBeLessThanOrEqual(5), { timeout: 10_000, interval: 100 });
      // 2,000 idle HTTP/2 sessions held open cost the server about 40 MB; none is held, so RSS stays
      // within a generous bound of where it started (the figure is not a timing).
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(96 * 1024 * 1024);
    } finally {
      await t.close();
    }
  });

  it("refuses a connection at max_connections when every open one is busy, and counts it", async () => {
    const t = await startTestServer({ section: { max_connections: 3, idle_timeout_ms: 30_000 } });
    try {
      const slowBody = JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=3000" });
      const slow = Array.from(
        { length: 3 },
        () =>
          new Promise<number>((resolve, reject) => {
            const r = h1Request(`${t.url}/podium.router.v1.LocationRouterService/Call`, { method: "POST", agent: false, headers: { ...auth, "content-type": "application/json" } }, (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            });
            r.on("error", reject);
            r.end(slowBody);
          }),
      );
      await vi.waitFor(() => expect(t.router.calls.filter((c) => c.call.path.startsWith("/v4/slow"))).toHaveLength(3), { timeout: 10_000 });
      const fourth = netConnect(t.port, "127.0.0.1");
      fourth.on("error", () => {});
      let received = 0;
      fourth.on("data", (c: Buffer) => (received += c.length));
      fourth.write(Buffer.concat([H2_PREFACE, H2_SETTINGS]));
      await new Promise<void>((resolve) => fourth.once("close", () => resolve()));
      expect(received).toBe(0);
      expect(await Promise.all(slow)).toEqual([200, 200, 200]);
      expect(metric(await scrape(t), "podium_router_connections_refused_total")).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("closes an idle HTTP/1.1 keep-alive connection after idle_timeout_ms", async () => {
    const t = await startTestServer({ section: { idle_timeout_ms: 300 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const r = h1Request(`${t.url}/metrics`, { headers: auth, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(r.socket as Socket));
        });
        r.on("error", reject);
        r.end();
      });
      await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
      expect(metric(await scrape(t), "podium_router_connections_idle_closed_total", '{trigger="idle_timeout"}')).toBeGreaterThanOrEqual(1);
    } finally {
      agent.destroy();
      await t.close();
    }
  });

  it("drops a connection that does not show its protocol, or send its request headers, within header_timeout_ms", async () => {
    const t = await startTestServer({ section: { header_timeout_ms: 300, idle_timeout_ms: 30_000 } });
    try {
      const silent = netConnect(t.port, "127.0.0.1");
      const halfPreface = netConnect(t.port, "127.0.0.1", () => halfPreface.write(H2_PREFACE.subarray(0, 10)));
      const slowHeaders = netConnect(t.port, "127.0.0.1", () => slowHeaders.write("POST /podium.router.v1.LocationRouterService/Call HTTP/1.1\r\nHost: a\r\n"));
      await Promise.all([silent, halfPreface, slowHeaders].map(closedByServer));
      expect(metric(await scrape(t), "podium_router_connections_idle_closed_total", '{trigger="header_timeout"}')).toBeGreaterThanOrEqual(2);
    } finally {
      await t.close();
    }
  });

  it("advertises http2_max_concurrent_streams in its SETTINGS", async () => {
    const t = await startTestServer({ section: { http2_max_concurrent_streams: 7 } });
    const session = h2Connect(t.url);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => session.once("remoteSettings", resolve));
      expect(settings.maxConcurrentStreams).toBe(7);
    } finally {
      session.close();
      await t.close();
    }
  });

  it("PINGs a quiet HTTP/2 connection with an open stream: a live peer keeps its call, a silent one is closed", async () => {
    const t = await startTestServer({ section: { keepalive_time_ms: 200, keepalive_timeout_ms: 2_000, idle_timeout_ms: 30_000 } });
    try {
      // A live client answers PINGs (Node does so by itself): its 1.2 s call outlives several of them.
      const session = h2Connect(t.url);
      let pings = 0;
      session.on("ping", () => pings++);
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/podium.router.v1.LocationRouterService/Call", "content-type": "application/json", ...auth });
        let code = 0;
        req.on("response", (h) => (code = Number(h[":status"])));
        req.resume();
        req.on("close", () => resolve(code));
        req.on("error", reject);
        req.end(JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=1200" }));
      });
      session.close();
      expect(status).toBe(200);
      expect(pings).toBeGreaterThanOrEqual(1);

      // A peer that opens a call and then never answers a PING is closed, and its call cancelled.
      const calls = t.router.calls.length;
      const silent = netConnect(t.port, "127.0.0.1");
      silent.on("error", () => {});
      const frames: number[] = [];
      silent.on("data", (c: Buffer) => {
        for (let at = 0; at + 9 <= c.length; at += 9 + c.readUIntBE(at, 3)) frames.push(c[at + 3] ?? -1);
      });
      const headers = hpackBlock({
        ":method": "POST",
        ":scheme": "http",
        ":path": "/podium.router.v1.LocationRouterService/Call",
        ":authority": "localhost",
        "content-type": "application/grpc",
        te: "trailers",
        authorization: auth.authorization,
      });
      const message = frame(toBinary(CallRequestSchema, create(CallRequestSchema, { locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=20000" })));
      silent.write(Buffer.concat([H2_PREFACE, H2_SETTINGS, h2Frame(4, 1, 0), h2Frame(1, 0x4, 1, headers), h2Frame(0, 0x1, 1, message)]));
      await new Promise<void>((resolve) => silent.once("close", () => resolve()));
      expect(frames).toContain(6);
      const { ctx } = t.router.calls[calls]!;
      await vi.waitFor(() => expect(ctx?.signal?.aborted).toBe(true));
      expect(metric(await scrape(t), "podium_router_connections_idle_closed_total", '{trigger="keepalive_timeout"}')).toBe(1);
    } finally {
      await t.close();
    }
  });
});

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as h2Connect } from "node:http2";
import { request } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { LocationRouterService } from "@podium-router/proto";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const openssl = haveOpenssl();
if (!openssl) console.warn("router-server-tls.spec.ts skipped: openssl not found to make a test certificate");

describe.skipIf(!openssl)("createRouterServer() with server.tls", () => {
  let dir: string;
  let ca: Buffer;
  let t: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "router-tls-"));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    ca = readFileSync(cert);
    t = await startTestServer({ section: { tls: { cert_file: cert, key_file: key } } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says it listens with TLS", () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(t.logLines().some((l) => String(l["msg"]).startsWith("listening with TLS"))).toBe(true);
  });

  it("serves gRPC, Connect and gRPC-Web over HTTP/2 by ALPN and over HTTP/1.1", async () => {
    const transports = {
      "gRPC (h2)": createGrpcTransport({ baseUrl: t.url, nodeOptions: { ca } }),
      "Connect (h2)": createConnectTransport({ baseUrl: t.url, httpVersion: "2", nodeOptions: { ca } }),
      "Connect (HTTP/1.1)": createConnectTransport({ baseUrl: t.url, httpVersion: "1.1", nodeOptions: { ca } }),
      "gRPC-Web (h2)": createGrpcWebTransport({ baseUrl: t.url, httpVersion: "2", nodeOptions: { ca } }),
    };
    for (const [name, transport] of Object.entries(transports)) {
      const client = createClient(LocationRouterService, transport);
      const res = await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(res.status, name).toBe(200);
    }
  });

  it("falls back to HTTP/1.1 for a client that offers no ALPN", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${t.url}/grpc.health.v1.Health/Check`, { method: "POST", ca, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(200);
  });
});

describe.skipIf(!openssl)("connection limits over TLS", () => {
  let dir: string;
  let ca: Buffer;
  let t: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "router-tls-limits-"));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
    ca = readFileSync(cert);
    t = await startTestServer({ section: { tls: { cert_file: cert, key_file: key }, idle_timeout_ms: 300, header_timeout_ms: 300 } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("drops a connection that never starts its TLS handshake after header_timeout_ms", async () => {
    const socket = netConnect(t.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
  });

  it("keeps an HTTP/1.1 connection with a call in flight past idle_timeout_ms, and closes it once idle", async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const body = JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/slow?ms=1000" });
      const req = request(
        `${t.url}/podium.router.v1.LocationRouterService/Call`,
        { method: "POST", ca, agent: false, headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}`, connection: "keep-alive" } },
        (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 200 ? resolve(req.socket as Socket) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
  });

  it("sends GOAWAY to an idle HTTP/2 connection after idle_timeout_ms", async () => {
    const session = h2Connect(t.url, { ca });
    const req = session.request({ ":path": "/grpc.health.v1.Health/Check", ":method": "POST", "content-type": "application/json" });
    req.resume();
    req.end("{}");
    await new Promise<void>((resolve) => req.once("close", () => resolve()));
    await new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    session.destroy();
  });
});

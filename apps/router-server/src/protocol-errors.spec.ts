import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { CallRequestSchema, QueryAuditRequestSchema } from "@podium-router/proto";
import { contentTypes, frame, gzip, rawRequest, refusalOf, wireError, type RawProtocol, type RawRequest } from "../test/raw-wire.js";
import { OPS_KEY, REAL_SYDNEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { ADMIN_KEY, startTestServer, SYDNEY } from "../test/test-server.js";

// Issue 11 item 7: every failure of the protocol layer (framing, compression, headers, decoding),
// raised by the server's own checks, by connect-node or by grpc-js, reaches the caller as the right
// code (a client fault is never INTERNAL) with a podium.router.v1.ErrorDetail, on every protocol. The
// server runs on the real core and sandbox: none of these requests reaches the service layer, so none
// may leave an audit line or send anything upstream.

const CALL = "/podium.router.v1.LocationRouterService/Call";
const QUERY_AUDIT = "/podium.router.v1.LocationRouterService/QueryAudit";
const auth = { authorization: `Bearer ${OPS_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const callBytes = toBinary(CallRequestSchema, create(CallRequestSchema, { locationUid: REAL_SYDNEY, method: "GET", path: "/v4/contacts" }));
const queryBytes = toBinary(QueryAuditRequestSchema, create(QueryAuditRequestSchema, { locationUid: REAL_SYDNEY }));
/** Protobuf can never decode this: the first tag has wire type 7, which does not exist. */
const undecodable = (): Buffer => Buffer.concat([Buffer.from([0x0f]), randomBytes(64)]);
/** 2 MiB of zeros gzip to about 2 KiB: far under the 64 KiB limit on the wire, far over it decompressed. */
const bomb = gzip(Buffer.alloc(2 * 1024 * 1024));

/** A transport to try: a protocol over one HTTP version, and the RPC its requests go to. */
interface Transport {
  name: string;
  protocol: RawProtocol;
  http: "1.1" | "2";
}
const transports: Transport[] = [
  { name: "gRPC", protocol: "grpc", http: "2" },
  { name: "gRPC-Web over HTTP/1.1", protocol: "grpc-web", http: "1.1" },
  { name: "gRPC-Web over HTTP/2", protocol: "grpc-web", http: "2" },
  { name: "Connect over HTTP/1.1", protocol: "connect", http: "1.1" },
  { name: "Connect over HTTP/2", protocol: "connect", http: "2" },
  { name: "Connect streaming over HTTP/1.1", protocol: "connect-stream", http: "1.1" },
  { name: "Connect streaming over HTTP/2", protocol: "connect-stream", http: "2" },
];
const enveloped = (p: RawProtocol): boolean => p !== "connect";
const encodingHeader = (p: RawProtocol): string => (p === "connect" ? "content-encoding" : p === "connect-stream" ? "connect-content-encoding" : "grpc-encoding");
const timeoutHeader = (p: RawProtocol): string => (p === "connect" || p === "connect-stream" ? "connect-timeout-ms" : "grpc-timeout");

/** One hostile input: how to build it for a transport (undefined: does not apply), and the expected code. */
interface Case {
  name: string;
  code: "InvalidArgument" | "ResourceExhausted" | "Unimplemented";
  build: (p: RawProtocol, message: Uint8Array) => { body: Uint8Array; headers?: Record<string, string> } | undefined;
}
const cases: Case[] = [
  { name: "a random binary message", code: "InvalidArgument", build: (p) => ({ body: enveloped(p) ? frame(undecodable()) : undecodable() }) },
  {
    name: "a JSON body that is not JSON",
    code: "InvalidArgument",
    build: (p) => (p === "connect" ? { body: Buffer.from('{"locationUid": '), headers: { "content-type": "application/json" } } : undefined),
  },
  { name: "a truncated frame", code: "InvalidArgument", build: (p, m) => (enveloped(p) ? { body: frame(m, 0, m.byteLength + 100) } : undefined) },
  { name: "three random bytes as the body", code: "InvalidArgument", build: (p) => (enveloped(p) ? { body: randomBytes(3) } : undefined) },
  { name: "random bytes that are no frame", code: "InvalidArgument", build: (p) => (enveloped(p) ? { body: Buffer.concat([Buffer.from([0x5a]), randomBytes(63)]) } : undefined) },
  { name: "an unknown frame flag", code: "InvalidArgument", build: (p, m) => (enveloped(p) ? { body: frame(m, 0x02) } : undefined) },
  { name: "a 4 GiB length prefix", code: "ResourceExhausted", build: (p) => (enveloped(p) ? { body: frame(Buffer.alloc(0), 0, 0xffffffff) } : undefined) },
  { name: "a compressed frame without an encoding", code: "InvalidArgument", build: (p, m) => (enveloped(p) ? { body: frame(m, 1) } : undefined) },
  { name: "no message for a unary RPC", code: "InvalidArgument", build: (p) => (enveloped(p) ? { body: Buffer.alloc(0) } : undefined) },
  { name: "two messages for a unary RPC", code: "InvalidArgument", build: (p, m) => (enveloped(p) ? { body: Buffer.concat([frame(m), frame(m)]) } : undefined) },
  {
    name: "a message over the limit once decompressed",
    code: "ResourceExhausted",
    build: (p) => ({ body: enveloped(p) ? frame(bomb, 1) : bomb, headers: { [encodingHeader(p)]: "gzip" } }),
  },
  {
    name: "corrupt gzip",
    code: "InvalidArgument",
    build: (p) => {
      const junk = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(40)]);
      return { body: enveloped(p) ? frame(junk, 1) : junk, headers: { [encodingHeader(p)]: "gzip" } };
    },
  },
  { name: "an unsupported encoding", code: "Unimplemented", build: (p, m) => ({ body: enveloped(p) ? frame(m) : m, headers: { [encodingHeader(p)]: "snappy" } }) },
  { name: "deflate over gRPC", code: "Unimplemented", build: (p, m) => (p === "grpc" ? { body: frame(m, 1), headers: { "grpc-encoding": "deflate" } } : undefined) },
  { name: "a malformed timeout (abc)", code: "InvalidArgument", build: (p, m) => ({ body: enveloped(p) ? frame(m) : m, headers: { [timeoutHeader(p)]: "abc" } }) },
];

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`protocol-level failures are typed refusals (grpc_engine ${engine})`, () => {
    let r: RealRouter;
    beforeAll(async () => {
      r = await startRealRouter({ grpc_engine: engine });
    });
    afterAll(async () => {
      await r?.close();
    });

    for (const c of cases) {
      it(`${c.name}: ${c.code} with reason ERR_LOC_BAD_REQUEST, on every protocol; nothing audited, nothing sent upstream`, async () => {
        const seq = r.lastSeq();
        const auditBefore = r.auditLines().length;
        let tried = 0;
        for (const t of transports) {
          // Unary Call for unary protocols; Connect streaming needs a streaming RPC (QueryAudit).
          const stream = t.protocol === "connect-stream";
          const built = c.build(t.protocol, stream ? queryBytes : callBytes);
          if (built === undefined) continue;
          tried++;
          const req: RawRequest = { protocol: t.protocol, http: t.http, path: stream ? QUERY_AUDIT : CALL, headers: { ...auth, ...built.headers }, body: built.body };
          const res = await rawRequest(r.url, req);
          const refusal = refusalOf(wireError(t.protocol, res));
          expect([t.name, refusal.code, refusal.reason], refusal.message).toEqual([t.name, c.code, "ERR_LOC_BAD_REQUEST"]);
          expect(refusal.requestId, t.name).toMatch(UUID);
          // Connect maps the code to the HTTP status (UNIMPLEMENTED is 501); never the 500 of INTERNAL.
          if (t.protocol === "connect") expect(res.status, t.name).not.toBe(500);
          if (t.protocol === "grpc" || t.protocol === "grpc-web") expect(res.headers["content-type"], t.name).toMatch(/^application\/grpc/);
          if (c.code === "Unimplemented") expect(Object.keys(res.headers).some((k) => k.endsWith("accept-encoding")), t.name).toBe(true);
        }
        expect(tried).toBeGreaterThan(0);
        expect(r.upstreamSince(seq)).toEqual([]);
        expect(r.auditLines().slice(auditBefore)).toEqual([]);
      });
    }

    it("still serves a well-formed request on every protocol, gzip-compressed too", async () => {
      for (const t of transports) {
        const stream = t.protocol === "connect-stream";
        const message = stream ? queryBytes : callBytes;
        for (const compressed of [false, true]) {
          const payload = compressed ? gzip(message) : Buffer.from(message);
          const headers: Record<string, string> = { ...auth };
          if (compressed) headers[encodingHeader(t.protocol)] = "gzip";
          const body = enveloped(t.protocol) ? frame(payload, compressed ? 1 : 0) : payload;
          const res = await rawRequest(r.url, { protocol: t.protocol, http: t.http, path: stream ? QUERY_AUDIT : CALL, headers, body });
          expect([t.name, compressed, refusalOf(wireError(t.protocol, res)).code]).toEqual([t.name, compressed, "OK"]);
        }
      }
    });
  });
}

describe("gRPC advertises only the encodings it accepts", () => {
  let r: RealRouter;
  beforeAll(async () => {
    r = await startRealRouter();
  });
  afterAll(async () => {
    await r?.close();
  });

  it("grpc-accept-encoding names identity and gzip, not grpc-js's deflate", async () => {
    const res = await rawRequest(r.url, { protocol: "grpc", http: "2", path: CALL, headers: auth, body: frame(callBytes) });
    expect(res.headers["grpc-accept-encoding"]).toBe("identity,gzip");
    expect(contentTypes.grpc).toBe(res.headers["content-type"]);
  });
});

describe("a deadline that passes mid-call answers DEADLINE_EXCEEDED with the call's own request id", () => {
  // Raw requests: a client library enforces the deadline itself and reports it without the server's
  // trailers, which would hide what the server sends.
  const slowCall = (requestId: string, locationUid: string, path: string): Uint8Array =>
    toBinary(CallRequestSchema, create(CallRequestSchema, { locationUid, method: "GET", path, requestId }));
  const deadlineTransports: [string, RawProtocol, "1.1" | "2", Record<string, string>][] = [
    ["gRPC", "grpc", "2", { "grpc-timeout": "300m" }],
    ["gRPC-Web", "grpc-web", "1.1", { "grpc-timeout": "300m" }],
    ["Connect", "connect", "2", { "connect-timeout-ms": "300" }],
  ];

  for (const engine of ["grpc-js", "connect"] as const) {
    it(`grpc_engine ${engine}: the engine's own deadline (a service that ignores it) carries the ErrorDetail`, async () => {
      const t = await startTestServer({ section: { grpc_engine: engine } });
      try {
        for (const [name, protocol, http, headers] of deadlineTransports) {
          const message = slowCall(`dl-${engine}-${protocol}`, SYDNEY, "/v4/slow?ms=5000");
          const body = protocol === "connect" ? message : frame(message);
          const res = await rawRequest(t.url, { protocol, http, path: CALL, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers }, body });
          const refusal = refusalOf(wireError(protocol, res));
          expect([name, refusal.code, refusal.reason, refusal.requestId]).toEqual([name, "DeadlineExceeded", "ERR_LOC_DEADLINE_EXCEEDED", `dl-${engine}-${protocol}`]);
        }
      } finally {
        await t.close();
      }
    });
  }

  it("grpc-js: the audit line of a call cut by the deadline names the request id the caller received", async () => {
    const r = await startRealRouter({ grpc_engine: "grpc-js" });
    try {
      r.sandbox.setFaults({ latencyMs: 3_000 });
      const res = await rawRequest(r.url, { protocol: "grpc", http: "2", path: CALL, headers: { ...auth, "grpc-timeout": "500m" }, body: frame(slowCall("dl-real-1", REAL_SYDNEY, "/v4/contacts")) });
      const refusal = refusalOf(wireError("grpc", res));
      expect([refusal.code, refusal.reason, refusal.requestId]).toEqual(["DeadlineExceeded", "ERR_LOC_DEADLINE_EXCEEDED", "dl-real-1"]);
      await vi.waitFor(() => expect(r.auditLines().find((l) => l.request_id === "dl-real-1")).toMatchObject({ location_uid: REAL_SYDNEY, error_code: "ERR_LOC_DEADLINE_EXCEEDED" }), { timeout: 10_000 });
    } finally {
      r.sandbox.resetFaults();
      await r.close();
    }
  });
});

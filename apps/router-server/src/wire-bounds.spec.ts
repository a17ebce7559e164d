import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { credentials, loadPackageDefinition, Metadata, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { CallRequestSchema, ErrorDetailSchema, LocationRouterService } from "@podium-router/proto";
import { frame, rawRequest, refusalOf, wireError } from "../test/raw-wire.js";
import { OPS_KEY, REAL_SYDNEY, SYDNEY_ONLY_KEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { MAX_ERROR_MESSAGE_BYTES, QUOTED_PREFIX_CHARS } from "./wire-text.js";

// Issue 11 item 5: a long or hostile caller string never blows up grpc-message or the ErrorDetail.
// Every protocol gets the typed refusal with a bounded message and a sanitised prefix of the value,
// and gRPC trailers stay far below the 8 KiB grpc-js and grpcio accept.

const LONG_UID = `loc-${"x".repeat(300_000)}`;
// Bidi override, newline, escape, NUL and a lone surrogate: each rewrites what a terminal shows or breaks encodeURI.
const NASTY_UID = `\u202e\n\u001b[2J\u0000${"y".repeat(5_000)}\ud800`;
const LONG_REQUEST_ID = "r".repeat(200_000);
const TRAILER_BUDGET_BYTES = 4_096;

const protoRoot = fileURLToPath(new URL("../../../proto", import.meta.url));
const definition = loadSync("podium/router/v1/router.proto", { includeDirs: [protoRoot], defaults: true, enums: String });
interface GrpcJsStub {
  call(req: object, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null) => void): void;
  close(): void;
}
const pkg = loadPackageDefinition(definition) as unknown as {
  podium: { router: { v1: { LocationRouterService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => GrpcJsStub } } };
};

interface Seen {
  code: string;
  reason: string | undefined;
  locationUid: string | undefined;
  requestId: string | undefined;
  message: string;
}

/** Calls Call with the @grpc/grpc-js client and decodes grpc-status-details-bin like any gRPC library. */
function grpcJsCall(port: number, req: object, key: string): Promise<Seen> {
  const stub = new pkg.podium.router.v1.LocationRouterService(`127.0.0.1:${port}`, credentials.createInsecure());
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return new Promise<Seen>((resolve) =>
    stub.call(req, md, { deadline: Date.now() + 10_000 }, (err) => {
      stub.close();
      if (err === null) return resolve({ code: "OK", reason: undefined, locationUid: undefined, requestId: undefined, message: "" });
      const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
      const trailer = new Headers({ "grpc-status": String(err.code), "grpc-message": "-" });
      if (bin !== undefined) trailer.set("grpc-status-details-bin", bin.toString("base64"));
      const detail = findTrailerError(trailer)?.findDetails(ErrorDetailSchema)[0];
      resolve({ code: Code[err.code] ?? String(err.code), reason: detail?.reason, locationUid: detail?.locationUid, requestId: detail?.requestId, message: err.details });
    }),
  );
}

async function connectCall(transport: Transport, req: { locationUid: string; requestId?: string }, key: string): Promise<Seen> {
  try {
    await createClient(LocationRouterService, transport).call({ method: "GET", path: "/v4/contacts", ...req }, { headers: { authorization: `Bearer ${key}` } });
    return { code: "OK", reason: undefined, locationUid: undefined, requestId: undefined, message: "" };
  } catch (e) {
    const err = ConnectError.from(e);
    const detail = err.findDetails(ErrorDetailSchema)[0];
    return { code: Code[err.code], reason: detail?.reason, locationUid: detail?.locationUid, requestId: detail?.requestId, message: err.rawMessage };
  }
}

/** The bounds every refusal keeps, whatever the caller sent. */
function expectBounded(name: string, seen: Seen, hostile: string): void {
  expect(Buffer.byteLength(seen.message, "utf8"), name).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
  expect(seen.message, name).not.toContain(hostile.slice(0, 200));
  expect(seen.message, name).not.toMatch(/[\u0000-\u001f\u202e]/);
  // A uid that follows the id rule comes back whole; anything else as its sanitised prefix.
  if (seen.locationUid !== REAL_SYDNEY) expect(seen.locationUid?.length ?? 0, name).toBeLessThanOrEqual(QUOTED_PREFIX_CHARS + 1);
  expect(seen.locationUid ?? "", name).toMatch(/^[\x20-\x7e…]*$/);
  expect(seen.requestId?.length ?? 0, name).toBeLessThanOrEqual(128);
  expect(seen.requestId, name).not.toBe("");
}

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`long and hostile caller strings (grpc_engine ${engine})`, () => {
    let r: RealRouter;
    const clients = (): Record<string, (req: { locationUid: string; requestId?: string }, key: string) => Promise<Seen>> => ({
      "@grpc/grpc-js": (req, key) => grpcJsCall(r.port, { method: "GET", path: "/v4/contacts", ...req }, key),
      "Connect gRPC": (req, key) => connectCall(createGrpcTransport({ baseUrl: r.url }), req, key),
      "Connect over HTTP/1.1": (req, key) => connectCall(createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" }), req, key),
      "Connect over HTTP/2": (req, key) => connectCall(createConnectTransport({ baseUrl: r.url, httpVersion: "2", useBinaryFormat: true }), req, key),
      "gRPC-Web over HTTP/1.1": (req, key) => connectCall(createGrpcWebTransport({ baseUrl: r.url, httpVersion: "1.1" }), req, key),
    });

    beforeAll(async () => {
      // The largest body allowed, so a 300,000-character uid reaches the service and its refusal.
      r = await startRealRouter({ grpc_engine: engine, max_request_bytes: 1024 * 1024 });
    });
    afterAll(async () => {
      await r?.close();
    });

    for (const [label, uid] of [
      ["a 300,000-character location_uid", LONG_UID],
      ["a location_uid with control, bidi and unpaired surrogate characters", NASTY_UID],
    ] as const) {
      it(`${label}: NOT_FOUND ERR_LOC_UNKNOWN with a bounded message, the caller's request id, an audit line and nothing upstream`, async () => {
        const seq = r.lastSeq();
        for (const [name, call] of Object.entries(clients())) {
          const requestId = `bounds-${engine}-${name.replace(/[^a-z0-9]+/gi, "-")}`;
          const seen = await call({ locationUid: uid, requestId }, OPS_KEY);
          expect([name, seen.code, seen.reason, seen.requestId]).toEqual([name, "NotFound", "ERR_LOC_UNKNOWN", requestId]);
          expectBounded(name, seen, uid.slice(10));
          await vi.waitFor(() => expect(r.auditLines().find((l) => l.request_id === requestId)?.error_code, name).toBe("ERR_LOC_UNKNOWN"));
        }
        expect(r.upstreamSince(seq)).toEqual([]);
      });
    }

    it("a location_uid the key is not granted: PERMISSION_DENIED with a bounded message, nothing upstream", async () => {
      const seq = r.lastSeq();
      for (const [name, call] of Object.entries(clients())) {
        const seen = await call({ locationUid: LONG_UID, requestId: "bounds-denied" }, SYDNEY_ONLY_KEY);
        expect([name, seen.code, seen.reason]).toEqual([name, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED"]);
        expectBounded(name, seen, LONG_UID.slice(10));
      }
      expect(r.upstreamSince(seq)).toEqual([]);
    });

    it("a 200,000-character request_id: INVALID_ARGUMENT ERR_LOC_BAD_REQUEST with a bounded message, nothing upstream", async () => {
      const seq = r.lastSeq();
      for (const [name, call] of Object.entries(clients())) {
        const seen = await call({ locationUid: REAL_SYDNEY, requestId: LONG_REQUEST_ID }, OPS_KEY);
        expect([name, seen.code, seen.reason]).toEqual([name, "InvalidArgument", "ERR_LOC_BAD_REQUEST"]);
        expectBounded(name, seen, LONG_REQUEST_ID);
        expect(seen.locationUid, name).toBe(REAL_SYDNEY);
      }
      expect(r.upstreamSince(seq)).toEqual([]);
    });

    it("a 300,000-character path or method: INVALID_ARGUMENT ERR_LOC_BAD_REQUEST with a bounded message, nothing upstream", async () => {
      const seq = r.lastSeq();
      const client = createClient(LocationRouterService, createGrpcTransport({ baseUrl: r.url }));
      for (const req of [
        { locationUid: REAL_SYDNEY, method: "GET", path: `/v4/${"p".repeat(300_000)}` },
        { locationUid: REAL_SYDNEY, method: `GET${"\u202e".repeat(10)}${"M".repeat(300_000)}`, path: "/v4/contacts" },
      ]) {
        const err = await client.call(req, { headers: { authorization: `Bearer ${OPS_KEY}` } }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        const detail = err?.findDetails(ErrorDetailSchema)[0];
        expect([err === undefined ? "OK" : Code[err.code], detail?.reason]).toEqual(["InvalidArgument", "ERR_LOC_BAD_REQUEST"]);
        expectBounded("Connect gRPC", { code: "", reason: detail?.reason, locationUid: detail?.locationUid, requestId: detail?.requestId, message: err?.rawMessage ?? "" }, "p".repeat(200));
        expect(err?.rawMessage).not.toContain("M".repeat(200));
      }
      expect(r.upstreamSince(seq)).toEqual([]);
    });

    it(`gRPC trailers stay under ${TRAILER_BUDGET_BYTES} bytes for every hostile value`, async () => {
      for (const [locationUid, requestId] of [
        [LONG_UID, "bounds-trailer"],
        [NASTY_UID, "bounds-trailer"],
        [REAL_SYDNEY, LONG_REQUEST_ID],
      ] as const) {
        const body = frame(toBinary(CallRequestSchema, create(CallRequestSchema, { locationUid, requestId, method: "GET", path: "/v4/contacts" })));
        const res = await rawRequest(r.url, { protocol: "grpc", http: "2", path: "/podium.router.v1.LocationRouterService/Call", headers: { authorization: `Bearer ${OPS_KEY}` }, body });
        expect(refusalOf(wireError("grpc", res)).reason).toMatch(/^ERR_LOC_(UNKNOWN|BAD_REQUEST)$/);
        expect(res.fieldBytes).toBeLessThan(TRAILER_BUDGET_BYTES);
      }
    });
  });
}

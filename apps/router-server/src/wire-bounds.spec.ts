import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MAX_AUDIT_LINE_BYTES } from "@podium-router/core";
import { CallRequestSchema, ErrorDetailSchema, LocationRouterService } from "@podium-router/proto";
import { frame, rawRequest, refusalOf, wireError } from "../test/raw-wire.js";
import { OPS_KEY, REAL_BURLEIGH, REAL_SYDNEY, SYDNEY_ONLY_KEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { wireClients, type Seen } from "../test/wire-clients.js";
import { MAX_ERROR_MESSAGE_BYTES, QUOTED_PREFIX_CHARS } from "./wire-text.js";

// Issue 11 items 3 and 5: a long or hostile caller string never blows up grpc-message, the ErrorDetail or the audit line.
// Every protocol gets the typed refusal with a bounded message and a sanitised prefix of the value,
// and gRPC trailers stay far below the 8 KiB grpc-js and grpcio accept.

const LONG_UID = `loc-${"x".repeat(300_000)}`;
// Bidi override, newline, escape, NUL and a lone surrogate: each rewrites what a terminal shows or breaks encodeURI.
const NASTY_UID = `\u202e\n\u001b[2J\u0000${"y".repeat(5_000)}\ud800`;
const LONG_REQUEST_ID = "r".repeat(200_000);
const TRAILER_BUDGET_BYTES = 4_096;

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
    // Each client library, calling Call with a GET of /v4/contacts and the given uid and request id.
    const clients = (): Record<string, (req: { locationUid: string; requestId?: string }, key: string) => Promise<Seen>> =>
      Object.fromEntries(
        Object.entries(wireClients(r.port, r.url)).map(([name, call]) => [name, (req: { locationUid: string; requestId?: string }, key: string) => call("call", { method: "GET", path: "/v4/contacts", ...req }, key)]),
      );

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
      it(`${label}: INVALID_ARGUMENT ERR_LOC_BAD_REQUEST at the edge with a bounded message, the caller's request id, a bounded audit line and nothing upstream`, async () => {
        const seq = r.lastSeq();
        for (const [name, call] of Object.entries(clients())) {
          const requestId = `bounds-${engine}-${name.replace(/[^a-z0-9]+/gi, "-")}`;
          const seen = await call({ locationUid: uid, requestId }, OPS_KEY);
          expect([name, seen.code, seen.reason, seen.requestId]).toEqual([name, "InvalidArgument", "ERR_LOC_BAD_REQUEST", requestId]);
          expect(seen.message, name).toMatch(/location_uid must be 1-128 characters/);
          expectBounded(name, seen, uid.slice(10));
          await vi.waitFor(() => expect(r.auditLines().find((l) => l.request_id === requestId), name).toMatchObject({ location_uid: "{invalid}", error_code: "ERR_LOC_BAD_REQUEST", caller: "ops" }));
        }
        // The edge wrote every line, and none carries the caller's text.
        for (const line of r.auditLineTexts()) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
        expect(r.auditLineTexts().join("\n")).not.toContain(uid.slice(10, 60));
        expect(r.upstreamSince(seq)).toEqual([]);
      });
    }

    it("a location_uid the key is not granted: PERMISSION_DENIED; a malformed one is INVALID_ARGUMENT first; nothing upstream", async () => {
      const seq = r.lastSeq();
      for (const [name, call] of Object.entries(clients())) {
        const denied = await call({ locationUid: REAL_BURLEIGH, requestId: "bounds-denied" }, SYDNEY_ONLY_KEY);
        expect([name, denied.code, denied.reason, denied.locationUid]).toEqual([name, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED", REAL_BURLEIGH]);
        const malformed = await call({ locationUid: LONG_UID, requestId: "bounds-denied" }, SYDNEY_ONLY_KEY);
        expect([name, malformed.code, malformed.reason]).toEqual([name, "InvalidArgument", "ERR_LOC_BAD_REQUEST"]);
        expectBounded(name, malformed, LONG_UID.slice(10));
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

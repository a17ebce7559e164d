import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect as h2Connect, createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { CallRequestSchema } from "@podium-router/proto";
import { frame, rawRequest, refusalOf, wireError, type RawProtocol } from "../test/raw-wire.js";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

// Issue 11 item 10: spaces or tabs around the API key are handled alike on HTTP/1.1 and HTTP/2, on
// every protocol. HTTP/1.1 removes them before any code sees the header (RFC 9110 5.5), so refusing
// them there is impossible; the router trims them everywhere instead (a key is one token, so trimming
// never makes another key match). HTTP/2's nghttp2 drops such a field unless Node lets the server keep
// it (strictFieldWhitespaceValidation, Node >= 24.2); on an older Node the HTTP/2 half cannot hold.

const CALL = "/podium.router.v1.LocationRouterService/Call";
const padded = [`Bearer ${ADMIN_KEY}   `, `  Bearer ${ADMIN_KEY}`, `\tBearer\t${ADMIN_KEY}\t`];
const message = toBinary(CallRequestSchema, create(CallRequestSchema, { locationUid: SYDNEY, method: "GET", path: "/v4/echo" }));

/** True when this Node's HTTP/2 server can receive a header value with a trailing space. */
async function http2KeepsFieldWhitespace(): Promise<boolean> {
  const server = createHttp2Server({ strictFieldWhitespaceValidation: false } as Parameters<typeof createHttp2Server>[0]);
  server.on("stream", (stream, headers) => {
    stream.respond({ ":status": 200, "x-seen": headers["x-probe"] === "v " ? "yes" : "no" });
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const session = h2Connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    return await new Promise<boolean>((resolve) => {
      const req = session.request({ ":path": "/", "x-probe": "v " });
      req.on("response", (h) => resolve(h["x-seen"] === "yes"));
      req.on("error", () => resolve(false));
      req.end();
    });
  } finally {
    session.close();
    server.close();
  }
}

const keeps = await http2KeepsFieldWhitespace();
const body = (p: RawProtocol): Uint8Array => (p === "connect" ? message : frame(message));

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`spaces around the API key (grpc_engine ${engine})`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ section: { grpc_engine: engine } });
    });
    afterAll(async () => {
      await t.close();
    });

    const outcome = async (protocol: RawProtocol, http: "1.1" | "2", authorization: string): Promise<[string, string | undefined]> => {
      const res = await rawRequest(t.url, { protocol, http, path: CALL, headers: { authorization }, body: body(protocol) });
      const refusal = refusalOf(wireError(protocol, res));
      return [refusal.code, refusal.reason];
    };

    it("are trimmed over HTTP/1.1 on Connect and gRPC-Web", async () => {
      for (const protocol of ["connect", "grpc-web"] as const) {
        for (const authorization of padded) expect([protocol, JSON.stringify(authorization), ...(await outcome(protocol, "1.1", authorization))]).toEqual([protocol, JSON.stringify(authorization), "OK", undefined]);
      }
    });

    it.skipIf(!keeps)(`are trimmed over HTTP/2 on gRPC, Connect and gRPC-Web, exactly as over HTTP/1.1${keeps ? "" : ` [skipped: Node ${process.version} drops such HTTP/2 header fields]`}`, async () => {
      for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
        for (const authorization of padded) expect([protocol, JSON.stringify(authorization), ...(await outcome(protocol, "2", authorization))]).toEqual([protocol, JSON.stringify(authorization), "OK", undefined]);
      }
    });

    it("a space inside the key is refused alike on both HTTP versions", async () => {
      const broken = `Bearer ${ADMIN_KEY.slice(0, 5)} ${ADMIN_KEY.slice(5)}`;
      for (const [protocol, http] of [["connect", "1.1"], ["grpc-web", "1.1"], ["grpc", "2"], ["connect", "2"], ["grpc-web", "2"]] as const) {
        expect([protocol, http, ...(await outcome(protocol, http, broken))]).toEqual([protocol, http, "Unauthenticated", "ERR_LOC_UNAUTHENTICATED"]);
      }
    });
  });
}

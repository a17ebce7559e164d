/**
 * Hand-made requests for protocol tests: bytes no well-behaved client library would send (broken
 * frames, bad headers), over HTTP/1.1 or HTTP/2 (h2c), and a decoder for the error each protocol
 * carries back, using connect's own parsers (the same ones its clients use).
 */
import { request as h1Request } from "node:http";
import { connect as h2Connect, constants } from "node:http2";
import { gzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { endStreamFromJson, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorDetailSchema } from "@podium-router/proto";

export type RawProtocol = "grpc" | "grpc-web" | "connect" | "connect-stream";

/** The content type a protocol's binary requests carry. */
export const contentTypes: Readonly<Record<RawProtocol, string>> = {
  grpc: "application/grpc+proto",
  "grpc-web": "application/grpc-web+proto",
  connect: "application/proto",
  "connect-stream": "application/connect+proto",
};

/** One request. `body` is sent as given; use {@link frame} for enveloped protocols. */
export interface RawRequest {
  protocol: RawProtocol;
  http: "1.1" | "2";
  path: string;
  headers?: Record<string, string> | undefined;
  body: Uint8Array;
}

/** What came back. `fieldBytes` sums the length of every header and trailer name and value. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
  fieldBytes: number;
  /** HTTP/2 only: the RST_STREAM code (0 when the stream ended normally). */
  rstCode: number;
}

/** A length-prefixed message frame (gRPC, gRPC-Web, Connect streaming). `declared` overrides the length field. */
export function frame(payload: Uint8Array, flags = 0, declared = payload.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(declared >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** gzip, for compressed-message cases. */
export const gzip = (bytes: Uint8Array): Buffer => gzipSync(bytes);

function flat(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":") && v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

function fieldBytes(...sets: Record<string, string>[]): number {
  return sets.reduce((sum, set) => sum + Object.entries(set).reduce((n, [k, v]) => n + k.length + v.length, 0), 0);
}

/** Sends one request to `baseUrl` (http://host:port) and collects the whole answer. */
export async function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { "content-type": contentTypes[req.protocol], ...req.headers };
  if (req.protocol === "grpc") headers["te"] = "trailers";
  if (req.http === "1.1") return h1(baseUrl, req, headers);
  return h2(baseUrl, req, headers);
}

function h1(baseUrl: string, req: RawRequest, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const r = h1Request(`${baseUrl}${req.path}`, { method: "POST", headers: { ...headers, "content-length": String(req.body.byteLength) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h = flat(res.headers);
        const t = flat(res.trailers);
        resolve({ status: res.statusCode ?? 0, headers: h, trailers: t, body: Buffer.concat(chunks), fieldBytes: fieldBytes(h, t), rstCode: 0 });
      });
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(Buffer.from(req.body));
  });
}

function h2(baseUrl: string, req: RawRequest, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = h2Connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": req.path, ...headers });
    let status = 0;
    let h: Record<string, string> = {};
    let t: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (res) => {
      status = Number(res[constants.HTTP2_HEADER_STATUS]);
      h = flat(res);
    });
    stream.on("trailers", (trailers) => (t = flat(trailers)));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ status, headers: h, trailers: t, body: Buffer.concat(chunks), fieldBytes: fieldBytes(h, t), rstCode: stream.rstCode ?? 0 });
    });
    stream.end(Buffer.from(req.body));
  });
}

/** The frames of a response body. */
export function framesOf(body: Buffer): { flags: number; data: Buffer }[] {
  const out = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at] ?? 0, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** The error a response carries in `protocol`'s format, or undefined for a success. */
export function wireError(protocol: RawProtocol, res: RawResponse): ConnectError | undefined {
  switch (protocol) {
    case "grpc":
      return findTrailerError(new Headers({ ...res.headers, ...res.trailers }));
    case "grpc-web": {
      if (res.headers["grpc-status"] !== undefined) return findTrailerError(new Headers(res.headers));
      const trailer = framesOf(res.body).find((f) => (f.flags & 0x80) !== 0);
      return trailer === undefined ? undefined : findTrailerError(trailerParse(trailer.data));
    }
    case "connect":
      if (res.status === 200) return undefined;
      return errorFromJsonBytes(res.body, res.headers, new ConnectError(`HTTP ${res.status} without a Connect error body`, Code.Unknown));
    case "connect-stream": {
      const end = framesOf(res.body).find((f) => (f.flags & 0x02) !== 0);
      if (end === undefined) return new ConnectError(`HTTP ${res.status} without an end-stream message`, Code.Unknown);
      return endStreamFromJson(end.data).error;
    }
  }
}

/** What a test asserts about a refusal: its code name, ErrorDetail reason and request id. */
export function refusalOf(err: ConnectError | undefined): { code: string; reason: string | undefined; requestId: string | undefined; message: string } {
  if (err === undefined) return { code: "OK", reason: undefined, requestId: undefined, message: "" };
  const detail = err.findDetails(ErrorDetailSchema)[0];
  return { code: Code[err.code] ?? String(err.code), reason: detail?.reason, requestId: detail?.requestId, message: err.rawMessage };
}

/** The HTTP/2 client connection preface. */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** One HTTP/2 frame: type (0 DATA, 1 HEADERS, 4 SETTINGS, 6 PING), flags, stream id, payload. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.byteLength, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A header block of HPACK literals without indexing (no Huffman; names and values under 127 bytes). */
export function hpackBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    if (n.length > 126 || v.length > 126) throw new Error("hpackBlock: name or value too long for a one-byte length");
    parts.push(Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v);
  }
  return Buffer.concat(parts);
}

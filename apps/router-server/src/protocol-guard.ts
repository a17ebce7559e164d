import type { IncomingHttpHeaders } from "node:http";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { encodeEnvelope, type Compression } from "@connectrpc/connect/protocol";
import { parseContentType as parseConnectContentType, parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpcContentType, parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWebContentType } from "@connectrpc/connect/protocol-grpc-web";
import type { Logger } from "pino";
import { ErrorDetailSchema } from "@podium-router/proto";
import { protocolError } from "./errors.js";
import { quoteValue } from "./wire-text.js";

/**
 * The server's own checks of the protocol layer, shared by both engines, run before connect-node or
 * grpc-js see a request: the timeout and encoding headers, and the message frames (flags, declared
 * length, truncation, message count) with decompression. Each refusal is a typed error from the
 * protocolFailures table, so a malformed request gets the same code and ErrorDetail on gRPC, gRPC-Web
 * and Connect, whichever engine serves it, instead of each framework's own (often INTERNAL) answer.
 */

/** The protocols a request to a known RPC can speak; Connect unary and streaming frame messages differently. */
export type WireProtocol = "grpc" | "grpc-web" | "connect" | "connect-stream";

interface ProtocolHeaderNames {
  readonly encoding: string;
  readonly acceptEncoding: string;
  readonly timeout: string;
}

const grpcHeaders: ProtocolHeaderNames = { encoding: "grpc-encoding", acceptEncoding: "grpc-accept-encoding", timeout: "grpc-timeout" };
const headerNames: Readonly<Record<WireProtocol, ProtocolHeaderNames>> = {
  grpc: grpcHeaders,
  "grpc-web": grpcHeaders,
  connect: { encoding: "content-encoding", acceptEncoding: "accept-encoding", timeout: "connect-timeout-ms" },
  "connect-stream": { encoding: "connect-content-encoding", acceptEncoding: "connect-accept-encoding", timeout: "connect-timeout-ms" },
};

const compressions: Readonly<Record<string, Compression>> = { gzip: compressionGzip, br: compressionBrotli };
/**
 * Request encodings accepted, per protocol. gRPC gets gzip only on both engines (grpc-js cannot do
 * brotli, and deflate is refused so the connect engine answers the same); identity is always accepted.
 */
export const acceptedEncodings: Readonly<Record<WireProtocol, readonly string[]>> = {
  grpc: ["gzip"],
  "grpc-web": ["gzip", "br"],
  connect: ["gzip", "br"],
  "connect-stream": ["gzip", "br"],
};
/** What a gRPC response advertises in grpc-accept-encoding. */
export const GRPC_ACCEPT_ENCODING = ["identity", ...acceptedEncodings.grpc].join(",");

/** The protocol of a request to an RPC of kind `methodKind`, or undefined when connect-node answers it itself (405, 415). */
export function wireProtocolOf(httpMethod: string | undefined, contentType: string | undefined, methodKind: DescMethod["methodKind"]): WireProtocol | undefined {
  if (httpMethod !== "POST" || contentType === undefined) return undefined;
  if (contentType.startsWith("application/grpc-web")) {
    const type = parseGrpcWebContentType(contentType);
    return type === undefined || type.text ? undefined : "grpc-web";
  }
  if (parseGrpcContentType(contentType) !== undefined) return "grpc";
  const connect = parseConnectContentType(contentType);
  if (connect === undefined) return undefined;
  const unary = methodKind === "unary";
  if (connect.stream) return unary ? undefined : "connect-stream";
  return unary ? "connect" : undefined;
}

/** The one value of a request header; a repeated header yields its values joined, which no check accepts. */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** A request's header checks passed: the compression its messages use, if any. */
export interface CheckedHeaders {
  compression: Compression | undefined;
}

/**
 * Checks the timeout and encoding headers of a request in `protocol`; throws the typed refusal.
 * connect-node and grpc-js would answer a malformed timeout with INTERNAL or echo it unbounded.
 */
export function checkRequestHeaders(protocol: WireProtocol, headers: IncomingHttpHeaders): CheckedHeaders {
  const names = headerNames[protocol];
  const timeout = headerValue(headers, names.timeout);
  if (timeout !== undefined) {
    const parsed = protocol === "grpc" || protocol === "grpc-web" ? parseGrpcTimeout(timeout, Number.MAX_SAFE_INTEGER) : parseConnectTimeout(timeout, Number.MAX_SAFE_INTEGER);
    if (parsed.error !== undefined) throw protocolError("malformed_timeout");
  }
  const encoding = headerValue(headers, names.encoding)?.trim().toLowerCase();
  if (encoding === undefined || encoding === "" || encoding === "identity") return { compression: undefined };
  const accepted = acceptedEncodings[protocol];
  if (!accepted.includes(encoding)) {
    const list = ["identity", ...accepted].join(",");
    throw protocolError("unsupported_encoding", {}, `${quoteValue(encoding)}; use one of ${list}`, { [names.acceptEncoding]: list });
  }
  return { compression: compressions[encoding] };
}

/** The name of the header that says how `protocol` compresses the request, for stripping it once decompressed. */
export function encodingHeaderOf(protocol: WireProtocol): string {
  return headerNames[protocol].encoding;
}

/** One complete message frame: its flags and payload (empty when the reader keeps no data). */
export interface Frame {
  flags: number;
  data: Uint8Array;
}

const FRAME_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b1;

/** What {@link FrameReader} enforces. */
export interface FrameReaderOptions {
  /** The largest message (declared length) and the largest request body in all. */
  maxBytes: number;
  /** Unary and server-streaming RPCs take exactly one request message. */
  singleMessage: boolean;
  /** The request named an encoding, so the compressed flag is allowed. */
  compressed: boolean;
  /** Keep the payloads (the connect-node path passes frames on); grpc-js reads the stream itself. */
  keepData: boolean;
}

/**
 * Splits the length-prefixed frames of gRPC, gRPC-Web and Connect streaming requests, synchronously,
 * chunk by chunk, and refuses (throws the typed error) unknown flags, a compressed frame without an
 * encoding, a declared length over the limit (checked on the 5-byte header, before any payload is
 * buffered: a 4 GiB prefix costs nothing), a body over the limit, a wrong message count, and a body
 * that ends inside a frame.
 */
export class FrameReader {
  readonly #opts: FrameReaderOptions;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #flags = 0;
  #remaining = 0;
  #parts: Uint8Array[] = [];
  #total = 0;
  #count = 0;

  constructor(opts: FrameReaderOptions) {
    this.#opts = opts;
  }

  /** Feeds one chunk of the body; returns the frames it completed. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    this.#total += chunk.byteLength;
    if (this.#total > this.#opts.maxBytes) throw protocolError("request_too_large", {}, `${this.#opts.maxBytes} bytes`);
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.#headerFill < FRAME_HEADER_BYTES) {
        const n = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.byteLength - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        this.#startFrame();
      } else {
        const n = Math.min(this.#remaining, chunk.byteLength - at);
        if (this.#opts.keepData) this.#parts.push(chunk.subarray(at, at + n));
        this.#remaining -= n;
        at += n;
      }
      if (this.#headerFill === FRAME_HEADER_BYTES && this.#remaining === 0) frames.push(this.#endFrame());
    }
    return frames;
  }

  /** The body ended: refuses a partial frame or a missing message. */
  end(): void {
    if (this.#headerFill > 0) throw protocolError("truncated_message");
    if (this.#opts.singleMessage && this.#count === 0) throw protocolError("missing_message");
  }

  #startFrame(): void {
    this.#flags = this.#header[0] ?? 0;
    this.#remaining = new DataView(this.#header.buffer).getUint32(1);
    if ((this.#flags & ~COMPRESSED_FLAG) !== 0) throw protocolError("bad_frame_flags");
    if ((this.#flags & COMPRESSED_FLAG) !== 0 && !this.#opts.compressed) throw protocolError("compressed_without_encoding");
    if (this.#remaining > this.#opts.maxBytes) throw protocolError("message_too_large", {}, `${this.#opts.maxBytes} bytes`);
    if (++this.#count > 1 && this.#opts.singleMessage) throw protocolError("extra_message");
  }

  #endFrame(): Frame {
    const parts = this.#parts;
    this.#parts = [];
    this.#headerFill = 0;
    return { flags: this.#flags, data: parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts) };
  }
}

/** Decompresses one message within the limit; a bomb is RESOURCE_EXHAUSTED, garbage INVALID_ARGUMENT. */
async function decompress(compression: Compression, data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await compression.decompress(data, maxBytes);
  } catch (e) {
    throw protocolError(ConnectError.from(e).code === Code.ResourceExhausted ? "decompressed_too_large" : "corrupt_compression");
  }
}

/** What {@link guardBody} needs. */
export interface GuardBodyOptions {
  protocol: WireProtocol;
  maxBytes: number;
  singleMessage: boolean;
  compression: Compression | undefined;
  /** Called with the refusal before it is thrown, so the caller knows the framework did not fail by itself. */
  onRefusal: (err: ConnectError) => void;
}

/**
 * The request body as connect-node reads it, checked: frames split, validated and decompressed here
 * (connect-node then sees identity frames; the caller removes the encoding header), a Connect unary
 * body decompressed here. So every transport-level refusal is this server's typed error, and the only
 * failure left to connect-node is decoding a message, which the caller detects (see http-handler.ts).
 */
export async function* guardBody(body: AsyncIterable<Uint8Array>, opts: GuardBodyOptions): AsyncGenerator<Uint8Array> {
  try {
    if (opts.protocol === "connect") {
      yield* unaryBody(body, opts);
      return;
    }
    const reader = new FrameReader({ maxBytes: opts.maxBytes, singleMessage: opts.singleMessage, compressed: opts.compression !== undefined, keepData: true });
    for await (const chunk of body) {
      for (const frame of reader.push(chunk)) {
        if ((frame.flags & COMPRESSED_FLAG) === 0) yield encodeEnvelope(frame.flags, frame.data);
        else yield encodeEnvelope(0, await decompress(opts.compression as Compression, frame.data, opts.maxBytes));
      }
    }
    reader.end();
  } catch (e) {
    if (e instanceof ConnectError) opts.onRefusal(e);
    throw e;
  }
}

async function* unaryBody(body: AsyncIterable<Uint8Array>, opts: GuardBodyOptions): AsyncGenerator<Uint8Array> {
  let total = 0;
  const parts: Uint8Array[] = [];
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > opts.maxBytes) throw protocolError("request_too_large", {}, `${opts.maxBytes} bytes`);
    if (opts.compression === undefined) yield chunk;
    else parts.push(chunk);
  }
  if (opts.compression !== undefined) yield await decompress(opts.compression, Buffer.concat(parts), opts.maxBytes);
}

/** Logs a request the protocol layer refused, at debug, with the request id its ErrorDetail carries. */
export function logProtocolRefusal(logger: Logger, err: ConnectError, protocol: string): void {
  if (!logger.isLevelEnabled("debug")) return;
  const requestId = err.findDetails(ErrorDetailSchema)[0]?.requestId;
  logger.debug({ protocol, code: Code[err.code], request_id: requestId, reason: err.rawMessage }, "request refused by the protocol layer");
}

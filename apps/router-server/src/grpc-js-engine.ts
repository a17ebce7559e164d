import { once } from "node:events";
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import {
  Metadata,
  Server,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerDuplexStream,
  type StatusObject,
  type ServerInterceptor,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { connectErrorFor, toConnectError } from "./errors.js";
import type { HostedService } from "./routes.js";

const DETAILS_BIN = "grpc-status-details-bin";

/** Serves gRPC over HTTP/2 with @grpc/grpc-js, one stream at a time, on the same service objects. */
export interface GrpcJsEngine {
  /** True when `path` is one of the hosted methods; unknown paths go to connect-node, which answers UNIMPLEMENTED with details. */
  serves(path: string): boolean;
  /** Hands one HTTP/2 stream (with its request headers) to grpc-js. */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void;
}

/** A request grpc-js could not parse; the handler answers INVALID_ARGUMENT with details instead of grpc-js's bare INTERNAL. */
class UnparsableRequest {
  constructor(readonly cause: unknown) {}
}

/** A thrown ConnectError as grpc-js's status object: same code, message and `grpc-status-details-bin`. */
function grpcStatusFrom(err: unknown): StatusObject {
  const connectErr = toConnectError(err);
  const trailer = new Headers();
  setTrailerStatus(trailer, connectErr);
  const metadata = new Metadata();
  const details = trailer.get(DETAILS_BIN);
  if (details !== null) metadata.set(DETAILS_BIN, Buffer.from(details, "base64"));
  return { code: connectErr.code as number, details: connectErr.rawMessage, metadata };
}

/**
 * Adds the ErrorDetail to statuses grpc-js raises by itself (deadline passed, message too large),
 * so both engines answer every error with the same details.
 */
const detailsInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    sendStatus(status, next) {
      if (status.code === GrpcStatus.OK || (status.metadata?.get(DETAILS_BIN).length ?? 0) > 0) return next(status);
      const { metadata } = grpcStatusFrom(new ConnectError(status.details ?? "", status.code as number as Code));
      if (status.metadata) metadata.merge(status.metadata);
      next({ ...status, metadata });
    },
  });

function headersFrom(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === "string") headers.set(key, value);
  }
  return headers;
}

interface AnyCall {
  metadata: Metadata;
  getDeadline(): Date | number;
  getPath(): string;
  getHost(): string;
  on(event: "cancelled", listener: () => void): unknown;
}

/** The abort reason of every cancelled grpc-js call: shared, because grpc-js reports a cancellation
 * for every stream that closes, finished or not, and a fresh error (with its stack) per call is costly. */
const CANCELLED = new ConnectError("the call was cancelled", Code.Canceled);

/** A HandlerContext for one grpc-js call, and the switch that marks the call answered. */
interface CallScope {
  ctx: HandlerContext;
  /** Marks the call answered: grpc-js's close-time cancellation then aborts nothing. */
  finish(): void;
}

/**
 * A lean HandlerContext for one grpc-js call: the caller's metadata as headers, its deadline as
 * `timeoutMs`, and a signal that aborts when grpc-js cancels the call before it was answered (the
 * client went away, or the deadline passed: grpc-js enforces it and reports it as a cancellation).
 */
function scopeFor(service: DescService, method: DescMethod, call: AnyCall): CallScope {
  const controller = new AbortController();
  let answered = false;
  call.on("cancelled", () => {
    if (!answered) controller.abort(CANCELLED);
  });
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  const ctx: HandlerContext = {
    service,
    method,
    signal: controller.signal,
    timeoutMs: () => (Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : undefined),
    requestMethod: "POST",
    requestHeader: headersFrom(call.metadata),
    // Nothing reads these on the grpc-js path; they exist because HandlerContext promises them.
    get responseHeader() {
      return (responseHeader ??= new Headers());
    },
    get responseTrailer() {
      return (responseTrailer ??= new Headers());
    },
    protocolName: "grpc",
    values: createContextValues(),
    get url() {
      return `http://${call.getHost()}${call.getPath()}`;
    },
  };
  return { ctx, finish: () => (answered = true) };
}

function serializerFor(desc: DescMessage): (value: unknown) => Buffer {
  return (value) => {
    const bytes = toBinary(desc, isMessage(value, desc) ? value : create(desc, value as never));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializerFor(desc: DescMessage): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return fromBinary(desc, bytes);
    } catch (e) {
      return new UnparsableRequest(e);
    }
  };
}

const badRequest = (method: DescMethod): ConnectError =>
  connectErrorFor(Code.InvalidArgument, "ERR_LOC_BAD_REQUEST", `cannot parse the ${method.input.typeName} message`);

// Writes each response, honouring back-pressure, then ends the call; errors become the call's status.
async function pipeResponses(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, responses: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const res of responses) {
      if (call.cancelled) return;
      if (!call.write(res)) await once(call, "drain");
    }
    call.end();
  } catch (e) {
    if (!call.cancelled) call.emit("error", grpcStatusFrom(e));
  }
}

/**
 * The request messages of a bidi call. Not `for await (… of call)`: a Readable's async iterator
 * destroys the stream when the requests end, which would destroy grpc-js's duplex, responses and all.
 */
async function* readMessages(call: ServerDuplexStream<unknown, unknown>): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (message: unknown) => {
    queue.push(message);
    // Back-pressure: grpc-js reads the next message only while the stream flows.
    if (queue.length >= 16) call.pause();
    notify();
  });
  call.once("end", () => ((ended = true), notify()));
  call.once("error", (err: unknown) => ((failure = err), notify()));
  for (;;) {
    if (queue.length > 0) {
      const message = queue.shift();
      if (call.isPaused() && queue.length < 4) call.resume();
      yield message;
    } else if (failure !== undefined) {
      throw failure;
    } else if (ended) {
      return;
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}

type Impl = (req: unknown, ctx: HandlerContext) => unknown;

function register(server: Server, hosted: HostedService): string[] {
  const paths: string[] = [];
  for (const method of hosted.service.methods) {
    const path = `/${hosted.service.typeName}/${method.name}`;
    const impl = (hosted.impl as Record<string, Impl>)[method.localName]?.bind(hosted.impl);
    if (impl === undefined) continue;
    const serialize = serializerFor(method.output);
    const deserialize = deserializerFor(method.input);
    const { service } = hosted;
    switch (method.methodKind) {
      case "unary":
        server.register(path, (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          if (call.request instanceof UnparsableRequest) return callback(grpcStatusFrom(badRequest(method)));
          const { ctx, finish } = scopeFor(service, method, call);
          Promise.resolve()
            .then(() => impl(call.request, ctx))
            .then(
              (res) => (finish(), callback(null, res)),
              (e: unknown) => (finish(), callback(grpcStatusFrom(e))),
            );
        }, serialize, deserialize, "unary");
        break;
      case "server_streaming":
        server.register(path, (call: ServerWritableStream<unknown, unknown>) => {
          if (call.request instanceof UnparsableRequest) return void call.emit("error", grpcStatusFrom(badRequest(method)));
          const { ctx, finish } = scopeFor(service, method, call);
          void pipeResponses(call, impl(call.request, ctx) as AsyncIterable<unknown>).finally(finish);
        }, serialize, deserialize, "serverStream");
        break;
      case "bidi_streaming":
        server.register(path, (call: ServerDuplexStream<unknown, unknown>) => {
          const requests = (async function* () {
            for await (const req of readMessages(call)) {
              if (req instanceof UnparsableRequest) throw badRequest(method);
              yield req;
            }
          })();
          const { ctx, finish } = scopeFor(service, method, call);
          void pipeResponses(call, impl(requests, ctx) as AsyncIterable<unknown>).finally(finish);
        }, serialize, deserialize, "bidi");
        break;
      default:
        // No hosted service has client-streaming methods; connect-node would serve them if one did.
        continue;
    }
    paths.push(path);
  }
  return paths;
}

/**
 * Enforces server.max_request_bytes on a gRPC stream before grpc-js reads it, so the refusal carries
 * the ErrorDetail: grpc-js's own size check answers from inside the call, past every interceptor.
 * This listener is registered before grpc-js's, so it sees each chunk first; it checks the first
 * message's declared length (before its body arrives) and the running total (later messages).
 */
function limitRequestBytes(stream: ServerHttp2Stream, max: number): void {
  let total = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const refuse = (): void => {
    stream.off("data", onData);
    if (!stream.headersSent) {
      const headers: Record<string, string> = { ":status": "200", "content-type": "application/grpc+proto" };
      const trailer = new Headers();
      setTrailerStatus(trailer, connectErrorFor(Code.ResourceExhausted, "ERR_LOC_BAD_REQUEST", `request exceeds server.max_request_bytes (${max} bytes)`));
      trailer.forEach((value, key) => (headers[key] = value));
      stream.respond(headers, { endStream: true });
    }
    // Closed synchronously: grpc-js, reading this same chunk next, sees the stream closed and stops.
    stream.close(constants.NGHTTP2_NO_ERROR);
  };
  const onData = (chunk: Buffer): void => {
    total += chunk.length;
    if (head !== undefined) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head.length >= 5) {
        const declared = head.readUInt32BE(1) + 5;
        head = undefined;
        if (declared > max) return refuse();
      }
    }
    if (total > max) refuse();
  };
  stream.on("data", onData);
}

type StreamHandler = (extraInterceptors: ServerInterceptor[], stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/**
 * Builds a grpc-js Server (never bound to a port) serving `services`, and feeds it single HTTP/2
 * streams from the port's own HTTP/2 session, so gRPC, Connect and gRPC-Web share one connection.
 * grpc-js's public API only accepts whole connections (`createConnectionInjector`), which would take
 * Connect and gRPC-Web over HTTP/2 (and every TLS client that negotiates h2) away from connect-node;
 * so this uses grpc-js's per-stream entry point. It is not public API: the version is pinned, and when
 * it is missing this returns undefined and the caller serves gRPC with connect-node instead.
 */
export function createGrpcJsEngine(services: readonly HostedService[], maxRequestBytes: number): GrpcJsEngine | undefined {
  const server = new Server({
    "grpc.max_receive_message_length": maxRequestBytes,
    "grpc.enable_channelz": 0,
    interceptors: [detailsInterceptor],
  });
  const streamHandler = (server as unknown as { _streamHandler?: StreamHandler })._streamHandler;
  if (typeof streamHandler !== "function") return undefined;
  const paths = new Set(services.flatMap((s) => register(server, s)));
  return {
    serves: (path) => paths.has(path),
    handleStream(stream, headers) {
      limitRequestBytes(stream, maxRequestBytes);
      streamHandler.call(server, [], stream, headers);
    },
  };
}

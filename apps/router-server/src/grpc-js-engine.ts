import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  Server,
  ServerInterceptingCall,
  type Metadata,
  type ServerDuplexStream,
  type ServerInterceptor,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { callContextValues, createCallRecord, type CallRecord } from "./call-record.js";
import { protocolError } from "./errors.js";
import { grpcStatusFrom, respondWithError, typeStatusesOf } from "./grpc-js-status.js";
import { guardFrames, pipeResponses, readMessages } from "./grpc-js-streams.js";
import { checkRequestHeaders, FrameReader, logProtocolRefusal } from "./protocol-guard.js";
import type { HostedService } from "./routes.js";

/** Serves gRPC over HTTP/2 with @grpc/grpc-js, one stream at a time, on the same service objects. */
export interface GrpcJsEngine {
  /** True when `path` is one of the hosted methods; unknown paths go to connect-node, which answers UNIMPLEMENTED with details. */
  serves(path: string): boolean;
  /** Hands one HTTP/2 stream (with its request headers) to grpc-js. */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void;
}

/** A request grpc-js could not parse; the handler answers INVALID_ARGUMENT with details instead of grpc-js's INTERNAL. */
class UnparsableRequest {
  constructor(readonly cause: unknown) {}
}

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
/** The abort reason when grpc-js cancels a call because its deadline passed, so the core records a deadline. */
const DEADLINE_PASSED = new ConnectError("the caller's deadline passed", Code.DeadlineExceeded);

/**
 * Each stream's call record, found by the request Metadata grpc-js hands the handler: grpc-js gives a
 * handler no way back to its stream, and the record must be the one the stream's status hook reads.
 */
const recordsByMetadata = new WeakMap<Metadata, CallRecord>();

/** The per-stream interceptor that files the stream's record under the call's Metadata. */
function recordInterceptor(record: CallRecord): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            recordsByMetadata.set(metadata, record);
            nextMetadata(metadata);
          },
        }),
    });
}

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
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  call.on("cancelled", () => {
    if (!answered) controller.abort(Date.now() >= deadlineMs ? DEADLINE_PASSED : CANCELLED);
  });
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
    values: callContextValues(recordsByMetadata.get(call.metadata) ?? createCallRecord(undefined)),
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

const badRequest = (method: DescMethod): ConnectError => protocolError("undecodable_message", {}, method.input.typeName);

type Impl = (req: unknown, ctx: HandlerContext) => unknown;

function register(server: Server, hosted: HostedService): [string, DescMethod][] {
  const paths: [string, DescMethod][] = [];
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
    paths.push([path, method]);
  }
  return paths;
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
export function createGrpcJsEngine(services: readonly HostedService[], maxRequestBytes: number, logger: Logger): GrpcJsEngine | undefined {
  const server = new Server({
    "grpc.max_receive_message_length": maxRequestBytes,
    "grpc.enable_channelz": 0,
  });
  const streamHandler = (server as unknown as { _streamHandler?: StreamHandler })._streamHandler;
  if (typeof streamHandler !== "function") return undefined;
  const methods = new Map(services.flatMap((s) => register(server, s)));
  return {
    serves: (path) => methods.has(path),
    handleStream(stream, headers) {
      const method = methods.get(headers[":path"] ?? "");
      const record = createCallRecord(stream.session?.socket);
      typeStatusesOf(stream, record);
      stream.once("close", () => {
        if (record.failure !== undefined) logProtocolRefusal(logger, record.failure, "grpc");
      });
      let compressed: boolean;
      try {
        compressed = checkRequestHeaders("grpc", headers).compression !== undefined;
      } catch (e) {
        record.failure = e as ConnectError;
        return respondWithError(stream, record.failure);
      }
      const singleMessage = method?.methodKind === "unary" || method?.methodKind === "server_streaming";
      const reader = new FrameReader({ maxBytes: maxRequestBytes, singleMessage, compressed, keepData: false });
      guardFrames(stream, reader, (err) => (record.failure = err));
      streamHandler.call(server, [recordInterceptor(record)], stream, headers);
    },
  };
}

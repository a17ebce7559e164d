/**
 * One way to call any LocationRouterService RPC with each client library a caller may use, and to read what
 * it saw of a refusal: the code, the ErrorDetail and the message. @grpc/grpc-js (stubs loaded at runtime from
 * proto/), connect-es over gRPC, Connect (JSON over HTTP/1.1, binary over HTTP/2) and gRPC-Web.
 */
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { credentials, loadPackageDefinition, Metadata, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ErrorDetailSchema, LocationRouterService } from "@podium-router/proto";

/** What a caller saw: the code's name ("OK" on success), the ErrorDetail's fields and the message. */
export interface Seen {
  code: string;
  reason: string | undefined;
  locationUid: string | undefined;
  requestId: string | undefined;
  message: string;
}

/** The RPCs by their client method names. */
export type RpcName = keyof typeof LocationRouterService.method;
/** Calls one RPC (a server stream is read to its end) with the caller's API key. */
export type WireCall = (rpc: RpcName, req: Record<string, unknown>, key: string) => Promise<Seen>;

const OK: Seen = { code: "OK", reason: undefined, locationUid: undefined, requestId: undefined, message: "" };
const protoRoot = fileURLToPath(new URL("../../../proto", import.meta.url));
const definition = loadSync("podium/router/v1/router.proto", { includeDirs: [protoRoot], defaults: true, enums: String });
type GrpcJsCallback = (err: ServiceError | null) => void;
type GrpcJsStub = Record<string, (req: object, md: Metadata, opts: { deadline: number }, cb?: GrpcJsCallback) => ClientReadableStream<unknown>> & { close(): void };
const pkg = loadPackageDefinition(definition) as unknown as {
  podium: { router: { v1: { LocationRouterService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => GrpcJsStub } } };
};

function seenFromGrpcJs(err: ServiceError): Seen {
  const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
  const trailer = new Headers({ "grpc-status": String(err.code), "grpc-message": "-" });
  if (bin !== undefined) trailer.set("grpc-status-details-bin", bin.toString("base64"));
  const detail = findTrailerError(trailer)?.findDetails(ErrorDetailSchema)[0];
  return { code: Code[err.code] ?? String(err.code), reason: detail?.reason, locationUid: detail?.locationUid, requestId: detail?.requestId, message: err.details };
}

/** Calls `rpc` with @grpc/grpc-js and decodes grpc-status-details-bin as any gRPC library does. */
export function grpcJsCall(port: number, rpc: RpcName, req: object, key: string): Promise<Seen> {
  const stub = new pkg.podium.router.v1.LocationRouterService(`127.0.0.1:${port}`, credentials.createInsecure());
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  const opts = { deadline: Date.now() + 10_000 };
  return new Promise<Seen>((resolve) => {
    const done = (seen: Seen): void => {
      stub.close();
      resolve(seen);
    };
    if (LocationRouterService.method[rpc].methodKind === "server_streaming") {
      const stream = stub[rpc]!(req, md, opts);
      stream.on("data", () => undefined);
      stream.on("error", (err: ServiceError) => done(seenFromGrpcJs(err)));
      stream.on("end", () => done(OK));
      return;
    }
    stub[rpc]!(req, md, opts, (err) => done(err === null ? OK : seenFromGrpcJs(err)));
  });
}

/** Calls `rpc` with connect-es over `transport`. */
export async function connectCall(transport: Transport, rpc: RpcName, req: Record<string, unknown>, key: string): Promise<Seen> {
  const client = createClient(LocationRouterService, transport) as unknown as Record<RpcName, (req: object, opts: object) => unknown>;
  const opts = { headers: { authorization: `Bearer ${key}` }, timeoutMs: 10_000 };
  try {
    const out = client[rpc](req, opts);
    if (LocationRouterService.method[rpc].methodKind === "server_streaming") for await (const _ of out as AsyncIterable<unknown>) void _;
    else await out;
    return OK;
  } catch (e) {
    const err = ConnectError.from(e);
    const detail = err.findDetails(ErrorDetailSchema)[0];
    return { code: Code[err.code], reason: detail?.reason, locationUid: detail?.locationUid, requestId: detail?.requestId, message: err.rawMessage };
  }
}

/** Every client of this file against one server, by name. */
export function wireClients(port: number, url: string): Record<string, WireCall> {
  return {
    "@grpc/grpc-js": (rpc, req, key) => grpcJsCall(port, rpc, req, key),
    "Connect gRPC": (rpc, req, key) => connectCall(createGrpcTransport({ baseUrl: url }), rpc, req, key),
    "Connect over HTTP/1.1": (rpc, req, key) => connectCall(createConnectTransport({ baseUrl: url, httpVersion: "1.1" }), rpc, req, key),
    "Connect over HTTP/2": (rpc, req, key) => connectCall(createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true }), rpc, req, key),
    "gRPC-Web over HTTP/1.1": (rpc, req, key) => connectCall(createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }), rpc, req, key),
  };
}

/**
 * The callers the load generator drives: the same Podium request sent straight to the sandbox with
 * undici (as the router's upstream client sends it), or as a `Call` RPC to the router over gRPC or
 * Connect. Each `call()` resolves once the answer is read and rejects unless Podium's status was 200.
 */
import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Client as GrpcClient, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { CallRequestSchema, CallResponseSchema, LocationRouterService, type CallRequest, type CallResponse } from "@podium-router/proto";
import { Pool } from "undici";

/** The Podium request every target sends. */
export interface PodiumRequestSpec {
  locationUid: string;
  /** GET for the routing rows; POST for the write rows (audit write-ahead under each fsync policy). */
  method: "GET" | "POST";
  /** A `/v4/...` path, exactly as the router sends it upstream. */
  path: string;
  /** JSON body of a write. */
  body?: string | undefined;
}

/** What the load child is told to build; plain data, so it crosses the IPC channel. */
export type TargetSpec =
  | { kind: "direct"; baseUrl: string; accessToken: string; podiumVersion: string; connections: number; request: PodiumRequestSpec }
  | { kind: "grpc-js"; baseUrl: string; apiKey: string; request: PodiumRequestSpec }
  | { kind: "connect-grpc"; baseUrl: string; apiKey: string; request: PodiumRequestSpec }
  | { kind: "connect"; baseUrl: string; apiKey: string; httpVersion: "1.1" | "2"; request: PodiumRequestSpec };

/** A built caller. */
export interface Target {
  call(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the caller for `spec`. */
export function createTarget(spec: TargetSpec): Target {
  switch (spec.kind) {
    case "direct":
      return directTarget(spec);
    case "grpc-js":
      return grpcJsTarget(spec);
    case "connect-grpc":
    case "connect":
      return connectTarget(spec);
  }
}

/** A read must be answered 200, a write 2xx (Podium answers 202 to a new contact). */
const expect200 = (status: number, via: string): void => {
  if (status < 200 || status > 299) throw new Error(`${via}: Podium answered ${status}`);
};

/** undici straight to the sandbox, with the headers the router's upstream client sends (upstream-client.ts). */
function directTarget(spec: Extract<TargetSpec, { kind: "direct" }>): Target {
  const url = new URL(spec.baseUrl);
  const pool = new Pool(url.origin, { connections: spec.connections });
  const { method, path } = spec.request;
  return {
    async call() {
      const headers = ["authorization", `Bearer ${spec.accessToken}`, "x-request-id", randomUUID(), "podium-version", spec.podiumVersion, "accept", "application/json"];
      const res = await pool.request({ path, method, headers });
      await res.body.text();
      expect200(res.statusCode, "direct");
    },
    close: () => pool.close(),
  };
}

function requestOf(spec: PodiumRequestSpec): CallRequest {
  return create(CallRequestSchema, { locationUid: spec.locationUid, method: spec.method, path: spec.path, body: spec.body ?? "" });
}

/** A plain @grpc/grpc-js client (one HTTP/2 connection) with protobuf-es (de)serializers; no stubs to load. */
function grpcJsTarget(spec: Extract<TargetSpec, { kind: "grpc-js" }>): Target {
  const client = new GrpcClient(new URL(spec.baseUrl).host, credentials.createInsecure());
  const path = `/${LocationRouterService.typeName}/${LocationRouterService.method.call.name}`;
  const serialize = (msg: CallRequest): Buffer => Buffer.from(toBinary(CallRequestSchema, msg));
  const deserialize = (bytes: Buffer): CallResponse => fromBinary(CallResponseSchema, bytes);
  const request = requestOf(spec.request);
  const authorization = `Bearer ${spec.apiKey}`;
  return {
    call() {
      const metadata = new Metadata();
      metadata.set("authorization", authorization);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(path, serialize, deserialize, request, metadata, { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: CallResponse) => {
          if (err !== null) return reject(err);
          try {
            expect200(res?.status ?? 0, "gRPC");
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      });
    },
    async close() {
      client.close();
    },
  };
}

/** connect-node's transports: gRPC or Connect (binary), HTTP/1.1 or h2c (one HTTP/2 session, like the grpc-js client). */
function connectTarget(spec: Extract<TargetSpec, { kind: "connect-grpc" | "connect" }>): Target {
  const h2 = spec.kind === "connect-grpc" || spec.httpVersion === "2";
  const sessionManager = h2 ? new Http2SessionManager(spec.baseUrl) : undefined;
  const transport =
    spec.kind === "connect-grpc"
      ? createGrpcTransport({ baseUrl: spec.baseUrl, sessionManager })
      : sessionManager !== undefined
        ? createConnectTransport({ baseUrl: spec.baseUrl, httpVersion: "2", sessionManager, useBinaryFormat: true })
        : createConnectTransport({ baseUrl: spec.baseUrl, httpVersion: "1.1", useBinaryFormat: true });
  const client = createClient(LocationRouterService, transport);
  const request = requestOf(spec.request);
  const options = { headers: { authorization: `Bearer ${spec.apiKey}` }, timeoutMs: 10_000 };
  return {
    async call() {
      const res = await client.call(request, options);
      expect200(res.status, spec.kind);
    },
    async close() {
      sessionManager?.abort();
    },
  };
}

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { fileURLToPath } from "node:url";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { credentials, loadPackageDefinition, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ErrorDetailSchema } from "@podium-router/proto";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

// An independent JavaScript client: grpc-js with stubs loaded at runtime from the repo's proto/.
const protoRoot = fileURLToPath(new URL("../../../proto", import.meta.url));
const definition = loadSync("podium/router/v1/router.proto", { includeDirs: [protoRoot], defaults: true, enums: String });
type Callback<T> = (err: ServiceError | null, res: T) => void;
interface RouterStub {
  call(req: object, md: Metadata, opts: { deadline?: number }, cb: Callback<{ status: number; body: string; requestId: string }>): void;
  close(): void;
}
const pkg = loadPackageDefinition(definition) as unknown as {
  podium: { router: { v1: { LocationRouterService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => RouterStub } } };
};

function call(stub: RouterStub, req: object, key?: string): Promise<{ status: number; body: string; requestId: string }> {
  const md = new Metadata();
  if (key !== undefined) md.set("authorization", `Bearer ${key}`);
  return new Promise((resolve, reject) => stub.call(req, md, { deadline: Date.now() + 5_000 }, (err, res) => (err ? reject(err) : resolve(res))));
}

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`@grpc/grpc-js client against grpc_engine ${engine}`, () => {
    let t: TestServer;
    let stub: RouterStub;
    beforeAll(async () => {
      t = await startTestServer({ section: { grpc_engine: engine } });
      stub = new pkg.podium.router.v1.LocationRouterService(`127.0.0.1:${t.port}`, credentials.createInsecure());
    });
    afterAll(async () => {
      stub.close();
      await t.close();
    });

    it("routes a call", async () => {
      const res = await call(stub, { locationUid: SYDNEY, method: "GET", path: "/v4/echo", requestId: "grpcjs-1" }, ADMIN_KEY);
      expect(res).toMatchObject({ status: 200, requestId: "grpcjs-1" });
    });

    it("receives the typed refusal in grpc-status-details-bin", async () => {
      const err = (await call(stub, { locationUid: "loc-nowhere", method: "GET", path: "/v4/echo" }, ADMIN_KEY).catch((e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(status.NOT_FOUND);
      const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
      expect(bin).toBeInstanceOf(Buffer);
      // Decode the google.rpc.Status the way any gRPC client library does, here with connect's helper.
      const trailer = new Headers({ "grpc-status": String(err.code), "grpc-message": "x", "grpc-status-details-bin": bin!.toString("base64") });
      const decoded = findTrailerError(trailer);
      expect(decoded?.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_UNKNOWN", locationUid: "loc-nowhere" });
    });

    it("is refused without a key", async () => {
      const err = (await call(stub, { locationUid: SYDNEY, method: "GET", path: "/v4/echo" }).catch((e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(status.UNAUTHENTICATED);
    });
  });
}

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorDetailSchema, healthV1, LocationRouterService, reflectionV1, reflectionV1alpha } from "@podium-router/proto";
import { ADMIN_KEY, BURLEIGH, startTestServer, SYDNEY, SYDNEY_KEY, type TestServer } from "../test/test-server.js";

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** Every transport a client can reach the port with; gRPC runs on both engines via two servers. */
function transports(url: string): Record<string, Transport> {
  return {
    "gRPC (HTTP/2)": createGrpcTransport({ baseUrl: url }),
    "Connect JSON over HTTP/1.1": createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    "Connect binary over HTTP/1.1": createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true }),
    "Connect JSON over HTTP/2": createConnectTransport({ baseUrl: url, httpVersion: "2" }),
    "Connect binary over HTTP/2": createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
    "gRPC-Web over HTTP/2": createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
  };
}

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`createRouterServer() with grpc_engine ${engine}`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ section: { grpc_engine: engine } });
    });
    afterAll(async () => {
      await t.close();
    });

    it("serves Call over every protocol on one port", async () => {
      for (const [name, transport] of Object.entries(transports(t.url))) {
        const client = createClient(LocationRouterService, transport);
        const res = await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo", requestId: "rid-1" }, { headers: auth });
        expect(res.status, name).toBe(200);
        expect(JSON.parse(res.body), name).toEqual({ method: "GET", path: "/v4/echo", hasBody: false });
        expect(res.requestId, name).toBe("rid-1");
      }
    });

    it("streams QueryAudit and OnboardLocations over gRPC and Connect", async () => {
      for (const transport of [createGrpcTransport({ baseUrl: t.url }), createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" })]) {
        const client = createClient(LocationRouterService, transport);
        const records = [];
        for await (const r of client.queryAudit({}, { headers: auth })) records.push(r.record?.locationUid);
        expect(records).toHaveLength(2);
        const results = [];
        for await (const r of client.onboardLocations({ dryRun: true, locations: [{ locationUid: "loc-new", orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshToken: "rt-new" }] }, { headers: auth })) {
          results.push(r.message);
        }
        expect(results).toEqual(["checked"]);
      }
    });

    it("answers every error with the same code and ErrorDetail on every protocol", async () => {
      for (const [name, transport] of Object.entries(transports(t.url))) {
        const client = createClient(LocationRouterService, transport);
        const err = await client.call({ locationUid: "loc-nowhere", method: "GET", path: "/v4/echo", requestId: "rid-2" }, { headers: auth }).catch((e: unknown) => ConnectError.from(e));
        expect(err, name).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code, name).toBe(Code.NotFound);
        const [detail] = (err as ConnectError).findDetails(ErrorDetailSchema);
        expect(detail, name).toMatchObject({ reason: "ERR_LOC_UNKNOWN", locationUid: "loc-nowhere", requestId: "rid-2" });
      }
    });

    it("answers UNIMPLEMENTED with an ErrorDetail for an unknown method and an unknown service", async () => {
      const call = LocationRouterService.method.call;
      const unknownMethod = { ...call, name: "NoSuchMethod" };
      const unknownService = { ...call, parent: { ...call.parent, typeName: "podium.router.v1.NoSuchService" } };
      for (const [name, transport] of Object.entries(transports(t.url))) {
        for (const method of [unknownMethod, unknownService]) {
          const err = await transport.unary(method, undefined, undefined, auth, { locationUid: SYDNEY }).catch((e: unknown) => ConnectError.from(e));
          expect((err as ConnectError).code, name).toBe(Code.Unimplemented);
          expect((err as ConnectError).findDetails(ErrorDetailSchema)[0]?.reason, name).toBe("ERR_LOC_BAD_REQUEST");
        }
      }
    });

    it("refuses a missing or invalid key as UNAUTHENTICATED on every protocol", async () => {
      for (const [name, transport] of Object.entries(transports(t.url))) {
        const client = createClient(LocationRouterService, transport);
        for (const headers of [{}, { authorization: "Bearer not-a-key" }]) {
          const err = await client.verifyLocation({ locationUid: SYDNEY }, { headers }).catch((e: unknown) => ConnectError.from(e));
          expect((err as ConnectError).code, name).toBe(Code.Unauthenticated);
          expect((err as ConnectError).findDetails(ErrorDetailSchema)[0]?.reason, name).toBe("ERR_LOC_UNAUTHENTICATED");
        }
      }
    });

    it("refuses an ungranted location as PERMISSION_DENIED and audits the caller's name", async () => {
      const before = t.router.refusals.length;
      for (const [name, transport] of Object.entries(transports(t.url))) {
        const client = createClient(LocationRouterService, transport);
        const err = await client
          .call({ locationUid: BURLEIGH, method: "GET", path: "/v4/contacts" }, { headers: { authorization: `Bearer ${SYDNEY_KEY}` } })
          .catch((e: unknown) => ConnectError.from(e));
        expect((err as ConnectError).code, name).toBe(Code.PermissionDenied);
      }
      const refusals = t.router.refusals.slice(before);
      expect(refusals).toHaveLength(Object.keys(transports(t.url)).length);
      expect(new Set(refusals.map((r) => `${r.caller} ${r.locationUid} ${r.errorCode}`))).toEqual(new Set([`sydney-app ${BURLEIGH} ERR_LOC_PERMISSION_DENIED`]));
      expect(t.router.calls.some((c) => c.call.locationUid === BURLEIGH)).toBe(false);
    });

    it("answers plain JSON POSTs (curl-style Connect unary) and their errors", async () => {
      const url = `${t.url}/podium.router.v1.LocationRouterService/Call`;
      const ok = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }) });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 200, requestId: expect.any(String) });
      const bad = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/fail/ERR_LOC_RATE_LIMITED" }) });
      expect(bad.status).toBe(429);
      const body = (await bad.json()) as { code: string; details: { type: string; debug?: unknown }[] };
      expect(body.code).toBe("resource_exhausted");
      expect(body.details.map((d) => d.type)).toEqual(["podium.router.v1.ErrorDetail", "google.rpc.RetryInfo"]);
    });

    it("answers grpc.health.v1.Health/Check without a key", async () => {
      for (const [name, transport] of Object.entries(transports(t.url))) {
        const health = createClient(healthV1.Health, transport);
        expect((await health.check({})).status, name).toBe(healthV1.HealthCheckResponse_ServingStatus.SERVING);
        expect((await health.check({ service: LocationRouterService.typeName })).status, name).toBe(healthV1.HealthCheckResponse_ServingStatus.SERVING);
      }
      const err = await createClient(healthV1.Health, createGrpcTransport({ baseUrl: t.url }))
        .check({ service: "nope.Service" })
        .catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.NotFound);
    });

    it("lists services by reflection v1 and v1alpha without a key", async () => {
      const transport = createGrpcTransport({ baseUrl: t.url });
      async function* one<T>(m: T) {
        yield m;
      }
      const v1 = createClient(reflectionV1.ServerReflection, transport);
      const names: string[] = [];
      for await (const res of v1.serverReflectionInfo(one({ messageRequest: { case: "listServices" as const, value: "" } }))) {
        if (res.messageResponse.case === "listServicesResponse") names.push(...res.messageResponse.value.service.map((s) => s.name));
      }
      expect(names).toContain("podium.router.v1.LocationRouterService");
      expect(names).toContain("grpc.health.v1.Health");
      const v1alpha = createClient(reflectionV1alpha.ServerReflection, transport);
      for await (const res of v1alpha.serverReflectionInfo(one({ messageRequest: { case: "fileContainingSymbol" as const, value: "podium.router.v1.LocationRouterService.Call" } }))) {
        expect(res.messageResponse.case).toBe("fileDescriptorResponse");
        // router.proto and its import, google/protobuf/timestamp.proto.
        if (res.messageResponse.case === "fileDescriptorResponse") expect(res.messageResponse.value.fileDescriptorProto).toHaveLength(2);
      }
    });
  });
}

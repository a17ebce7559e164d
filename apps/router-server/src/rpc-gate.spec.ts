import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { LocationRouterService } from "@podium-router/proto";
import { ALL_ORGANIZATIONS } from "@podium-router/core";
import { hashApiKey } from "./caller-auth.js";
import { grpcJsCall } from "../test/wire-clients.js";
import { startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

/** Keys with each kind of organization grant (server.api_keys[].organizations). */
const keys = { coastal: "pr_test_org_coastal_0123456789", all: "pr_test_org_all_0123456789ab", none: "pr_test_org_none_0123456789a" };
const apiKeys = [
  { name: "coastal", key_sha256: hashApiKey(keys.coastal), locations: ["*"], rpcs: ["*"], organizations: ["coastal-smiles"] },
  { name: "all-orgs", key_sha256: hashApiKey(keys.all), locations: ["*"], rpcs: ["*"], organizations: ["*"] },
  { name: "no-orgs", key_sha256: hashApiKey(keys.none), locations: ["*"], rpcs: ["*"] },
];

/** The organizations the core's CallContext held for each call the fake router received, in order. */
const organizationsSeen = (t: TestServer) => t.router.calls.map(({ ctx }) => ({ caller: ctx?.caller, organizations: ctx?.organizations }));

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`the Call RPC's CallContext over the wire (grpc_engine ${engine})`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ section: { grpc_engine: engine, api_keys: apiKeys } });
    });
    afterAll(async () => {
      await t.close();
    });

    it("carries the key's organization grant to the core: its org slugs, [\"*\"] for all, [] for none", async () => {
      const transports: Record<string, Transport> = {
        gRPC: createGrpcTransport({ baseUrl: t.url }),
        "Connect over HTTP/1.1": createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" }),
        "gRPC-Web over HTTP/2": createGrpcWebTransport({ baseUrl: t.url, httpVersion: "2" }),
      };
      for (const [name, transport] of Object.entries(transports)) {
        t.router.calls.splice(0);
        const client = createClient(LocationRouterService, transport);
        for (const key of [keys.coastal, keys.all, keys.none]) {
          const res = await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, { headers: { authorization: `Bearer ${key}` } });
          expect(res.status, name).toBe(200);
        }
        expect(organizationsSeen(t), name).toEqual([
          { caller: "coastal", organizations: ["coastal-smiles"] },
          { caller: "all-orgs", organizations: [ALL_ORGANIZATIONS] },
          { caller: "no-orgs", organizations: [] },
        ]);
      }
    });

    it("carries it from a @grpc/grpc-js client too", async () => {
      t.router.calls.splice(0);
      const seen = await grpcJsCall(t.port, "call", { locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, keys.coastal);
      expect(seen.code).toBe("OK");
      expect(organizationsSeen(t)).toEqual([{ caller: "coastal", organizations: ["coastal-smiles"] }]);
    });
  });
}

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CallRequestSchema, LocationRouterService } from "./index.js";

describe("LocationRouterService", () => {
  it("declares every RPC of the contract, with server streaming where results are per item", () => {
    const methods = Object.fromEntries(LocationRouterService.methods.map((m) => [m.name, m.methodKind]));
    expect(methods).toEqual({
      Call: "unary",
      VerifyLocation: "unary",
      ListLocations: "unary",
      GetLocationStatus: "unary",
      RemoveLocation: "unary",
      OnboardLocations: "server_streaming",
      QueryAudit: "server_streaming",
      BeginAuthorization: "unary",
      AwaitAuthorization: "unary",
      WatchEvents: "server_streaming",
      SyncWebhooks: "server_streaming",
    });
    expect(LocationRouterService.typeName).toBe("podium.router.v1.LocationRouterService");
  });

  it("round-trips a CallRequest through the binary wire format", () => {
    const req = create(CallRequestSchema, { locationUid: "loc-1", method: "POST", path: "/v4/contacts", body: "{}" });
    expect(fromBinary(CallRequestSchema, toBinary(CallRequestSchema, req))).toEqual(req);
  });
});

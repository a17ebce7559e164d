import { describe, it, expect } from "vitest";
import { ALL_ORGANIZATIONS, mayActForOrganization } from "@podium-router/core";
import { createCallerAuth, hashApiKey, mayCallRpc, mayUseLocation, mayUseOAuthApp } from "./caller-auth.js";

const auth = createCallerAuth([
  { name: "ops", keySha256: hashApiKey("key-ops"), locations: "*", rpcs: "*", oauthApps: "*", organizations: "*" },
  { name: "app", keySha256: hashApiKey("key-app"), locations: ["loc-1"], rpcs: ["Call"], oauthApps: ["acme-dental"], organizations: ["acme-dental"] },
  { name: "reader", keySha256: hashApiKey("key-reader"), locations: ["loc-1"], rpcs: ["Call"], oauthApps: [], organizations: [] },
]);

describe("createCallerAuth()", () => {
  it("finds the caller of a valid bearer key", () => {
    expect(auth.authenticate("Bearer key-ops")?.name).toBe("ops");
    expect(auth.authenticate("bearer  key-app ")?.name).toBe("app");
  });

  it("trims spaces and tabs around the credentials, as HTTP/1.1 does before the header reaches the router", () => {
    for (const header of ["Bearer key-ops   ", "  Bearer key-ops", "\tBearer\tkey-ops\t", " Bearer  key-ops \t "]) {
      expect(auth.authenticate(header)?.name, JSON.stringify(header)).toBe("ops");
    }
    // Whitespace inside the key is not trimming: that key does not exist.
    expect(auth.authenticate("Bearer key -ops")).toBeUndefined();
    expect(auth.authenticate("Bearer key-ops\n")).toBeUndefined();
  });

  it("refuses a missing, malformed or unknown key", () => {
    for (const header of [undefined, null, "", "key-ops", "Basic a2V5LW9wcw==", "Bearer", "Bearer key-nope", "Bearer key-ops extra"]) {
      expect(auth.authenticate(header), String(header)).toBeUndefined();
    }
  });

  it("refuses everything when no key is configured", () => {
    expect(createCallerAuth([]).authenticate("Bearer key-ops")).toBeUndefined();
  });
});

describe("mayCallRpc()", () => {
  it("allows what the grant lists and nothing else", () => {
    const app = auth.authenticate("Bearer key-app")!;
    expect(mayCallRpc(app, "Call")).toBe(true);
    expect(mayCallRpc(app, "RemoveLocation")).toBe(false);
    expect(mayCallRpc(auth.authenticate("Bearer key-ops")!, "RemoveLocation")).toBe(true);
  });
});

describe("mayUseLocation()", () => {
  it("allows the granted locations, or all for \"*\"", () => {
    const app = auth.authenticate("Bearer key-app")!;
    expect(mayUseLocation(app, "loc-1")).toBe(true);
    expect(mayUseLocation(app, "loc-2")).toBe(false);
    expect(mayUseLocation(auth.authenticate("Bearer key-ops")!, "loc-2")).toBe(true);
  });
});

describe("mayUseOAuthApp()", () => {
  it("allows only the granted apps; none unless granted", () => {
    expect(mayUseOAuthApp(auth.authenticate("Bearer key-app")!, "acme-dental")).toBe(true);
    expect(mayUseOAuthApp(auth.authenticate("Bearer key-app")!, "harbour-auto")).toBe(false);
    expect(mayUseOAuthApp(auth.authenticate("Bearer key-reader")!, "acme-dental")).toBe(false);
    expect(mayUseOAuthApp(auth.authenticate("Bearer key-ops")!, "harbour-auto")).toBe(true);
  });
});

describe("Caller.organizations", () => {
  it("carries the grant in the core's CallContext form: the slugs, [\"*\"] for all, [] for none", () => {
    expect(auth.authenticate("Bearer key-app")!.organizations).toEqual(["acme-dental"]);
    expect(auth.authenticate("Bearer key-ops")!.organizations).toEqual([ALL_ORGANIZATIONS]);
    expect(auth.authenticate("Bearer key-reader")!.organizations).toEqual([]);
  });

  it("is frozen, so no call can widen the grant for the next", () => {
    const orgs = auth.authenticate("Bearer key-app")!.organizations;
    expect(Object.isFrozen(orgs)).toBe(true);
    expect(() => (orgs as string[]).push("coastal-smiles")).toThrow(TypeError);
    expect(auth.authenticate("Bearer key-app")!.organizations).toEqual(["acme-dental"]);
  });

  it("covers what the core's rule allows: the listed org, every org for \"*\", none for []", () => {
    expect(mayActForOrganization(auth.authenticate("Bearer key-app")!.organizations, "acme-dental")).toBe(true);
    expect(mayActForOrganization(auth.authenticate("Bearer key-app")!.organizations, "coastal-smiles")).toBe(false);
    expect(mayActForOrganization(auth.authenticate("Bearer key-ops")!.organizations, "coastal-smiles")).toBe(true);
    expect(mayActForOrganization(auth.authenticate("Bearer key-reader")!.organizations, "acme-dental")).toBe(false);
  });
});

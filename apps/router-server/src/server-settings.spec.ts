import { loadSettings } from "@podium-router/core";
import { describe, it, expect } from "vitest";
import { hashApiKey } from "./caller-auth.js";
import { validateServerSettings } from "./server-settings.js";

const hash = hashApiKey("k");

describe("validateServerSettings()", () => {
  it("fills every default for a missing section", () => {
    expect(validateServerSettings(undefined)).toEqual({
      host: "127.0.0.1",
      port: 8080,
      tls: undefined,
      maxRequestBytes: 1048576,
      shutdownGraceMs: 10000,
      reflection: true,
      grpcEngine: "grpc-js",
      apiKeys: [],
      publicUrl: undefined,
    });
  });

  it("takes public_url as the base of the OAuth callback, without a trailing slash", () => {
    expect(validateServerSettings({ public_url: "https://router.example.com/podium/" }).publicUrl).toBe("https://router.example.com/podium");
    expect(validateServerSettings({ public_url: "" }).publicUrl).toBeUndefined();
  });

  it("normalises keys, grants and TLS", () => {
    const s = validateServerSettings({
      host: "0.0.0.0",
      port: "9090",
      tls: { cert_file: "/c.pem", key_file: "/k.pem" },
      api_keys: [
        { name: "ops", key_sha256: hash.toUpperCase(), locations: ["*"], rpcs: ["*"] },
        { name: "app", key_sha256: hashApiKey("other"), locations: ["loc-1", "loc-1"], rpcs: ["Call"] },
      ],
    });
    expect(s.port).toBe(9090);
    expect(s.tls).toEqual({ certFile: "/c.pem", keyFile: "/k.pem" });
    expect(s.apiKeys[0]).toEqual({ name: "ops", keySha256: hash, locations: "*", rpcs: "*" });
    expect(s.apiKeys[1]).toMatchObject({ locations: ["loc-1"], rpcs: ["Call"] });
  });

  const cases: [string, unknown, RegExp][] = [
    ["a bad port", { port: 70000 }, /server\.port must be an integer between 0 and 65535/],
    ["an unknown key", { prot: 1 }, /unknown key server\.prot; use server\.port/],
    ["a renamed key", { shutdown_timeout_ms: 5 }, /unknown key server\.shutdown_timeout_ms; use server\.shutdown_grace_ms/],
    ["half a TLS pair", { tls: { cert_file: "/c.pem" } }, /server\.tls\.cert_file and server\.tls\.key_file must be set together/],
    ["a short hash", { api_keys: [{ name: "a", key_sha256: "abc", locations: ["*"], rpcs: ["*"] }] }, /server\.api_keys\[0\]\.key_sha256 must be 64 hexadecimal/],
    ["an unknown RPC", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["Cal"] }] }, /server\.api_keys\[0\]\.rpcs\[0\] must be "\*" or one of the RPCs Call, /],
    ["\"*\" mixed with uids", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*", "loc-1"], rpcs: ["*"] }] }, /server\.api_keys\[0\]\.locations must be \["\*"\] alone/],
    ["an empty grant", { api_keys: [{ name: "a", key_sha256: hash, locations: [], rpcs: ["*"] }] }, /server\.api_keys\[0\]\.locations must be \["\*"\] or a non-empty list/],
    ["a duplicate name", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"] }, { name: "a", key_sha256: hashApiKey("x"), locations: ["*"], rpcs: ["*"] }] }, /server\.api_keys\[1\]\.name must be unique/],
    ["a bad engine", { grpc_engine: "fast" }, /server\.grpc_engine must be one of grpc-js \| connect/],
    ["a public_url with a query", { public_url: "https://r.example/?x=1" }, /server\.public_url must be an http:\/\/ or https:\/\/ URL without credentials, query or fragment/],
    ["a public_url that is not http", { public_url: "ftp://r.example" }, /server\.public_url must be an http:\/\/ or https:\/\/ URL/],
    ["a renamed public_url", { redirect_uri: "https://r.example" }, /unknown key server\.redirect_uri; use server\.public_url/],
  ];
  for (const [what, raw, message] of cases) {
    it(`refuses ${what}, naming the key and the rule`, () => {
      expect(() => validateServerSettings(raw)).toThrow(message);
      try {
        validateServerSettings(raw);
      } catch (err) {
        expect((err as { code?: string }).code).toBe("ERR_LOC_CONFIG");
      }
    });
  }

  it("refuses a plaintext key without echoing it", () => {
    const raw = { api_keys: [{ name: "a", key: "pr_live_supersecret", locations: ["*"], rpcs: ["*"] }] };
    expect(() => validateServerSettings(raw)).toThrow(/server\.api_keys\[0\]\.key: store the key's SHA-256 hex as server\.api_keys\[0\]\.key_sha256/);
    try {
      validateServerSettings(raw);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain("supersecret");
    }
  });
});

describe("validateServerSettings() with loadSettings()", () => {
  it("names the environment variable that set a bad server.* value", async () => {
    const { raw, originOf } = await loadSettings({ path: undefined, env: { PODIUM_ROUTER_SERVER__PORT: "70000" }, cwd: "/nonexistent-dir" });
    expect(() => validateServerSettings(raw["server"], originOf)).toThrow(/server\.port must be an integer between 0 and 65535 \(got 70000\) \(set by PODIUM_ROUTER_SERVER__PORT\)/);
  });
});

import { describe, it, expect } from "vitest";
import { fileURLToPath } from "node:url";
import { loadSettings } from "@podium-router/core";
import { hashApiKey } from "./caller-auth.js";
import { defaultServerSettings, validateServerSettings } from "./server-settings.js";

const exampleFile = fileURLToPath(new URL("../../../config/settings.example.yaml", import.meta.url));

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
      maxConnections: 1024,
      idleTimeoutMs: 60000,
      headerTimeoutMs: 10000,
      http2MaxConcurrentStreams: 100,
      allowCleartextSecrets: false,
      keepaliveTimeMs: 120000,
      keepaliveTimeoutMs: 20000,
    });
  });

  it("reads the connection limits", () => {
    const s = validateServerSettings({
      max_connections: 10,
      idle_timeout_ms: "500",
      header_timeout_ms: 250,
      http2_max_concurrent_streams: 8,
      keepalive_time_ms: 0,
      keepalive_timeout_ms: 1000,
    });
    expect(s).toMatchObject({ maxConnections: 10, idleTimeoutMs: 500, headerTimeoutMs: 250, http2MaxConcurrentStreams: 8, keepaliveTimeMs: 0, keepaliveTimeoutMs: 1000 });
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
    expect(s.apiKeys[0]).toEqual({ name: "ops", keySha256: hash, locations: "*", rpcs: "*", oauthApps: [], organizations: [] });
    expect(s.apiKeys[1]).toMatchObject({ locations: ["loc-1"], rpcs: ["Call"] });
  });

  it("resolves relative TLS files against the settings file's directory when given one", () => {
    const tls = { cert_file: "tls/cert.pem", key_file: "/etc/ssl/key.pem" };
    expect(validateServerSettings({ tls }, undefined, { baseDir: "/etc/podium-router" }).tls).toEqual({ certFile: "/etc/podium-router/tls/cert.pem", keyFile: "/etc/ssl/key.pem" });
    expect(validateServerSettings({ tls }).tls).toEqual({ certFile: "tls/cert.pem", keyFile: "/etc/ssl/key.pem" });
  });

  it("grants OAuth apps per key: none by default, a list, or all; checked against the configured apps", () => {
    const keys = [
      { name: "ops", key_sha256: hash, locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] },
      { name: "acme", key_sha256: hashApiKey("acme"), locations: ["*"], rpcs: ["*"], oauth_apps: ["acme-dental", "acme-dental"] },
      { name: "reader", key_sha256: hashApiKey("reader"), locations: ["*"], rpcs: ["Call"] },
      { name: "none", key_sha256: hashApiKey("none"), locations: ["*"], rpcs: ["Call"], oauth_apps: [] },
    ];
    const s = validateServerSettings({ api_keys: keys, allow_cleartext_secrets: "true" }, undefined, { oauthApps: new Map([["acme-dental", {}]]).keys() });
    expect(s.apiKeys.map((k) => k.oauthApps)).toEqual(["*", ["acme-dental"], [], []]);
    expect(s.allowCleartextSecrets).toBe(true);
    expect(() => validateServerSettings({ api_keys: keys }, undefined, { oauthApps: ["harbour-auto"] })).toThrow(
      /server\.api_keys\[1\]\.oauth_apps names "acme-dental", which is not configured under oauth_apps \(configured: harbour-auto\)/,
    );
  });

  it("grants organizations per key: none by default or for [], a list of org slugs (deduplicated), or all for [\"*\"]", () => {
    const keys = [
      { name: "ops", key_sha256: hash, locations: ["*"], rpcs: ["*"], organizations: ["*"] },
      { name: "coastal", key_sha256: hashApiKey("coastal"), locations: ["*"], rpcs: ["Call"], organizations: ["coastal-smiles", "acme-dental", "coastal-smiles"] },
      { name: "reader", key_sha256: hashApiKey("reader"), locations: ["*"], rpcs: ["Call"] },
      { name: "none", key_sha256: hashApiKey("none"), locations: ["*"], rpcs: ["Call"], organizations: [] },
    ];
    expect(validateServerSettings({ api_keys: keys }).apiKeys.map((k) => k.organizations)).toEqual(["*", ["coastal-smiles", "acme-dental"], [], []]);
  });

  const cases: [string, unknown, RegExp][] = [
    ["an organization grant that is not an org slug", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], organizations: ["Coastal Smiles"] }] }, /server\.api_keys\[0\]\.organizations\[0\] must be "\*" or one of org slugs \(1-63 lower-case letters/],
    ["an organization uid where a slug belongs", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], organizations: ["-org"] }] }, /server\.api_keys\[0\]\.organizations\[0\] must be "\*" or one of org slugs/],
    ["an organization grant that is not a list", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], organizations: "coastal-smiles" }] }, /server\.api_keys\[0\]\.organizations must be \["\*"\] or a non-empty list of org slugs/],
    ["\"*\" mixed with org slugs", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], organizations: ["*", "coastal-smiles"] }] }, /server\.api_keys\[0\]\.organizations must be \["\*"\] alone/],
    ["a misspelt organization grant", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], organisations: ["coastal-smiles"] }] }, /unknown key server\.api_keys\[0\]\.organisations; use server\.api_keys\[0\]\.organizations/],
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
    ["no connections at all", { max_connections: 0 }, /server\.max_connections must be an integer between 1 and 1000000/],
    ["an idle timeout of 0 (never)", { idle_timeout_ms: 0 }, /server\.idle_timeout_ms must be an integer between 100 and 86400000/],
    ["a header timeout over 5 minutes", { header_timeout_ms: 300_001 }, /server\.header_timeout_ms must be an integer between 100 and 300000/],
    ["unlimited HTTP/2 streams", { http2_max_concurrent_streams: 0 }, /server\.http2_max_concurrent_streams must be an integer between 1 and 10000/],
    ["a keepalive shorter than a round trip", { keepalive_time_ms: 5 }, /server\.keepalive_time_ms must be 0 \(off\) or an integer from 100 to 86400000/],
    ["a reference as an OAuth app grant", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], oauth_apps: ["file:/etc/hostname"] }] }, /server\.api_keys\[0\]\.oauth_apps\[0\] must be "\*" or one of OAuth app names/],
    ["an OAuth app grant that is not a list", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], oauth_apps: "acme" }] }, /server\.api_keys\[0\]\.oauth_apps must be \["\*"\] or a non-empty list/],
    ["\"*\" mixed with app names", { api_keys: [{ name: "a", key_sha256: hash, locations: ["*"], rpcs: ["*"], oauth_apps: ["*", "acme"] }] }, /server\.api_keys\[0\]\.oauth_apps must be \["\*"\] alone/],
    ["a cleartext switch that is not a boolean", { allow_cleartext_secrets: "yes" }, /server\.allow_cleartext_secrets must be true or false/],
    ["Node's name for the idle timeout", { keep_alive_timeout_ms: 5000 }, /unknown key server\.keep_alive_timeout_ms; use server\.idle_timeout_ms/],
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

describe("config/settings.example.yaml", () => {
  it("has a server: section documenting every server key with exactly its default, read by the real validators", async () => {
    const loaded = await loadSettings({ path: exampleFile, env: {} });
    const section = loaded.raw["server"] as Record<string, unknown>;
    // One snake_case key per setting: none undocumented.
    expect(Object.keys(section).map((k) => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())).sort()).toEqual(Object.keys(defaultServerSettings).sort());
    expect(validateServerSettings(section, loaded.originOf, { oauthApps: loaded.settings.oauthApps.keys(), baseDir: loaded.baseDir })).toEqual(defaultServerSettings);
  });
});


describe("validateServerSettings() with loadSettings()", () => {

  it("names the environment variable that set a bad server.* value", async () => {
    const { raw, originOf } = await loadSettings({ path: undefined, env: { PODIUM_ROUTER_SERVER__PORT: "70000" }, cwd: "/nonexistent-dir" });
    expect(() => validateServerSettings(raw["server"], originOf)).toThrow(/server\.port must be an integer between 0 and 65535 \(got 70000\) \(set by PODIUM_ROUTER_SERVER__PORT\)/);
  });
});

describe("config/production.example.yaml (the README's production settings)", () => {
  it("loads through the real validators: absolute paths, TLS, API keys granted to configured OAuth apps", async () => {
    const file = fileURLToPath(new URL("../../../config/production.example.yaml", import.meta.url));
    const loaded = await loadSettings({ path: file, env: {} });
    const { settings } = loaded;
    const server = validateServerSettings(loaded.raw["server"], loaded.originOf, { oauthApps: settings.oauthApps.keys(), baseDir: loaded.baseDir });
    expect(server.tls).toEqual({ certFile: "/etc/podium-router/tls/fullchain.pem", keyFile: "/etc/podium-router/tls/privkey.pem" });
    expect(server.apiKeys.map((k) => k.name)).toEqual(["ops", "crm-sync", "auditor"]);
    // Organization-level operations only for the operators' key, and only in its own organization.
    expect(server.apiKeys.map((k) => k.organizations)).toEqual([["coastal-smiles"], [], []]);
    expect(settings.isolation).toEqual({ ownershipTtlSeconds: 300, ownershipCacheMaxEntries: 100_000, cursorKey: "file:/etc/podium-router/secrets/cursor-key" });
    expect([...settings.oauthApps.keys()]).toEqual(["coastal-smiles", "harbour-auto"]);
    // Nothing depends on the directory the router is started from.
    const paths = [settings.audit.path, settings.audit.indexPath, settings.audit.checkpoints.path, settings.onboarding.refreshTokenDir, settings.credentials.path];
    expect(paths.filter((p) => !p.startsWith("/var/lib/podium-router/"))).toEqual([]);
    const refs = [...settings.oauthApps.values()].flatMap((a) => [a.clientIdRef, a.clientSecretRef]);
    expect(refs.every((r) => r.startsWith("env:") || r.startsWith("file:/"))).toBe(true);
  });
});

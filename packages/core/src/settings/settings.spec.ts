import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configErrorOf } from "../testing/config-error.js";
import { loadSettings } from "./load-settings.js";
import { defaultSettings, validateSettings } from "./settings.js";
import type { Settings } from "./settings.js";
import { resolveSettingsPaths, storageLocations } from "./settings-paths.js";
import { PODIUM_EVENT_TYPES } from "./events-section.js";

const exampleFile = fileURLToPath(new URL("../../../../config/settings.example.yaml", import.meta.url));

/** The InvalidConfigError message for `fn`, or a failure when it does not throw one. */
const configError = configErrorOf;

describe("validateSettings()", () => {
  it("fills every default for an empty document, as documented in ARCHITECTURE.md", () => {
    const expected: Settings = {
      upstream: {
        baseUrl: "https://api.podium.com",
        tokenUrl: "https://api.podium.com/oauth/token",
        podiumVersion: "2021.04.01",
        connectTimeoutMs: 5000,
        headersTimeoutMs: 15000,
        bodyTimeoutMs: 15000,
        connections: 64,
        keepAliveTimeoutMs: 30000,
        retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 },
        maxRequestBodyBytes: 1048576,
        maxRequestBodyDepth: 64,
      },
      verification: { ttlSeconds: 3600 },
      oauth: { expiryMarginSeconds: 60 },
      budgets: {
        location: { ratePerMinute: 120, burst: 20 },
        upstream: { ratePerMinute: 300, burst: 30 },
        groupBy: "credential",
        maxWaitMs: 2000,
        overrides: {},
      },
      audit: {
        path: "state/audit/audit.jsonl",
        fsync: "interval",
        fsyncIntervalMs: 100,
        indexPath: "state/audit/audit.jsonl.index.sqlite",
        retentionDays: 0,
        onFailure: "refuse_writes",
        maxPendingBytes: 8388608,
        checkpoints: { path: "state/audit/audit.jsonl.checkpoints", intervalMs: 60000, hmacKey: "", logId: "" },
      },
      onboarding: { concurrency: 8, refreshTokenDir: "state/refresh-tokens", maxPendingConsentsPerCaller: 20, maxPendingConsentsPerOrg: 100 },
      oauthApps: new Map(),
      credentials: {
        backend: "file",
        path: "state/locations.json",
        postgres: { url: "postgres://postgres@127.0.0.1:5432/test", schema: "podium_router", poolMax: 10 },
        encryption: { keys: {}, activeKeyId: "" },
      },
      state: {
        backend: "memory",
        redis: { url: "redis://127.0.0.1:6379", keyPrefix: "podium-router:", commandTimeoutMs: 50, connectTimeoutMs: 200, replicas: 1 },
        redisDown: { reads: "local", writes: "refuse" },
        breaker: { failureThreshold: 3, resetMs: 1000 },
      },
      events: {
        enabled: false,
        backend: "sqlite",
        path: "state/events.sqlite",
        retentionHours: 240,
        maxBodyBytes: 262144,
        timestampToleranceMs: 300000,
        eventTypes: [...PODIUM_EVENT_TYPES],
        organizationWebhooks: [],
        subscriptionsPath: "state/webhook-subscriptions.json",
        forwarders: {},
        forwardRetry: { baseDelayMs: 1000, maxDelayMs: 300000, maxAttempts: 10 },
        forwardTimeoutMs: 10000,
      },
      isolation: { ownershipTtlSeconds: 300, ownershipCacheMaxEntries: 100000, cursorKey: "" },
      extras: {},
    };
    expect(validateSettings({})).toEqual(expected);
    expect(validateSettings(undefined)).toEqual(expected);
    expect(validateSettings(null)).toEqual(expected);
    expect(defaultSettings).toEqual(expected);
    expect(Object.isFrozen(defaultSettings.budgets.location)).toBe(true);
  });

  it("maps every snake_case key to its camelCase field", () => {
    const s = validateSettings({
      upstream: {
        base_url: "http://127.0.0.1:8787/",
        token_url: "https://accounts.podium.com/oauth/token",
        podium_version: "2022.01.01",
        connect_timeout_ms: 1,
        headers_timeout_ms: 2,
        body_timeout_ms: 3,
        connections: 4,
        keep_alive_timeout_ms: 5,
        retry: { max_attempts: 1, base_delay_ms: 0, max_delay_ms: 0 },
        max_request_body_bytes: 6,
        max_request_body_depth: 16,
      },
      verification: { ttl_seconds: 0 },
      oauth: { expiry_margin_seconds: 7 },
      budgets: {
        location: { rate_per_minute: 8, burst: 9 },
        upstream: { rate_per_minute: 10, burst: 11 },
        group_by: "org",
        max_wait_ms: 12,
        overrides: { "loc-A": { burst: 2 }, "loc-b": { rate_per_minute: 3, burst: 4 } },
      },
      audit: {
        path: "/var/log/pr.jsonl",
        fsync: "always",
        fsync_interval_ms: 13,
        index_path: "/var/cache/pr.sqlite",
        retention_days: 400,
        on_failure: "refuse_all",
        max_pending_bytes: 100000,
        checkpoints: { path: "/var/lib/pr/checkpoints.json", interval_ms: 5000, hmac_key: "env:AUDIT_KEY", log_id: "replica-1" },
      },
      onboarding: { concurrency: 14, refresh_token_dir: "/var/lib/podium-router/tokens", max_pending_consents_per_caller: 3, max_pending_consents_per_org: 30 },
      credentials: {
        backend: "postgres",
        path: "x.json",
        postgres: { url: "postgresql://router@db.internal:6543/podium", schema: "router_2", pool_max: 15 },
        encryption: { keys: { "2024-01": "env:KEY_2024_01", "2025.06": "file:/run/secrets/key-2025" }, active_key_id: "2025.06" },
      },
    });
    expect(s.upstream).toEqual({
      baseUrl: "http://127.0.0.1:8787",
      tokenUrl: "https://accounts.podium.com/oauth/token",
      podiumVersion: "2022.01.01",
      connectTimeoutMs: 1,
      headersTimeoutMs: 2,
      bodyTimeoutMs: 3,
      connections: 4,
      keepAliveTimeoutMs: 5,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      maxRequestBodyBytes: 6,
      maxRequestBodyDepth: 16,
    });
    expect(s.verification.ttlSeconds).toBe(0);
    expect(s.oauth.expiryMarginSeconds).toBe(7);
    expect(s.budgets).toEqual({
      location: { ratePerMinute: 8, burst: 9 },
      upstream: { ratePerMinute: 10, burst: 11 },
      groupBy: "org",
      maxWaitMs: 12,
      // Missing override fields come from budgets.location.
      overrides: { "loc-A": { ratePerMinute: 8, burst: 2 }, "loc-b": { ratePerMinute: 3, burst: 4 } },
    });
    expect(s.audit).toEqual({
      path: "/var/log/pr.jsonl",
      fsync: "always",
      fsyncIntervalMs: 13,
      indexPath: "/var/cache/pr.sqlite",
      retentionDays: 400,
      onFailure: "refuse_all",
      maxPendingBytes: 100000,
      checkpoints: { path: "/var/lib/pr/checkpoints.json", intervalMs: 5000, hmacKey: "env:AUDIT_KEY", logId: "replica-1" },
    });
    // A key pasted where its reference belongs is refused, and not echoed.
    expect(() => validateSettings({ audit: { checkpoints: { hmac_key: "s3cr3t-key-material" } } })).toThrow(/audit\.checkpoints\.hmac_key must be a secret reference/);
    expect(() => validateSettings({ audit: { checkpoints: { hmac_key: "s3cr3t-key-material" } } })).not.toThrow(/s3cr3t/);
    // The index lives beside the log unless placed elsewhere.
    expect(validateSettings({ audit: { path: "/var/log/pr.jsonl" } }).audit.indexPath).toBe("/var/log/pr.jsonl.index.sqlite");
    expect(s.onboarding).toEqual({ concurrency: 14, refreshTokenDir: "/var/lib/podium-router/tokens", maxPendingConsentsPerCaller: 3, maxPendingConsentsPerOrg: 30 });
    expect(s.credentials).toEqual({
      backend: "postgres",
      path: "x.json",
      postgres: { url: "postgresql://router@db.internal:6543/podium", schema: "router_2", poolMax: 15 },
      encryption: { keys: { "2024-01": "env:KEY_2024_01", "2025.06": "file:/run/secrets/key-2025" }, activeKeyId: "2025.06" },
    });
  });

  it("derives the token URL from base_url when token_url is empty or absent", () => {
    expect(validateSettings({ upstream: { base_url: "http://127.0.0.1:9/sandbox/" } }).upstream.tokenUrl).toBe("http://127.0.0.1:9/sandbox/oauth/token");
    expect(validateSettings({ upstream: { base_url: "http://h:1", token_url: "" } }).upstream.tokenUrl).toBe("http://h:1/oauth/token");
  });

  it("treats a key with no value (null) as absent", () => {
    expect(validateSettings({ upstream: null, budgets: { overrides: null, location: { burst: null } } })).toEqual(defaultSettings);
  });

  it("passes server through untouched in extras", () => {
    const server = { port: 8080, api_keys: [{ name: "a", key_sha256: "ab" }], unknown_to_core: true };
    const s = validateSettings({ server });
    expect(s.extras.server).toBe(server);
  });

  it.each([
    [{ upstream: { connections: 0 } }, "upstream.connections must be an integer >= 1 (got 0)"],
    [{ budgets: { location: { burst: 0 } } }, "budgets.location.burst must be an integer >= 1"],
    [{ budgets: { location: { burst: 1.5 } } }, "budgets.location.burst must be an integer >= 1"],
    [{ budgets: { upstream: { rate_per_minute: "300" } } }, "budgets.upstream.rate_per_minute must be an integer >= 1"],
    [{ budgets: { overrides: { "loc-1": { burst: -1 } } } }, "budgets.overrides.loc-1.burst must be an integer >= 1"],
    [{ budgets: { overrides: { "../etc": { burst: 1 } } } }, "budgets.overrides"],
    [{ budgets: { overrides: ["loc-1"] } }, "budgets.overrides must be a mapping"],
    [{ budgets: { group_by: "user" } }, "budgets.group_by must be one of credential | org | location"],
    [{ budgets: { max_wait_ms: -1 } }, "budgets.max_wait_ms must be an integer between 0 and 2147483647"],
    [{ upstream: { connect_timeout_ms: 2 ** 31 } }, "upstream.connect_timeout_ms must be an integer between 1 and 2147483647"],
    [{ upstream: { base_url: "api.podium.com" } }, "upstream.base_url must be an http:// or https:// URL"],
    [{ upstream: { base_url: "ftp://api.podium.com" } }, "upstream.base_url must be an http:// or https:// URL"],
    [{ upstream: { base_url: "https://api.podium.com?x=1" } }, "upstream.base_url must be an http:// or https:// URL"],
    [{ upstream: { token_url: 42 } }, "upstream.token_url must be an http:// or https:// URL"],
    [{ upstream: { podium_version: 2021.04 } }, "upstream.podium_version must be a non-empty string"],
    [{ upstream: { podium_version: "latest" } }, "upstream.podium_version must be a dated version like 2021.04.01"],
    [{ upstream: { retry: { max_attempts: 0 } } }, "upstream.retry.max_attempts must be an integer between 1 and 10"],
    [{ upstream: { retry: { base_delay_ms: 500, max_delay_ms: 100 } } }, "upstream.retry.max_delay_ms must be >= upstream.retry.base_delay_ms"],
    [{ upstream: { max_request_body_bytes: 0 } }, "upstream.max_request_body_bytes must be an integer >= 1"],
    [{ upstream: { max_request_body_depth: 0 } }, "upstream.max_request_body_depth must be an integer between 1 and 10000"],
    [{ verification: { ttl_seconds: -1 } }, "verification.ttl_seconds must be an integer between 0 and"],
    [{ audit: { fsync: true } }, "audit.fsync must be one of always | interval | never"],
    [{ audit: { path: "" } }, "audit.path must be a non-empty string"],
    [{ audit: { retention_days: -1 } }, "audit.retention_days must be an integer between 0 and 36500"],
    [{ audit: { index_path: 3 } }, "audit.index_path must be a non-empty string"],
    [{ onboarding: { concurrency: 0 } }, "onboarding.concurrency must be an integer between 1 and 1000"],
    [{ onboarding: { refresh_token_dir: "" } }, "onboarding.refresh_token_dir must be a non-empty string"],
    [{ credentials: { backend: "redis" } }, "credentials.backend must be one of file | postgres"],
    [{ credentials: { backend: "postgres" } }, "credentials.encryption.keys must list at least one key when credentials.backend is postgres"],
    [{ credentials: { postgres: { url: "mysql://h/db" } } }, "credentials.postgres.url must be a postgres:// or postgresql:// URL"],
    [{ credentials: { postgres: { url: 5432 } } }, "credentials.postgres.url must be a postgres:// or postgresql:// URL"],
    [{ credentials: { postgres: { schema: "Router; DROP" } } }, "credentials.postgres.schema must be a lower-case SQL identifier"],
    [{ credentials: { postgres: { pool_max: 0 } } }, "credentials.postgres.pool_max must be an integer between 1 and 1000"],
    [{ credentials: { postgres: { pool: 5 } } }, "unknown key credentials.postgres.pool"],
    [{ credentials: { encryption: { keys: { k1: 42 } } } }, 'credentials.encryption.keys.k1 must be a secret reference, "env:NAME" or "file:PATH"'],
    [{ credentials: { encryption: { keys: ["env:K"] } } }, "credentials.encryption.keys must be a mapping"],
    [{ credentials: { encryption: { keys: { "k 1": "env:K" } } } }, "credentials.encryption.keys must be keyed by key ids"],
    [{ credentials: { encryption: { keys: { k1: "env:K1" }, active_key_id: "k2" } } }, "credentials.encryption.active_key_id must be one of the ids under credentials.encryption.keys (k1)"],
    [{ credentials: { encryption: { keys: { k1: "env:K1", k2: "env:K2" } } } }, "credentials.encryption.active_key_id must name the key new writes use, one of k1, k2"],
    [{ upstream: "https://api.podium.com" }, "upstream must be a mapping"],
    [["upstream"], "the settings document must be a mapping"],
  ])("rejects %j naming the key and the rule", async (raw, expected) => {
    expect(await configError(() => validateSettings(raw))).toContain(expected);
  });

  it("does not echo a URL, which may carry credentials", async () => {
    const msg = await configError(() => validateSettings({ upstream: { base_url: "https://user:hunter2@api.podium.com" } }));
    expect(msg).not.toContain("hunter2");
    const pgMsg = await configError(() => validateSettings({ credentials: { postgres: { url: "mysql://router:hunter2@db/x" } } }));
    expect(pgMsg).not.toContain("hunter2");
  });

  it("refuses an encryption key written inline, without echoing it", async () => {
    const key = "q3lM0pJ0Wm9bI1f8m9kR2Z5nYk3xQ1c7V0a2B4d6E8g=";
    const msg = await configError(() => validateSettings({ credentials: { encryption: { keys: { k1: key } } } }));
    expect(msg).toContain("credentials.encryption.keys.k1 must be a secret reference");
    expect(msg).toContain("never the key itself");
    expect(msg).not.toContain(key.slice(0, 12));
    const idMsg = await configError(() => validateSettings({ credentials: { encryption: { keys: { [key]: "env:K" } } } }));
    expect(idMsg).not.toContain(key.slice(0, 12));
  });

  it("takes the only encryption key as the active one when active_key_id is empty", () => {
    const s = validateSettings({ credentials: { backend: "postgres", encryption: { keys: { k1: "env:K1" } } } });
    expect(s.credentials.encryption).toEqual({ keys: { k1: "env:K1" }, activeKeyId: "k1" });
  });

  it.each([
    [{ ttl: 60 }, "unknown key ttl; use verification.ttl_seconds"],
    [{ verification: { ttl: 60 } }, "unknown key verification.ttl; use verification.ttl_seconds"],
    [{ upstream: { baseUrl: "x" } }, "unknown key upstream.baseUrl; use upstream.base_url"],
    [{ upstream: { base_ulr: "x" } }, "unknown key upstream.base_ulr; use upstream.base_url"],
    [{ upstream: { retries: 2 } }, "unknown key upstream.retries; use upstream.retry.max_attempts"],
    [{ oauth: { token_url: "x" } }, "unknown key oauth.token_url; use upstream.token_url"],
    [{ budgets: { burst: 5 } }, "unknown key budgets.burst; use budgets.location.burst"],
    [{ budgets: { location: { brust: 5 } } }, "unknown key budgets.location.brust; use budgets.location.burst"],
    [{ budgets: { overrides: { "loc-1": { rate: 5 } } } }, "unknown key budgets.overrides.loc-1.rate"],
    [{ audit: { file: "a" } }, "unknown key audit.file; use audit.path"],
    [{ logging: { level: "info" } }, "unknown key logging; known keys here: upstream, verification"],
  ])("rejects the unknown key in %j with its dotted path and a hint", async (raw, expected) => {
    expect(await configError(() => validateSettings(raw))).toContain(expected);
  });
});

describe("oauth_apps", () => {
  it("reads each app: its secret references, an optional redirect URI and scopes", () => {
    const s = validateSettings({
      oauth_apps: {
        "acme-dental": { client_id_ref: "env:ACME_ID", client_secret_ref: "file:/run/secrets/acme", redirect_uri: "https://router.example.com/oauth/callback", scopes: ["read_locations", "read_locations", "write_messages"] },
        // A name that is also an Object.prototype key is just a name: the apps are a Map.
        constructor: { client_id_ref: "env:C_ID", client_secret_ref: "env:C_SECRET" },
      },
    });
    expect([...s.oauthApps.keys()]).toEqual(["acme-dental", "constructor"]);
    expect(s.oauthApps.get("acme-dental")).toEqual({
      clientIdRef: "env:ACME_ID",
      clientSecretRef: "file:/run/secrets/acme",
      redirectUri: "https://router.example.com/oauth/callback",
      scopes: ["read_locations", "write_messages"],
    });
    expect(s.oauthApps.get("constructor")).toEqual({ clientIdRef: "env:C_ID", clientSecretRef: "env:C_SECRET", redirectUri: undefined, scopes: [] });
    expect(s.oauthApps.get("toString")).toBeUndefined();
  });

  it.each([
    [{ "Acme Dental": { client_id_ref: "env:A", client_secret_ref: "env:B" } }, 'oauth_apps."Acme Dental" must be an app name'],
    [{ "file:/etc/passwd": { client_id_ref: "env:A", client_secret_ref: "env:B" } }, "must be an app name"],
    [{ acme: { client_secret_ref: "env:B" } }, 'oauth_apps.acme.client_id_ref is required: "env:NAME" or "file:PATH"'],
    [{ acme: { client_id_ref: "env:A", client_secret_ref: "sbx-secret-pasted-here" } }, "oauth_apps.acme.client_secret_ref must be a secret reference"],
    [{ acme: { client_id_ref: 42, client_secret_ref: "env:B" } }, "oauth_apps.acme.client_id_ref must be a secret reference"],
    [{ acme: { client_id_ref: "env:A", client_secret_ref: "env:B", scopes: "read_locations" } }, "oauth_apps.acme.scopes must be a list of OAuth scopes"],
    [{ acme: { client_id_ref: "env:A", client_secret_ref: "env:B", scopes: ["read locations"] } }, "oauth_apps.acme.scopes must be a list of OAuth scopes"],
    [{ acme: { client_id_ref: "env:A", client_secret_ref: "env:B", redirect_uri: "ftp://x" } }, "oauth_apps.acme.redirect_uri must be an http:// or https:// URL"],
    [{ acme: { client_id_ref: "env:A", client_secret_ref: "env:B", client_secret: "x" } }, "unknown key oauth_apps.acme.client_secret"],
    [{ acme: "env:A" }, "oauth_apps.acme must be a mapping"],
  ])("refuses %j, never echoing a reference", async (apps, expected) => {
    const msg = await configError(() => validateSettings({ oauth_apps: apps }));
    expect(msg).toContain(expected);
    expect(msg).not.toContain("sbx-secret-pasted-here");
  });

  it("can come from the environment, one app as a mapping", async () => {
    const loaded = await loadSettings({ path: exampleFile, env: { PODIUM_ROUTER_OAUTH_APPS__ACME_DENTAL: '{client_id_ref: "env:ACME_ID", client_secret_ref: "env:ACME_SECRET"}' } });
    expect(loaded.settings.oauthApps.get("acme_dental")).toMatchObject({ clientIdRef: "env:ACME_ID", clientSecretRef: "env:ACME_SECRET" });
  });

  it("bounds pending consents per caller and per organization", async () => {
    expect(await configError(() => validateSettings({ onboarding: { max_pending_consents_per_caller: 0 } }))).toContain("onboarding.max_pending_consents_per_caller must be an integer between 1 and 100000");
    expect(await configError(() => validateSettings({ onboarding: { max_pending_consents_per_org: "many" } }))).toContain("onboarding.max_pending_consents_per_org must be an integer");
  });
});

describe("loadSettings()", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pr-settings-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the defaults when the default file is absent", async () => {
    const loaded = await loadSettings({ cwd: dir, env: {} });
    expect(loaded).toEqual({ settings: resolveSettingsPaths(defaultSettings, dir), baseDir: dir, raw: {}, path: undefined, originOf: expect.any(Function) });
    expect(loaded.settings.audit.path).toBe(join(dir, "state", "audit", "audit.jsonl"));
  });

  it("resolves relative paths against the settings file's directory, not the working directory", async () => {
    const etc = join(dir, "etc", "podium-router");
    await mkdir(etc, { recursive: true });
    const file = join(etc, "settings.yaml");
    await writeFile(
      file,
      [
        "audit:",
        "  path: logs/audit.jsonl",
        "credentials:",
        "  path: /var/lib/podium-router/locations.json",
        "  encryption:",
        "    keys: { k1: 'file:keys/k1', k2: 'env:PR_KEY_K2', k3: 'file:/run/secrets/k3' }",
        "    active_key_id: k1",
        "oauth_apps:",
        "  acme: { client_id_ref: 'env:ACME_ID', client_secret_ref: 'file:secrets/acme' }",
        "",
      ].join("\n"),
    );
    const loaded = await loadSettings({ path: file, cwd: join(dir, "elsewhere"), env: { PODIUM_ROUTER_ONBOARDING__REFRESH_TOKEN_DIR: "consent-tokens" } });
    expect(loaded.baseDir).toBe(etc);
    expect(loaded.settings.audit).toMatchObject({ path: join(etc, "logs", "audit.jsonl"), indexPath: join(etc, "logs", "audit.jsonl.index.sqlite") });
    expect(loaded.settings.credentials.path).toBe("/var/lib/podium-router/locations.json");
    expect(loaded.settings.credentials.encryption.keys).toEqual({ k1: `file:${join(etc, "keys", "k1")}`, k2: "env:PR_KEY_K2", k3: "file:/run/secrets/k3" });
    expect(loaded.settings.oauthApps.get("acme")).toMatchObject({ clientIdRef: "env:ACME_ID", clientSecretRef: `file:${join(etc, "secrets", "acme")}` });
    expect(loaded.settings.audit.checkpoints.path).toBe(join(etc, "logs", "audit.jsonl.checkpoints"));
    // From the environment too: one rule for every relative path.
    expect(loaded.settings.onboarding.refreshTokenDir).toBe(join(etc, "consent-tokens"));
    expect(storageLocations(loaded.settings)).toEqual({
      audit_path: join(etc, "logs", "audit.jsonl"),
      audit_index_path: join(etc, "logs", "audit.jsonl.index.sqlite"),
      audit_checkpoints: `file ${join(etc, "logs", "audit.jsonl.checkpoints")}`,
      credentials: "file /var/lib/podium-router/locations.json",
      refresh_token_dir: join(etc, "consent-tokens"),
    });
  });

  it("names PostgreSQL by host, port and schema in the storage summary, never its URL", () => {
    const settings = validateSettings({ credentials: { backend: "postgres", postgres: { url: "postgres://router:s3cret-pw@db.internal:6543/pr" }, encryption: { keys: { k1: "env:K1" } } } });
    const summary = storageLocations(settings);
    expect(summary.credentials).toBe("postgres db.internal:6543 schema podium_router");
    expect(JSON.stringify(summary)).not.toContain("s3cret-pw");
  });

  it("reads config/settings.yaml under the working directory by default", async () => {
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "settings.yaml"), "verification:\n  ttl_seconds: 5\nserver:\n  port: 9090\n");
    const loaded = await loadSettings({ cwd: dir, env: {} });
    expect(loaded.settings.verification.ttlSeconds).toBe(5);
    expect(loaded.settings.extras.server).toEqual({ port: 9090 });
    expect(loaded.raw).toEqual({ verification: { ttl_seconds: 5 }, server: { port: 9090 } });
    expect(loaded.path).toBe(join(dir, "config", "settings.yaml"));
  });

  it("fails naming an explicitly given file that does not exist", async () => {
    const missing = join(dir, "nope.yaml");
    expect(await configError(() => loadSettings({ path: missing, env: {} }))).toContain(`settings file ${missing} does not exist`);
    expect(await configError(() => loadSettings({ cwd: dir, env: { PODIUM_ROUTER_SETTINGS: "other.yaml" } }))).toContain(join(dir, "other.yaml"));
  });

  it("reads the file named by PODIUM_ROUTER_SETTINGS", async () => {
    await writeFile(join(dir, "s.yaml"), "onboarding: { concurrency: 3 }\n");
    expect((await loadSettings({ cwd: dir, env: { PODIUM_ROUTER_SETTINGS: "s.yaml" } })).settings.onboarding.concurrency).toBe(3);
  });

  it.each([
    ["a syntax error", "upstream:\n  base_url: [unclosed\nbudgets: {}\n", ":3:"],
    ["a duplicate key", "audit:\n  path: a\n  path: b\n", ":3:"],
    ["bad indentation", "budgets:\n  location:\n    burst: 1\n   rate_per_minute: 2\n", ":4:"],
  ])("names the file and line of %s", async (_label, text, line) => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, text);
    const msg = await configError(() => loadSettings({ path: file, env: {} }));
    expect(msg).toContain(`${file}${line}`);
    expect(msg).toContain("YAML syntax error");
  });

  it("rejects a document that is not a mapping, naming the file", async () => {
    const file = join(dir, "list.yaml");
    await writeFile(file, "- a\n- b\n");
    expect(await configError(() => loadSettings({ path: file, env: {} }))).toContain(`${file} must hold a YAML mapping`);
  });

  it("applies PODIUM_ROUTER_<SECTION>__<KEY>[__<SUBKEY>] overrides over the file, parsed as YAML", async () => {
    const file = join(dir, "s.yaml");
    await writeFile(file, "upstream:\n  base_url: https://api.podium.com\nbudgets:\n  location: { burst: 3 }\n");
    const loaded = await loadSettings({
      path: file,
      env: {
        PODIUM_ROUTER_UPSTREAM__BASE_URL: "http://127.0.0.1:8787",
        PODIUM_ROUTER_UPSTREAM__RETRY__MAX_ATTEMPTS: "1",
        PODIUM_ROUTER_BUDGETS__LOCATION__BURST: "10",
        PODIUM_ROUTER_VERIFICATION__TTL_SECONDS: "600",
        PODIUM_ROUTER_AUDIT__FSYNC: "never",
        PODIUM_ROUTER_SERVER__PORT: "9999",
        // Other components' variables without "__" are ignored.
        PODIUM_ROUTER_API_KEY: "not-a-setting",
        UNRELATED__THING: "x",
      },
    });
    expect(loaded.settings.upstream.baseUrl).toBe("http://127.0.0.1:8787");
    expect(loaded.settings.upstream.tokenUrl).toBe("http://127.0.0.1:8787/oauth/token");
    expect(loaded.settings.upstream.retry.maxAttempts).toBe(1);
    expect(loaded.settings.budgets.location).toEqual({ ratePerMinute: 120, burst: 10 });
    expect(loaded.settings.verification.ttlSeconds).toBe(600);
    expect(loaded.settings.audit.fsync).toBe("never");
    expect(loaded.settings.extras.server).toEqual({ port: 9999 });
    expect(loaded.raw["server"]).toEqual({ port: 9999 });
  });

  it("sets a whole section from one variable, and keeps the case of a uid under budgets.overrides", async () => {
    const loaded = await loadSettings({
      cwd: dir,
      env: {
        PODIUM_ROUTER_BUDGETS__OVERRIDES: '{"b405e23a-0000-4000-8000-000000000001": {burst: 5}}',
        PODIUM_ROUTER_BUDGETS__OVERRIDES__Loc_A__BURST: "6",
        PODIUM_ROUTER_UPSTREAM__TOKEN_URL: "",
      },
    });
    expect(loaded.settings.budgets.overrides).toEqual({
      "b405e23a-0000-4000-8000-000000000001": { ratePerMinute: 120, burst: 5 },
      Loc_A: { ratePerMinute: 120, burst: 6 },
    });
    expect(loaded.settings.upstream.tokenUrl).toBe("https://api.podium.com/oauth/token");
  });

  it.each([
    [{ PODIUM_ROUTER_BUDGETS__LOCATION__BURST: "0" }, "budgets.location.burst must be an integer >= 1 (got 0) (set by PODIUM_ROUTER_BUDGETS__LOCATION__BURST)"],
    [{ PODIUM_ROUTER_UPSTREAM__BASE_URL: "nope" }, "(set by PODIUM_ROUTER_UPSTREAM__BASE_URL)"],
    [{ PODIUM_ROUTER_UPSTREAM__TTL: "1" }, "unknown key upstream.ttl (set by PODIUM_ROUTER_UPSTREAM__TTL)"],
    [{ PODIUM_ROUTER_BUDGETS__LOCATION: "{burst: 0}" }, "budgets.location.burst must be an integer >= 1 (got 0) (set by PODIUM_ROUTER_BUDGETS__LOCATION)"],
    [
      { PODIUM_ROUTER_UPSTREAM__BASE_URL: "http://h", PODIUM_ROUTER_UPSTREAM__BASE_URL__HOST: "x" },
      "PODIUM_ROUTER_UPSTREAM__BASE_URL__HOST sets upstream.base_url.host, but upstream.base_url is not a mapping",
    ],
    [{ PODIUM_ROUTER_UPSTREAM__BASE_URL__HOST: "x" }, "upstream.base_url must be an http:// or https:// URL without credentials, query or fragment (set by PODIUM_ROUTER_UPSTREAM__BASE_URL__HOST)"],
    [{ PODIUM_ROUTER_UPSTREAM____BASE_URL: "x" }, "PODIUM_ROUTER_UPSTREAM____BASE_URL has an empty key"],
    [{ PODIUM_ROUTER_AUDIT__PATH: "[unclosed" }, "PODIUM_ROUTER_AUDIT__PATH is not a valid YAML value"],
    [{ PODIUM_ROUTER_CREDENTIALS__POSTGRES__URL: "http://h/db" }, "credentials.postgres.url must be a postgres:// or postgresql:// URL like postgres://user@host:5432/database (the value is not shown) (set by PODIUM_ROUTER_CREDENTIALS__POSTGRES__URL)"],
    [{ PODIUM_ROUTER_CREDENTIALS__ENCRYPTION__KEYS: "{k1: not-a-ref}" }, "credentials.encryption.keys.k1 must be a secret reference"],
  ])("names the variable behind an invalid override %j", async (env, expected) => {
    expect(await configError(() => loadSettings({ cwd: dir, env }))).toContain(expected);
  });

  it("loads config/settings.example.yaml, which documents exactly the defaults", async () => {
    const loaded = await loadSettings({ path: exampleFile, env: {} });
    // `server` is the server's section, passed through for it (its own test checks it is the server's defaults).
    expect({ ...loaded.settings, extras: {} }).toEqual(resolveSettingsPaths(defaultSettings, dirname(exampleFile)));
    expect(Object.keys(loaded.settings.extras)).toEqual(["server"]);
    expect(loaded.path).toBe(exampleFile);
  });
});

import { describe, expect, it } from "vitest";
import { configErrorOf } from "../testing/config-error.js";
import { loadSettings } from "./load-settings.js";
import { defaultSettings, validateSettings } from "./settings.js";
import { resolveSettingsPaths } from "./settings-paths.js";

const configError = (raw: unknown): Promise<string> => configErrorOf(() => validateSettings(raw));

describe("readIsolationSettings()", () => {
  it("trusts an owner for 5 minutes, keeps 100,000 in memory and binds cursors with a per-process key by default", () => {
    expect(defaultSettings.isolation).toEqual({ ownershipTtlSeconds: 300, ownershipCacheMaxEntries: 100_000, cursorKey: "" });
  });

  it("maps every snake_case key to its camelCase field, at both ends of each range", () => {
    expect(validateSettings({ isolation: { ownership_ttl_seconds: 1, ownership_cache_max_entries: 1, cursor_key: "env:CURSOR_KEY" } }).isolation).toEqual({
      ownershipTtlSeconds: 1,
      ownershipCacheMaxEntries: 1,
      cursorKey: "env:CURSOR_KEY",
    });
    expect(validateSettings({ isolation: { ownership_ttl_seconds: 86_400, ownership_cache_max_entries: 10_000_000, cursor_key: "file:/run/secrets/cursor" } }).isolation).toEqual({
      ownershipTtlSeconds: 86_400,
      ownershipCacheMaxEntries: 10_000_000,
      cursorKey: "file:/run/secrets/cursor",
    });
  });

  it.each([
    [{ ownership_ttl_seconds: 0 }, "isolation.ownership_ttl_seconds must be an integer between 1 and 86400"],
    [{ ownership_ttl_seconds: 86_401 }, "isolation.ownership_ttl_seconds must be an integer between 1 and 86400"],
    [{ ownership_ttl_seconds: 1.5 }, "isolation.ownership_ttl_seconds must be an integer"],
    [{ ownership_ttl_seconds: "300" }, "isolation.ownership_ttl_seconds must be an integer"],
    [{ ownership_cache_max_entries: 0 }, "isolation.ownership_cache_max_entries must be an integer between 1 and 10000000"],
    [{ ownership_cache_max_entries: 10_000_001 }, "isolation.ownership_cache_max_entries must be an integer between 1 and 10000000"],
    [{ cursor_key: 42 }, "isolation.cursor_key must be a non-empty string"],
    [{ cursor_key: "env:" }, "isolation.cursor_key must be a secret reference"],
    [{ ownership_ttl: 300 }, "unknown key isolation.ownership_ttl; use isolation.ownership_ttl_seconds"],
    [{ hmac_key: "env:K" }, "unknown key isolation.hmac_key; use isolation.cursor_key"],
    [{ colour: "blue" }, "unknown key isolation.colour"],
  ])("refuses %j", async (section, expected) => {
    expect(await configError({ isolation: section })).toContain(expected);
  });

  it("refuses a key pasted where its reference belongs, without repeating it", async () => {
    const message = await configError({ isolation: { cursor_key: "s3cr3t-cursor-key-material-0123456789" } });
    expect(message).toContain('isolation.cursor_key must be a secret reference, "env:NAME" or "file:PATH", never the key itself');
    expect(message).not.toContain("s3cr3t");
  });

  it("is set by PODIUM_ROUTER_ISOLATION__* and names the variable in a refusal", async () => {
    const loaded = await loadSettings({ path: undefined, cwd: "/nonexistent-dir", env: { PODIUM_ROUTER_ISOLATION__OWNERSHIP_TTL_SECONDS: "60", PODIUM_ROUTER_ISOLATION__CURSOR_KEY: "env:K" } });
    expect(loaded.settings.isolation).toMatchObject({ ownershipTtlSeconds: 60, cursorKey: "env:K" });
    await expect(loadSettings({ cwd: "/nonexistent-dir", env: { PODIUM_ROUTER_ISOLATION__OWNERSHIP_TTL_SECONDS: "0" } })).rejects.toThrow(
      "isolation.ownership_ttl_seconds must be an integer between 1 and 86400 (got 0) (set by PODIUM_ROUTER_ISOLATION__OWNERSHIP_TTL_SECONDS)",
    );
  });

  it("resolves a relative file: reference against the settings file's directory, leaving env: as it is", () => {
    const file = validateSettings({ isolation: { cursor_key: "file:secrets/cursor.key" } });
    expect(resolveSettingsPaths(file, "/etc/podium-router").isolation.cursorKey).toBe("file:/etc/podium-router/secrets/cursor.key");
    const env = validateSettings({ isolation: { cursor_key: "env:CURSOR_KEY" } });
    expect(resolveSettingsPaths(env, "/etc/podium-router").isolation.cursorKey).toBe("env:CURSOR_KEY");
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateSettings } from "../settings/settings.js";
import { resolveSettingsPaths } from "../settings/settings-paths.js";
import { MIN_CURSOR_KEY_BYTES, resolveCursorKey } from "./cursor-key.js";
import { refusalOf } from "../testing/refusal.js";

const KEY = "k".repeat(31) + "\u00e9"; // 33 bytes in UTF-8: the length counts bytes, not characters
const withRef = (cursor_key: string) => validateSettings({ isolation: { cursor_key } });

const failure = refusalOf;

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cursor-key-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("resolveCursorKey()", () => {
  it("makes a fresh 32-byte random key per call when no reference is set", async () => {
    const settings = validateSettings({});
    const [a, b] = [await resolveCursorKey(settings, {}), await resolveCursorKey(settings, {})];
    expect(a).toHaveLength(MIN_CURSOR_KEY_BYTES);
    expect(b).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
  });

  it("reads the key an env: reference names, byte for byte", async () => {
    const key = await resolveCursorKey(withRef("env:CURSOR_KEY"), { CURSOR_KEY: KEY });
    expect(key.equals(Buffer.from(KEY, "utf8"))).toBe(true);
  });

  it("reads a file: reference relative to the settings file's directory, without the trailing newline", async () => {
    await writeFile(join(dir, "cursor.key"), `${KEY}\n`, { mode: 0o600 });
    const settings = resolveSettingsPaths(withRef("file:cursor.key"), dir);
    expect((await resolveCursorKey(settings, {})).toString("utf8")).toBe(KEY);
  });

  it("refuses a key shorter than 32 bytes, naming the setting and the reference, never the key", async () => {
    const short = "s3cr3t-".repeat(4) + "abc"; // 31 bytes
    const { code, message } = await failure(resolveCursorKey(withRef("env:CURSOR_KEY"), { CURSOR_KEY: short }));
    expect(code).toBe("ERR_LOC_CONFIG");
    expect(message).toContain("isolation.cursor_key (env:CURSOR_KEY) must hold at least 32 bytes");
    expect(message).not.toContain("s3cr3t");
  });

  it("refuses an unset variable or a missing file, naming the setting", async () => {
    const unset = await failure(resolveCursorKey(withRef("env:CURSOR_KEY"), {}));
    expect(unset).toMatchObject({ code: "ERR_LOC_CREDENTIAL" });
    expect(unset.message).toContain("environment variable CURSOR_KEY (isolation.cursor_key) is not set");
    const missing = await failure(resolveCursorKey(withRef(`file:${join(dir, "absent.key")}`), {}));
    expect(missing.message).toContain("(isolation.cursor_key) does not exist");
  });
});

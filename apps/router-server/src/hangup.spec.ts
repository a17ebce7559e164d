import { EventEmitter } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkApiKey } from "@podium-router/client/testing";
import pino from "pino";
import { hashApiKey } from "./caller-auth.js";
import { handleHangups } from "./hangup.js";
import { createServerLogger } from "./server-logger.js";
import { readApiKeys, startRouterServer, type StartedRouterServer } from "./start-router-server.js";

const KEY_A = "pr_hangup_key_a_4b1f0c";
const KEY_B = "pr_hangup_key_b_9e27d3";

/** A settings file whose `server.api_keys` grant the given keys everything. */
function settingsText(dir: string, keys: Record<string, string>): string {
  return [
    "upstream:",
    "  base_url: http://127.0.0.1:9",
    "audit:",
    `  path: ${join(dir, "audit.jsonl")}`,
    "credentials:",
    `  path: ${join(dir, "locations.json")}`,
    "server:",
    "  port: 0",
    "  api_keys:",
    ...Object.entries(keys).map(([name, key]) => `    - { name: ${name}, key_sha256: ${hashApiKey(key)}, locations: ["*"], rpcs: ["*"] }`),
    "",
  ].join("\n");
}

const listWith = (url: string, key: string): Promise<string> => checkApiKey(url, key, "connect");

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("handleHangups(): SIGHUP reloads the API keys", () => {
  let dir: string;
  let file: string;
  let started: StartedRouterServer;
  let log = "";
  const signals = new EventEmitter();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pr-hangup-"));
    file = join(dir, "settings.yaml");
    await writeFile(file, settingsText(dir, { "app-a": KEY_A }));
    log = "";
    const logger = createServerLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => ((log += c.toString()), cb()) }) });
    started = await startRouterServer({ settingsPath: file, env: {}, logger });
    handleHangups({ router: started.router, server: started.server, logger, readApiKeys: () => readApiKeys({ settingsPath: file, env: {} }) }, signals);
  });
  afterEach(async () => {
    signals.removeAllListeners();
    await started.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("replaces the keys over the wire without a restart: the old key is refused, the new one accepted", async () => {
    const url = started.address.url;
    expect(await listWith(url, KEY_A)).toBe("ok");
    expect(await listWith(url, KEY_B)).toBe("ERR_LOC_UNAUTHENTICATED");

    await writeFile(file, settingsText(dir, { "app-b": KEY_B }));
    signals.emit("SIGHUP");
    await until(async () => (await listWith(url, KEY_B)) === "ok", "the new key");
    expect(await listWith(url, KEY_A)).toBe("ERR_LOC_UNAUTHENTICATED");
    expect(started.server.apiKeyNames()).toEqual(["app-b"]);
    expect(log).toMatch(/"added":\["app-b"\],"removed":\["app-a"\].*"msg":"API keys reloaded \(SIGHUP\)"/);
    // Same port, same process: the address did not change.
    expect(started.address.url).toBe(url);
  });

  it.each([
    ["a YAML syntax error", "server:\n  api_keys: [\n", /YAML syntax error/],
    ["a key that is not a SHA-256", `server:\n  api_keys:\n    - { name: x, key_sha256: nothex, locations: ["*"], rpcs: ["*"] }\n`, /server\.api_keys\[0\]\.key_sha256 must be 64 hexadecimal characters/],
    ["a plaintext key", `server:\n  api_keys:\n    - { name: x, key: ${KEY_B}, locations: ["*"], rpcs: ["*"] }\n`, /unsupported server\.api_keys\[0\]\.key/],
  ])("keeps the old keys and logs why when the file has %s", async (_what, text, why) => {
    const url = started.address.url;
    await writeFile(file, text);
    signals.emit("SIGHUP");
    await until(async () => log.includes("API keys NOT reloaded"), "the refusal to reload");
    expect(log).toMatch(why);
    expect(log).not.toContain(KEY_B);
    expect(await listWith(url, KEY_A)).toBe("ok");
    expect(await listWith(url, KEY_B)).toBe("ERR_LOC_UNAUTHENTICATED");
  });

  it("also reopens the audit log on every SIGHUP, one signal at a time", async () => {
    const reopenAudit = vi.fn(() => new Promise<void>((r) => setTimeout(r, 10)));
    const local = new EventEmitter();
    handleHangups({ router: { reopenAudit }, logger: pino({ level: "silent" }) }, local);
    local.emit("SIGHUP");
    local.emit("SIGHUP");
    await until(async () => reopenAudit.mock.calls.length === 2, "two reopens");
  });
});

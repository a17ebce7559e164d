import { Writable } from "node:stream";
import type { LocationRouter } from "@podium-router/core";
import { hashApiKey } from "../src/caller-auth.js";
import { createRouterServer, type RouterServer } from "../src/router-server.js";
import { createServerLogger } from "../src/server-logger.js";
import { validateServerSettings, type ServerSettings } from "../src/server-settings.js";
import { BURLEIGH, createFakeLocationRouter, SYDNEY, type FakeLocationRouter } from "./fake-location-router.js";

/** A key granted everything. */
export const ADMIN_KEY = "pr_test_admin_0123456789abcdef";
/** A key granted only Call and VerifyLocation for Sydney. */
export const SYDNEY_KEY = "pr_test_sydney_fedcba9876543210";

/** The `server` section the test servers use: port 0, both keys, a small body limit. */
export function testServerSection(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    port: 0,
    max_request_bytes: 64 * 1024,
    shutdown_grace_ms: 5_000,
    api_keys: [
      { name: "ops", key_sha256: hashApiKey(ADMIN_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] },
      { name: "sydney-app", key_sha256: hashApiKey(SYDNEY_KEY), locations: [SYDNEY], rpcs: ["Call", "VerifyLocation"] },
    ],
    ...extra,
  };
}

/** A running test server and what it was built from. */
export interface TestServer {
  url: string;
  port: number;
  server: RouterServer;
  router: FakeLocationRouter;
  settings: ServerSettings;
  /** Every log line the server wrote, parsed. */
  logLines(): Record<string, unknown>[];
  /** The raw log text. */
  logText(): string;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 port 0 with the fake router (or the given one). */
export async function startTestServer(opts: { section?: Record<string, unknown>; router?: LocationRouter; logLevel?: string } = {}): Promise<TestServer> {
  const router = (opts.router ?? createFakeLocationRouter()) as FakeLocationRouter;
  const settings = validateServerSettings(testServerSection(opts.section));
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString("utf8");
      cb();
    },
  });
  const logger = createServerLogger({ level: opts.logLevel ?? "debug", destination: sink });
  const server = createRouterServer({ router, settings, logger });
  const address = await server.listen();
  return {
    url: address.url,
    port: address.port,
    server,
    router,
    settings,
    logText: () => text,
    logLines: () =>
      text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    close: () => server.close(),
  };
}

export { BURLEIGH, SYDNEY };

import { createEventHub, createLocationRouter, loadSettings, type LocationRouter, type Settings } from "@podium-router/core";
import type { Logger } from "pino";
import { createRouterMetrics } from "./metrics.js";
import { createRouterServer, type ListenAddress, type RouterServer } from "./router-server.js";
import { createServerLogger, logStorage } from "./server-logger.js";
import { validateServerSettings, type ApiKeyGrant, type ServerSettings } from "./server-settings.js";

/** Options of {@link startRouterServer}. */
export interface StartRouterServerOptions {
  /** The settings file. @default PODIUM_ROUTER_SETTINGS, else config/settings.yaml (missing = defaults) */
  settingsPath?: string | undefined;
  /** Environment for PODIUM_ROUTER_* overrides and `env:` credential references. @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Directory relative paths resolve against. @default process.cwd() */
  cwd?: string | undefined;
  /** The root logger. @default createServerLogger() */
  logger?: Logger | undefined;
  /** Replaces validated server settings (the CLI's --port, a dev API key). @default {} */
  serverOverrides?: Partial<ServerSettings> | undefined;
}

/** A started router: the server, where it listens, and the settings it was built from. */
export interface StartedRouterServer {
  server: RouterServer;
  address: ListenAddress;
  settings: Settings;
  serverSettings: ServerSettings;
  logger: Logger;
  /** The core, so the process can reopen its audit log on SIGHUP. */
  router: LocationRouter;
}

/**
 * Loads the settings, builds the core (with this server's metrics as its observer) and the server,
 * and listens. Used by main.ts and the CLI's `serve` and `dev`; the caller owns signals and exit.
 */
export async function startRouterServer(opts: StartRouterServerOptions = {}): Promise<StartedRouterServer> {
  const logger = opts.logger ?? createServerLogger({ level: opts.env?.["LOG_LEVEL"] ?? process.env["LOG_LEVEL"] });
  const loaded = await loadSettings({ path: opts.settingsPath, env: opts.env, cwd: opts.cwd });
  const { settings, raw, originOf } = loaded;
  const serverSettings = { ...validateServerSettings(raw["server"], originOf, { oauthApps: settings.oauthApps.keys(), baseDir: loaded.baseDir }), ...opts.serverOverrides };
  logStorage(logger, settings, loaded.path);
  const metrics = createRouterMetrics();
  const router = await createLocationRouter({ settings, logger, observer: metrics.observer, env: opts.env });
  let events;
  try {
    events = settings.events.enabled ? await createEventHub({ router, logger, observer: metrics.events, env: opts.env }) : undefined;
  } catch (err) {
    await router.close();
    throw err;
  }
  const server = createRouterServer({ router, settings: serverSettings, logger, metrics, events });
  try {
    const address = await server.listen();
    return { server, address, settings, serverSettings, logger, router };
  } catch (err) {
    await events?.close();
    await router.close();
    throw err;
  }
}

/**
 * Reads `server.api_keys` again from the settings file and environment `startRouterServer` would read (the same
 * options), validated as at start. Used on SIGHUP; throws InvalidConfigError when the file or a key is invalid.
 */
export async function readApiKeys(opts: Pick<StartRouterServerOptions, "settingsPath" | "env" | "cwd"> = {}): Promise<readonly ApiKeyGrant[]> {
  const loaded = await loadSettings({ path: opts.settingsPath, env: opts.env, cwd: opts.cwd });
  return validateServerSettings(loaded.raw["server"], loaded.originOf, { oauthApps: loaded.settings.oauthApps.keys(), baseDir: loaded.baseDir }).apiKeys;
}

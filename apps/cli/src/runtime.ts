// Wiring of the router process: the core's router built from settings, served by the router server.
// `serve` and `dev` start a router only through this file, so it is the one place that knows both APIs
// (the same steps as the server's own startRouterServer, minus reading the settings file: dev builds its
// settings in memory).
import { createEventHub, createLocationRouter } from "@podium-router/core";
import type { EventHub, LocationRouter, OriginOf, Settings } from "@podium-router/core";
import { createRouterMetrics, createRouterServer, createServerLogger, logStorage, validateServerSettings } from "@podium-router/server";
import type { HangupDeps, RouterServer, ServerSettings } from "@podium-router/server";
import type { OutputStream } from "./cli-io.js";

/** A router listening on a port. */
export interface RunningRouter {
  /** `http://host:port` (https with TLS). */
  url: string;
  port: number;
  host: string;
  /** The core router, for in-process work such as dev mode's onboarding. */
  router: LocationRouter;
  /** The server, whose API keys a SIGHUP replaces. */
  server: RouterServer;
  /** The root logger (pino). */
  logger: HangupDeps["logger"];
  /** The event hub, when `events.enabled` (dev mode syncs the demo locations' webhooks through it). */
  events: EventHub | undefined;
  /** Stops accepting, finishes in-flight calls, closes the router (flushing the audit log). */
  close(): Promise<void>;
}

/** Options of `startRouter()`. */
export interface StartRouterOptions {
  /** The validated settings; `extras.server` is the raw `server` section the server validates. */
  settings: Settings;
  /** Which environment variable set a settings key (from loadSettings), so `server.*` errors name it. */
  originOf?: OriginOf | undefined;
  /** The settings file read, for the start-up line that says where the state lives. */
  settingsFile?: string | undefined;
  /** Where relative `server.*` paths (TLS files) resolve: loadSettings' baseDir. */
  baseDir?: string | undefined;
  /** Replaces validated server settings, e.g. the CLI's --port and --host. */
  serverOverrides?: Partial<ServerSettings>;
  /** Where the JSON log lines go. */
  logTo: OutputStream;
  /** @default "info" */
  logLevel?: string;
  /** Environment for `env:` credential references. */
  env: Record<string, string | undefined>;
}

/** Builds the core router from settings and serves it; if the port cannot be bound, the router is closed again. */
export async function startRouter(options: StartRouterOptions): Promise<RunningRouter> {
  const logger = createServerLogger({ level: options.logLevel ?? "info", destination: { write: (line: string) => void options.logTo.write(line) } });
  const serverSettings = {
    ...validateServerSettings(options.settings.extras.server, options.originOf, { oauthApps: options.settings.oauthApps.keys(), baseDir: options.baseDir }),
    ...options.serverOverrides,
  };
  logStorage(logger, options.settings, options.settingsFile);
  const metrics = createRouterMetrics();
  const router = await createLocationRouter({ settings: options.settings, logger, observer: metrics.observer, env: options.env });
  let events;
  try {
    events = options.settings.events.enabled ? await createEventHub({ router, logger, observer: metrics.events, env: options.env }) : undefined;
  } catch (err) {
    await router.close();
    throw err;
  }
  const server = createRouterServer({ router, settings: serverSettings, logger, metrics, events });
  let address: { url: string; port: number; host: string };
  try {
    address = await server.listen();
  } catch (err) {
    await events?.close();
    await router.close();
    throw err;
  }
  // The server's close() also closes the router it serves.
  return { ...address, router, events, server, logger, close: () => server.close() };
}

import { loadSettings } from "@podium-router/core";
import { handleHangups, readApiKeys } from "@podium-router/server";
import type { CliIo } from "../cli-io.js";
import { exitCodes } from "../exit-codes.js";
import type { ServeFlags } from "../parse-args.js";
import { startRouter } from "../runtime.js";
import { waitForShutdown } from "../wait-for-shutdown.js";

/**
 * `podium-router serve`: the router from the settings file (and PODIUM_ROUTER_* overrides), with --port
 * and --host over the file's `server` section. JSON logs on stdout; stops cleanly on SIGINT/SIGTERM; on SIGHUP
 * reopens the audit log and reloads `server.api_keys`.
 */
export async function serveCommand(io: CliIo, flags: ServeFlags): Promise<number> {
  const { settings, originOf, baseDir, path } = await loadSettings({ path: flags.settings, env: io.env, cwd: io.cwd });
  const serverOverrides = { ...(flags.port !== undefined ? { port: flags.port } : {}), ...(flags.host !== undefined ? { host: flags.host } : {}) };
  const running = await startRouter({ settings, originOf, baseDir, settingsFile: path, serverOverrides, logTo: io.stdout, env: io.env });
  // SIGHUP: reopen the audit log (logrotate's postrotate) and reload the API keys from the same settings.
  const stopHangups = handleHangups({ router: running.router, server: running.server, logger: running.logger, readApiKeys: () => readApiKeys({ settingsPath: flags.settings, env: io.env, cwd: io.cwd }) });
  try {
    await waitForShutdown(io.shutdown);
  } finally {
    stopHangups();
    await running.close();
  }
  return exitCodes.ok;
}

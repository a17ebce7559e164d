import { loadSettings } from "@podium-router/core";
import type { CliIo } from "../cli-io.js";
import { exitCodes } from "../exit-codes.js";
import type { ServeFlags } from "../parse-args.js";
import { startRouter } from "../runtime.js";
import { waitForShutdown } from "../wait-for-shutdown.js";

/**
 * `podium-router serve`: the router from the settings file (and PODIUM_ROUTER_* overrides), with --port
 * and --host over the file's `server` section. JSON logs on stdout; stops cleanly on SIGINT/SIGTERM.
 */
export async function serveCommand(io: CliIo, flags: ServeFlags): Promise<number> {
  const { settings, originOf, baseDir, path } = await loadSettings({ path: flags.settings, env: io.env, cwd: io.cwd });
  const serverOverrides = { ...(flags.port !== undefined ? { port: flags.port } : {}), ...(flags.host !== undefined ? { host: flags.host } : {}) };
  const running = await startRouter({ settings, originOf, baseDir, settingsFile: path, serverOverrides, logTo: io.stdout, env: io.env });
  // logrotate's postrotate sends SIGHUP: reopen the audit log at its path.
  const onHangup = (): void => void running.router.reopenAudit?.().catch((err: unknown) => io.stderr.write(`podium-router: audit log reopen failed: ${(err as Error).message}\n`));
  process.on("SIGHUP", onHangup);
  try {
    await waitForShutdown(io.shutdown);
  } finally {
    process.off("SIGHUP", onHangup);
    await running.close();
  }
  return exitCodes.ok;
}

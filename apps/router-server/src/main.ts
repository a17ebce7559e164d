/**
 * The router's process entry point: reads settings (file + PODIUM_ROUTER_* environment), listens,
 * and on SIGTERM or SIGINT stops accepting, lets in-flight calls finish, flushes the audit log and
 * exits 0. Everything else lives in modules so tests and the CLI need no process.
 */
import { closeOnSignal } from "./close-on-signal.js";
import { handleHangups } from "./hangup.js";
import { readApiKeys, startRouterServer } from "./start-router-server.js";

try {
  const { server, logger, router } = await startRouterServer();
  closeOnSignal(server, logger);
  // SIGHUP: reopen the audit log (logrotate) and reload the API keys from the same settings.
  handleHangups({ router, server, logger, readApiKeys: () => readApiKeys() });
} catch (err) {
  // Core errors carry an operator-facing message (never a secret); anything else is a bug.
  process.stderr.write(`podium-router: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

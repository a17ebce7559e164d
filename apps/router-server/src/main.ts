/**
 * The router's process entry point: reads settings (file + PODIUM_ROUTER_* environment), listens,
 * and on SIGTERM or SIGINT stops accepting, lets in-flight calls finish, flushes the audit log and
 * exits 0. Everything else lives in createRouterServer so tests and the CLI need no process.
 */
import { startRouterServer } from "./start-router-server.js";

async function main(): Promise<void> {
  const { server, logger } = await startRouterServer();
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight calls");
    server.close().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  // Core errors carry an operator-facing message (never a secret); anything else is a bug.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`podium-router: ${message}\n`);
  process.exit(1);
});

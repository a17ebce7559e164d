import type { Logger } from "pino";
import type { RouterServer } from "./router-server.js";

/** The part of `process` that delivers signals; tests pass an EventEmitter. */
export interface SignalSource {
  once(event: "SIGTERM" | "SIGINT", listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of {@link closeOnSignal}. */
export interface CloseOnSignalOptions {
  /** @default process */
  signals?: SignalSource | undefined;
  /** @default process.exit */
  exit?: ((code: number) => void) | undefined;
}

/**
 * On the first SIGTERM or SIGINT: stop accepting, let in-flight calls finish, close the router (which
 * flushes the audit log), then exit 0 (1 if closing failed). A second signal while closing is ignored:
 * the grace period (server.shutdown_grace_ms) already bounds how long this takes.
 */
export function closeOnSignal(server: RouterServer, logger: Logger, opts: CloseOnSignalOptions = {}): void {
  const signals = opts.signals ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down: finishing in-flight calls");
    server.close().then(
      () => {
        logger.flush();
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        logger.flush();
        exit(1);
      },
    );
  };
  signals.once("SIGTERM", onSignal);
  signals.once("SIGINT", onSignal);
}

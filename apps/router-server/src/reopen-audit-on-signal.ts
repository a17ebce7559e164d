import type { LocationRouter } from "@podium-router/core";
import type { Logger } from "pino";

/** The part of `process` that delivers SIGHUP; tests pass an EventEmitter. */
export interface HangupSource {
  on(event: "SIGHUP", listener: () => void): unknown;
}

/**
 * Reopens the audit log on every SIGHUP, as logrotate's `postrotate` expects (the writer also notices a
 * rotated or truncated file on its own; the signal makes the switch immediate).
 */
export function reopenAuditOnSignal(router: LocationRouter, logger: Logger, signals: HangupSource = process): void {
  signals.on("SIGHUP", () => {
    router.reopenAudit?.().then(
      () => logger.info({}, "audit log reopened (SIGHUP)"),
      (err: unknown) => logger.error({ err }, "audit log reopen failed"),
    );
  });
}

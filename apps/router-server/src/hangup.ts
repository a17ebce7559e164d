import type { LocationRouter } from "@podium-router/core";
import type { Logger } from "pino";
import type { RouterServer } from "./router-server.js";
import type { ApiKeyGrant } from "./server-settings.js";

/** The part of `process` that delivers SIGHUP; tests pass an EventEmitter. */
export interface HangupSource {
  on(event: "SIGHUP", listener: () => void): unknown;
  off(event: "SIGHUP", listener: () => void): unknown;
}

/** What a SIGHUP acts on. */
export interface HangupDeps {
  /** Its audit log is reopened at its path (logrotate's `postrotate`). */
  router: Pick<LocationRouter, "reopenAudit">;
  logger: Logger;
  /** With `readApiKeys`: the server whose API keys are replaced. */
  server?: Pick<RouterServer, "setApiKeys" | "apiKeyNames"> | undefined;
  /**
   * Reads and validates the API keys again (the settings file and environment, as at start). Throwing keeps the
   * keys in force. Without it a SIGHUP only reopens the audit log.
   */
  readApiKeys?: (() => Promise<readonly ApiKeyGrant[]>) | undefined;
}

/**
 * What one SIGHUP does: reopen the audit log, and re-read the API keys. The keys are replaced only once the whole
 * `server.api_keys` list has been read and validated, in one swap; a file that does not parse or validate keeps
 * the previous keys and logs why (the message names the key and the rule, never a key or its hash). Names of
 * added and removed keys are logged, never their hashes.
 */
export async function onHangup(deps: HangupDeps): Promise<void> {
  const { router, logger, server, readApiKeys } = deps;
  const reopened = router.reopenAudit?.().then(
    () => logger.info({}, "audit log reopened (SIGHUP)"),
    (err: unknown) => logger.error({ err }, "audit log reopen failed"),
  );
  if (server !== undefined && readApiKeys !== undefined) {
    const before = server.apiKeyNames();
    try {
      const grants = await readApiKeys();
      server.setApiKeys(grants);
      const after = grants.map((g) => g.name);
      logger.info(
        { api_keys: after.length, added: after.filter((n) => !before.includes(n)), removed: before.filter((n) => !after.includes(n)) },
        "API keys reloaded (SIGHUP)",
      );
    } catch (err) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err), api_keys: before.length },
        "API keys NOT reloaded (SIGHUP): the settings could not be read or are invalid; the previous keys stay in force",
      );
    }
  }
  await reopened;
}

/** Runs `onHangup` on every SIGHUP, one at a time (a second signal waits for the first). Returns the unsubscribe. */
export function handleHangups(deps: HangupDeps, signals: HangupSource = process): () => void {
  let chain: Promise<void> = Promise.resolve();
  const listener = (): void => {
    chain = chain.then(() => onHangup(deps));
  };
  signals.on("SIGHUP", listener);
  return () => void signals.off("SIGHUP", listener);
}

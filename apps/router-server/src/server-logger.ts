import { storageLocations, type Settings } from "@podium-router/core";
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from "pino";
import { logRedaction } from "./log-redaction.js";

/** Options of {@link createServerLogger}. */
export interface ServerLoggerOptions {
  /**
   * Lowest level written.
   * @default "info"
   */
  level?: string | undefined;
  /**
   * Where the JSON lines go; tests pass a sink they can parse.
   * @default stdout
   */
  destination?: DestinationStream | undefined;
}

/**
 * The server's root pino logger: JSON lines, ISO timestamps, level names instead of numbers, and the
 * redaction paths of log-redaction.ts. main.ts creates one; requests log through children of it.
 */
export function createServerLogger(options: ServerLoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? "info",
    base: { service: "podium-router" },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { ...logRedaction, paths: [...logRedaction.paths] },
  };
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}

/**
 * One line at start-up saying which settings file was read and where the state lives (the audit log and its
 * index, the credential store, consent refresh tokens), every path absolute, so an operator never has to guess
 * which directory a relative path ended up in.
 */
export function logStorage(logger: Logger, settings: Settings, settingsFile: string | undefined): void {
  logger.info({ settings_file: settingsFile ?? "(none: defaults)", ...storageLocations(settings) }, "settings loaded; state is kept here");
}

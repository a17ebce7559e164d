/**
 * The logging surface the core needs: a subset of pino's, so the server passes its pino logger and
 * tests pass nothing. Log objects use snake_case keys like the audit lines; never a secret.
 */
export interface CoreLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** The default when no logger is given: the core never writes to stdout on its own. */
export const noopLogger: CoreLogger = { info() {}, warn() {}, error() {} };

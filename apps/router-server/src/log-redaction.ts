/**
 * The one place that says what pino must never print. Every logger the server creates uses these
 * paths; `log-redaction.spec.ts` parses real log lines and proves no secret value survives.
 */

/**
 * Paths pino replaces with {@link logRedactCensor}. Secrets (bearer headers, OAuth tokens, client
 * secrets, API keys) and bodies (which may hold PII) are covered at the top level and one level down,
 * the two shapes the server and the core log; fast-redact has no recursive wildcard.
 */
export const logRedactPaths: readonly string[] = Object.freeze(
  [
    "authorization",
    "headers.authorization",
    "headers.cookie",
    "req.headers.authorization",
    "req.headers.cookie",
    "access_token",
    "accessToken",
    "refresh_token",
    "refreshToken",
    "client_secret",
    "clientSecret",
    "api_key",
    "apiKey",
    "token",
    "password",
    "body",
    "request_body",
    "response_body",
  ].flatMap((path) => (path.includes(".") ? [path] : [path, `*.${path}`])),
);

/** What a redacted value is replaced with. */
export const logRedactCensor = "[Redacted]";

/** pino's `redact` option built from the paths above. */
export const logRedaction = Object.freeze({ paths: [...logRedactPaths], censor: logRedactCensor });

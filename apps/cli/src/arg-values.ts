import { isOAuthAppName, isRequestId, OAUTH_APP_NAME_RULE } from "@podium-router/core/ids";
import type { OptionValues } from "./command-options.js";

/** Thrown by the value checks below and the per-command builders; parseArgs turns it into `{ ok: false }`. */
export class ArgError extends Error {}

const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/** The string value of `--key`, or undefined when absent; an empty value is refused. */
export function optionalString(v: OptionValues, key: string): string | undefined {
  const value = v[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new ArgError(`--${key} needs a value`);
  return value;
}

/** The string value of a required `--key`. */
export function required(v: OptionValues, key: string): string {
  const value = optionalString(v, key);
  if (value === undefined) throw new ArgError(`missing --${key}`);
  return value;
}

/** The value of `--key` when it is one of `allowed`. */
export function oneOf<T extends string>(v: OptionValues, key: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(v, key);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ArgError(`--${key} must be one of ${allowed.join(", ")}; got "${value}"`);
  return value as T;
}

/** The value of `--key` as an integer in [min, max]. */
export function integer(v: OptionValues, key: string, min: number, max: number): number | undefined {
  const value = optionalString(v, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new ArgError(`--${key} must be an integer from ${min} to ${max}; got "${value}"`);
  return n;
}

/** The value of `--key` as epoch ms, from an ISO 8601 date or date-time. */
export function date(v: OptionValues, key: string): number | undefined {
  const value = optionalString(v, key);
  if (value === undefined) return undefined;
  // ISO 8601 only: Date.parse accepts far more ("March 7") and guesses.
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ArgError(`--${key} must be an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T09:00:00Z; got "${value}"`);
  return ms;
}

/** An HTTP method the router forwards, upper-cased. */
export function method(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!methods.includes(upper)) throw new ArgError(`${what} must be one of ${methods.join(", ")}; got "${value}"`);
  return upper;
}

/** The value of `--request-id`, checked against the router's request id rule. */
export function requestId(v: OptionValues): string | undefined {
  const value = optionalString(v, "request-id");
  if (value !== undefined && !isRequestId(value)) throw new ArgError("--request-id must be 1 to 128 characters of [A-Za-z0-9._-]");
  return value;
}

/** `--oauth-app NAME`: an app configured on the router (`oauth_apps`), never a reference or a path. */
export function oauthApp(v: OptionValues): string {
  const value = required(v, "oauth-app");
  if (!isOAuthAppName(value)) throw new ArgError(`--oauth-app must name an OAuth app configured on the router (${OAUTH_APP_NAME_RULE}), e.g. acme-dental`);
  return value;
}

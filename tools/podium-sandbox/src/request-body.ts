/**
 * Reading a v4 request body against Podium's schema. Every reader throws 400 invalid_request_values naming the
 * field, so handlers can validate the whole request before they change anything.
 */
import { PodiumHttpError } from "./podium-error.js";

/** Answer 400 invalid_request_values. */
export function invalid(message: string): never {
  throw new PodiumHttpError("invalid_request_values", message);
}

/** The body as an object; a missing body reads as `{}` (required fields are checked one by one). */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) invalid("The request body must be a JSON object");
  return body as Record<string, unknown>;
}

/** Refuse fields the schema does not list (`additionalProperties: false`). */
export function onlyFields(b: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(b)) if (!allowed.has(key)) invalid(`Unknown field: ${key}`);
}

/** A non-empty string field. */
export function str(b: Record<string, unknown>, key: string, required: true): string;
export function str(b: Record<string, unknown>, key: string, required?: false): string | undefined;
export function str(b: Record<string, unknown>, key: string, required = false): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) {
    if (required) invalid(`${key} is required`);
    return undefined;
  }
  if (typeof v !== "string" || v === "") invalid(`${key} must be a non-empty string`);
  return v;
}

/** A boolean field. */
export function bool(b: Record<string, unknown>, key: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") invalid(`${key} must be a boolean`);
  return v;
}

/** An integer field within bounds. */
export function int(b: Record<string, unknown>, key: string, required: boolean, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) {
    if (required) invalid(`${key} is required`);
    return undefined;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) invalid(`${key} must be an integer between ${min} and ${max}`);
  return v;
}

/** A string field restricted to an enum. */
export function oneOf<T extends string>(b: Record<string, unknown>, key: string, values: readonly T[], required: boolean): T | undefined {
  const v = str(b, key, required as false);
  if (v !== undefined && !values.includes(v as T)) invalid(`${key} must be one of ${values.join(", ")}`);
  return v as T | undefined;
}

/** An array of non-empty strings (uids). */
export function strings(b: Record<string, unknown>, key: string, required: boolean, allowEmpty = true): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) {
    if (required) invalid(`${key} is required`);
    return undefined;
  }
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) invalid(`${key} must be an array of strings`);
  if (!allowEmpty && v.length === 0) invalid(`${key} must not be empty`);
  return v as string[];
}

/** An ISO 8601 date-time field. */
export function dateTime(b: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = str(b, key, required as false);
  if (v !== undefined && Number.isNaN(Date.parse(v))) invalid(`${key} must be an ISO 8601 date-time`);
  return v;
}

/** A messaging channel `{ type, identifier }`. */
export interface Channel {
  type: string;
  identifier: string;
}

/** A `channel` object whose type is one of `types`. */
export function channel(b: Record<string, unknown>, key: string, types: readonly string[]): Channel {
  const c = b[key];
  if (typeof c !== "object" || c === null || Array.isArray(c)) invalid(`${key} is required`);
  const o = c as Record<string, unknown>;
  const identifier = str(o, "identifier");
  if (identifier === undefined) invalid(`${key}.identifier is required`);
  if (typeof o["type"] !== "string" || !types.includes(o["type"])) invalid(`${key}.type must be ${types.join(" or ")}`);
  return { type: o["type"], identifier };
}

/** The channel type Podium infers from an identifier (email or phone). */
export function channelFor(identifier: string): Channel {
  return { type: identifier.includes("@") ? "email" : "phone", identifier };
}

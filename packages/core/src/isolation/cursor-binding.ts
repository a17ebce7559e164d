/**
 * Paging cursors bound to the location that listed them. Podium ignores a list's filters when a cursor is given
 * (podium-api.md), so a cursor from another location's listing would page through that location's items. The
 * router hands out its own cursor instead: Podium's cursor, plus an HMAC-SHA256 over it, the routed location and
 * the route, under `isolation.cursor_key`. A cursor without a valid HMAC for this location and route is refused.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "prc1.";
const MAC_BYTES = 16;
/** Longest Podium cursor the router wraps; longer ones are refused rather than carried. */
export const MAX_CURSOR_LENGTH = 1024;

export interface CursorBinder {
  /** The router's cursor for Podium's `cursor`, listed by `locationUid` on `route`. */
  bind(locationUid: string, route: string, cursor: string): string;
  /** Podium's cursor inside a router cursor, or undefined when it is not one this key bound to this location and route. */
  unbind(locationUid: string, route: string, cursor: string): string | undefined;
}

/** A binder under `key` (at least 32 bytes; see resolveCursorKey). */
export function createCursorBinder(key: Buffer): CursorBinder {
  const mac = (locationUid: string, route: string, cursor: string): Buffer =>
    createHmac("sha256", key).update(`${locationUid}\u0000${route}\u0000${cursor}`).digest().subarray(0, MAC_BYTES);
  return {
    bind(locationUid, route, cursor) {
      return `${PREFIX}${Buffer.from(cursor, "utf8").toString("base64url")}.${mac(locationUid, route, cursor).toString("base64url")}`;
    },
    unbind(locationUid, route, value) {
      if (value.length > MAX_CURSOR_LENGTH * 2 || !value.startsWith(PREFIX)) return undefined;
      const dot = value.indexOf(".", PREFIX.length);
      if (dot === -1) return undefined;
      const payload = value.slice(PREFIX.length, dot);
      const macText = value.slice(dot + 1);
      const cursor = Buffer.from(payload, "base64url").toString("utf8");
      const given = Buffer.from(macText, "base64url");
      // Only the canonical spelling: base64url's last character has spare bits a decoder ignores, so two texts
      // can decode to one MAC; a cursor is accepted exactly as the router wrote it.
      if (given.length !== MAC_BYTES || given.toString("base64url") !== macText || Buffer.from(cursor, "utf8").toString("base64url") !== payload) return undefined;
      return timingSafeEqual(given, mac(locationUid, route, cursor)) ? cursor : undefined;
    },
  };
}

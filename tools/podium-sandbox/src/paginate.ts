import { PodiumHttpError } from "./podium-error.js";
import { PODIUM_VERSION, type SandboxState } from "./sandbox-state.js";

/** Podium's documented page-size bounds (podium-api.md §3). */
export const DEFAULT_PAGE_LIMIT = 10;
export const MAX_PAGE_LIMIT = 100;

/** Where a page starts, how long it is, and the filters of the first request (a cursor carries them). */
export interface PageRequest {
  offset: number;
  limit: number;
  filters: Record<string, string>;
}

interface CursorPayload {
  k: string;
  o: number;
  l: number;
  f: Record<string, string>;
}

function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

function decodeCursor(cursor: string, kind: string): CursorPayload {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    p = undefined;
  }
  const c = p as Partial<CursorPayload> | undefined;
  const valid =
    typeof c === "object" && c !== null && c.k === kind && Number.isInteger(c.o) && (c.o as number) >= 0 &&
    Number.isInteger(c.l) && (c.l as number) >= 1 && (c.l as number) <= MAX_PAGE_LIMIT && typeof c.f === "object" && c.f !== null;
  if (!valid) throw new PodiumHttpError("invalid_cursor", "The cursor is invalid or expired. Try making the request again without the cursor");
  return c as CursorPayload;
}

/**
 * Read `cursor`/`limit` and the named filters from a query. With a cursor and `cursorIgnoresFilters` (Podium's
 * documented behaviour) every other parameter is ignored and the cursor's own limit and filters apply; without
 * it, parameters present in the query override the cursor's.
 */
export function readPageRequest(query: URLSearchParams, kind: string, filterNames: readonly string[], cursorIgnoresFilters = true): PageRequest {
  const cursor = query.get("cursor");
  if (cursor !== null && cursor !== "") {
    const c = decodeCursor(cursor, kind);
    if (cursorIgnoresFilters) return { offset: c.o, limit: c.l, filters: c.f };
    const fresh = readFilters(query, filterNames);
    return { offset: c.o, limit: query.has("limit") ? readLimit(query) : c.l, filters: { ...c.f, ...fresh } };
  }
  return { offset: 0, limit: readLimit(query), filters: readFilters(query, filterNames) };
}

function readLimit(query: URLSearchParams): number {
  const raw = query.get("limit");
  if (raw === null) return DEFAULT_PAGE_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
    throw new PodiumHttpError("invalid_request_values", `limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

function readFilters(query: URLSearchParams, filterNames: readonly string[]): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const name of filterNames) {
    const values = [...query.getAll(name), ...query.getAll(`${name}[]`)];
    if (values.length > 0) filters[name] = values.join(",");
  }
  return filters;
}

/**
 * The list envelope `{data, metadata:{nextCursor, previousCursor, totalItems, url, version}}` of one page;
 * `onItem` sees each item the page returns (the ledger records them).
 */
export function pageEnvelope<T>(state: SandboxState, path: string, kind: string, items: readonly T[], page: PageRequest, toJson: (item: T) => unknown, onItem?: (item: T) => void): unknown {
  const slice = items.slice(page.offset, page.offset + page.limit);
  const next = page.offset + page.limit < items.length ? encodeCursor({ k: kind, o: page.offset + page.limit, l: page.limit, f: page.filters }) : null;
  const previous = page.offset > 0 ? encodeCursor({ k: kind, o: Math.max(0, page.offset - page.limit), l: page.limit, f: page.filters }) : null;
  const data = new Array<unknown>(slice.length);
  for (let i = 0; i < slice.length; i++) {
    const item = slice[i] as T;
    data[i] = toJson(item);
    if (onItem !== undefined) onItem(item);
  }
  return {
    data,
    metadata: { nextCursor: next, previousCursor: previous, totalItems: items.length, url: `${state.baseUrl}${path}`, version: PODIUM_VERSION },
  };
}

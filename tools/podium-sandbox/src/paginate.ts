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
 * Read `cursor`/`limit` and the named filters from a query. With a cursor every other parameter is ignored,
 * as Podium documents; the cursor carries the first request's limit and filters.
 */
export function readPageRequest(query: URLSearchParams, kind: string, filterNames: readonly string[]): PageRequest {
  const cursor = query.get("cursor");
  if (cursor !== null && cursor !== "") {
    const c = decodeCursor(cursor, kind);
    return { offset: c.o, limit: c.l, filters: c.f };
  }
  let limit = DEFAULT_PAGE_LIMIT;
  const raw = query.get("limit");
  if (raw !== null) {
    limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
      throw new PodiumHttpError("invalid_request_values", `limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`);
    }
  }
  const filters: Record<string, string> = {};
  for (const name of filterNames) {
    const values = [...query.getAll(name), ...query.getAll(`${name}[]`)];
    if (values.length > 0) filters[name] = values.join(",");
  }
  return { offset: 0, limit, filters };
}

/** The list envelope `{data, metadata:{nextCursor, previousCursor, totalItems, url, version}}` of one page. */
export function pageEnvelope<T>(state: SandboxState, path: string, kind: string, items: readonly T[], page: PageRequest, toJson: (item: T) => unknown): unknown {
  const slice = items.slice(page.offset, page.offset + page.limit);
  const next = page.offset + page.limit < items.length ? encodeCursor({ k: kind, o: page.offset + page.limit, l: page.limit, f: page.filters }) : null;
  const previous = page.offset > 0 ? encodeCursor({ k: kind, o: Math.max(0, page.offset - page.limit), l: page.limit, f: page.filters }) : null;
  return {
    data: slice.map(toJson),
    metadata: { nextCursor: next, previousCursor: previous, totalItems: items.length, url: `${state.baseUrl}${path}`, version: PODIUM_VERSION },
  };
}

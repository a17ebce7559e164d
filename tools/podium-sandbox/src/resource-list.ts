/**
 * The shape every v4 list shares: read the page request (cursor, limit, filters) under the run-time switches,
 * work out which locations are in scope, answer the page and record each returned item in the ledger.
 */
import type { Reply } from "./http-io.js";
import { pageEnvelope, readPageRequest } from "./paginate.js";
import { invalid } from "./request-body.js";
import { recordRead } from "./resource-access.js";
import type { ResourceKind, ResourceRef } from "./resource-store.js";
import type { GrantState } from "./sandbox-model.js";
import type { SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

/** The query parameters through which Podium's lists name locations. */
export const LOCATION_FILTERS: readonly string[] = ["locationUid", "locationUids"];

/** How one list operation reads and answers. */
export interface ListSpec<T> {
  /** The cursor's tag; a cursor of another list is refused as invalid_cursor. */
  cursor: string;
  /** Query parameters read besides cursor and limit (a cursor carries them to the next page). */
  filters: readonly string[];
  /** The ledger kind of each item. */
  kind: ResourceKind;
  /** The items in answer order, given the page's filters and the locations in scope. */
  items(filters: Record<string, string>, scope: readonly string[]): readonly T[];
  toJson(item: T): unknown;
  /** The ledger ref of an item; the item itself by default. */
  ref?(item: T): ResourceRef;
}

/** Answer one page of a list and record every item on it as read. */
export function listReply<T>(state: SandboxState, req: V4Request, spec: ListSpec<T>): Reply {
  const page = readPageRequest(req.query, spec.cursor, spec.filters, state.faults.cursorIgnoresFilters);
  const items = spec.items(page.filters, locationScope(state, req.grant, page.filters));
  const ref = spec.ref ?? ((item: T) => item as unknown as ResourceRef);
  const record = (item: T): void => recordRead(req, spec.kind, ref(item));
  return { status: 200, body: pageEnvelope(state, req.path, spec.cursor, items, page, spec.toJson, record) };
}

/**
 * The locations a list may return items of: those its location filters name (when `listFilters` is
 * `honoured`), else all of the grant's; never outside the grant (a cursor's filters were not checked against
 * it), never a deleted location.
 */
export function locationScope(state: SandboxState, grant: GrantState, filters: Record<string, string>): readonly string[] {
  let scope: readonly string[] = grant.locationUids;
  if (state.faults.listFilters === "honoured") {
    const named: string[] = [];
    for (const name of LOCATION_FILTERS) {
      const v = filters[name];
      if (v !== undefined) for (const uid of v.split(",")) if (uid !== "") named.push(uid.trim());
    }
    if (named.length > 0) scope = named.filter((uid) => grant.locationSet.has(uid));
  }
  if (state.deleted.size > 0) scope = scope.filter((uid) => !state.deleted.has(uid));
  return scope;
}

/** The deep-object parameters of a date-range filter (`createdAt[gte]=…`), to list among a spec's filters. */
export function dateRangeParams(name: string): string[] {
  return [`${name}[gt]`, `${name}[gte]`, `${name}[lt]`, `${name}[lte]`];
}

/** A predicate for a date-range filter, or undefined when the query sets none; 400 for a bad date. */
export function dateRange(filters: Record<string, string>, name: string): ((iso: string | null) => boolean) | undefined {
  const bound = (op: string): number | undefined => {
    const raw = filters[`${name}[${op}]`];
    if (raw === undefined) return undefined;
    const t = Date.parse(raw);
    if (Number.isNaN(t)) invalid(`${name}[${op}] must be an ISO 8601 date-time`);
    return t;
  };
  const gt = bound("gt");
  const gte = bound("gte");
  const lt = bound("lt");
  const lte = bound("lte");
  if (gt === undefined && gte === undefined && lt === undefined && lte === undefined) return undefined;
  return (iso) => {
    if (iso === null) return false;
    const t = Date.parse(iso);
    return (gt === undefined || t > gt) && (gte === undefined || t >= gte) && (lt === undefined || t < lt) && (lte === undefined || t <= lte);
  };
}

/** Newest first by `createdAt` (Podium's documented order for reviews, invites and feedback). */
export function newestFirst<T extends { createdAt: string; seq: number }>(items: T[]): T[] {
  return items.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.seq - a.seq));
}

/**
 * What isolation asks of one guarded call before anything is sent: its class under the policy table, the
 * organization grant an organization-level call needs, the query rewritten (the routed location as the list's
 * filter, the router's bound cursor swapped for Podium's), and the resource whose owners must be resolved.
 */
import { BadRequestError, InternalError, PermissionDeniedError, type CoreErrorContext } from "@podium-router/errors";
import type { CursorBinder } from "./cursor-binding.js";
import type { GuardedRequest } from "./location-guard.js";
import { decodeSegment } from "./path-check.js";
import { policyOf, type IsolationClass, type OperationPolicy, type OwnerLookup } from "./operation-policy.js";

/** The routed location, as isolation needs it. */
export interface IsolationTarget {
  locationUid: string;
  organizationUid: string | undefined;
  orgSlug: string;
  /** The caller holds an organization grant for the location's org slug. */
  organizationGranted: boolean;
  requestId: string;
}

export interface IsolationPlan {
  /** The class the call is checked as (a location-named create can be organization-level by its body). */
  class: IsolationClass;
  policy: OperationPolicy;
  /** The query to send: `?…` or "". */
  search: string;
  /** owned: the resource whose owners decide, its id decoded. */
  owner?: { lookup: OwnerLookup; id: string } | undefined;
}

/** Plans the isolation of a guarded call; throws the refusal when the call may not go on. */
export function planIsolation(req: GuardedRequest, target: IsolationTarget, cursors: CursorBinder): IsolationPlan {
  const ctx: CoreErrorContext = { locationUid: target.locationUid, requestId: target.requestId };
  const policy = policyOf(req.operation);
  if (policy === undefined) throw new InternalError(ctx, `${req.method} ${req.route} has no isolation policy`);
  const cls: IsolationClass = policy.organizationWhen?.(req.parsed) ? "organization" : policy.class;
  if (cls === "organization" && !target.organizationGranted) {
    throw new PermissionDeniedError(
      ctx,
      `${req.operation.method} ${req.route} reaches the whole organization; it needs an organization grant for ${target.orgSlug} on the caller's API key (server.api_keys[].organizations)`,
    );
  }
  let search = req.search === "" ? "" : swapCursor(req.search, target, req.route, cursors, ctx);
  if (cls === "list" && policy.filter !== undefined && !namesParam(search, policy.filter)) {
    search = `${search === "" ? "?" : `${search}&`}${policy.filter}=${encodeURIComponent(target.locationUid)}`;
  }
  if (cls !== "owned") return { class: cls, policy, search };
  const lookup = policy.owner as OwnerLookup;
  const id = decodeSegment(req.params[lookup.param] ?? "", (detail) => {
    throw new BadRequestError(ctx, detail);
  });
  return { class: cls, policy, search, owner: { lookup, id } };
}

/** Whether the query has a parameter named `name` (or `name[]`). */
function namesParam(search: string, name: string): boolean {
  for (const key of new URLSearchParams(search).keys()) if (key === name || key === `${name}[]`) return true;
  return false;
}

/**
 * Replaces the router's cursor in the query with Podium's, after checking it was bound to this location and
 * route. A cursor the router did not issue for them (Podium's own, another location's, a tampered one) is refused.
 */
function swapCursor(search: string, target: IsolationTarget, route: string, cursors: CursorBinder, ctx: CoreErrorContext): string {
  const parts = search.slice(1).split("&");
  let seen = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf("=");
    const name = safeDecode(eq === -1 ? part : part.slice(0, eq));
    if (name !== "cursor") continue;
    if (seen) throw new BadRequestError(ctx, "query names cursor twice");
    seen = true;
    const value = safeDecode(eq === -1 ? "" : part.slice(eq + 1));
    if (value === "") continue;
    const podiumCursor = value === undefined ? undefined : cursors.unbind(target.locationUid, route, value);
    if (podiumCursor === undefined) {
      throw new BadRequestError(ctx, "cursor was not issued by this router for this location's listing of this route; start the listing again without a cursor");
    }
    parts[i] = `cursor=${encodeURIComponent(podiumCursor)}`;
  }
  return seen ? `?${parts.join("&")}` : search;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

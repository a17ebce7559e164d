/**
 * Podium's answer, checked before the caller sees it: a single object naming another location (or another
 * organization) is refused, a list keeps only the routed location's items, and paging cursors are swapped for the
 * router's, bound to the location and the route (cursor-binding.ts).
 */
import { ResourceNotOwnedError, UpstreamUnavailableError } from "@podium-router/errors";
import type { CursorBinder } from "./cursor-binding.js";
import type { IsolationPlan, IsolationTarget } from "./isolation-plan.js";
import { ownersOf, type OwnerView } from "./owners-of.js";

/** What the answer check needs of the call. */
export interface AnswerCall {
  route: string;
  plan: IsolationPlan;
}

/**
 * Returns the body to pass on: unchanged when nothing needed rewriting, else re-serialised without the items of
 * other locations and with bound cursors. Throws ResourceNotOwnedError for an object of another location.
 */
export function checkAnswer(body: string, call: AnswerCall, target: IsolationTarget, cursors: CursorBinder): string {
  const { plan } = call;
  const isList = plan.class === "list";
  let parsed: unknown;
  try {
    parsed = body === "" ? undefined : JSON.parse(body);
  } catch {
    // Nothing can be proven of an answer that cannot be read: a list is never passed unread.
    if (isList) throw new UpstreamUnavailableError({ locationUid: target.locationUid, requestId: target.requestId }, "Podium's list answer is not JSON; it was not passed on");
    return body;
  }
  if (typeof parsed !== "object" || parsed === null) return body;
  const envelope = parsed as { data?: unknown; metadata?: Record<string, unknown> };
  const data = envelope.data;
  const itemIsLocation = plan.policy.itemIsLocation === true;
  const orgWide = plan.class === "organization";
  let changed = false;
  if (Array.isArray(data)) {
    const kept = orgWide ? data.filter((item) => sameOrganization(ownersOf(item), target)) : data.filter((item) => mayPass(ownersOf(item, itemIsLocation), target));
    if (kept.length !== data.length) {
      envelope.data = kept;
      changed = true;
    }
    const meta = envelope.metadata;
    if (typeof meta === "object" && meta !== null) {
      for (const key of ["nextCursor", "previousCursor"]) {
        const c = meta[key];
        if (typeof c === "string" && c !== "") {
          meta[key] = cursors.bind(target.locationUid, call.route, c);
          changed = true;
        }
      }
      // A count of the whole organization's items says how many other locations hold.
      if (isList && !orgWide && meta["totalItems"] !== undefined && meta["totalItems"] !== null) {
        meta["totalItems"] = null;
        changed = true;
      }
    }
  } else if (typeof data === "object" && data !== null) {
    const view = ownersOf(data, itemIsLocation);
    const ok = orgWide ? sameOrganization(view, target) : view.kind !== "locations" ? sameOrganization(view, target) : mayPass(view, target);
    if (!ok) {
      throw new ResourceNotOwnedError(
        { locationUid: target.locationUid, requestId: target.requestId },
        `Podium's answer names another location than ${target.locationUid}; it was not passed on`,
      );
    }
  }
  return changed ? JSON.stringify(envelope) : body;
}

/** An item the routed location may see: one it is among the owners of, or (with an organization grant) an organization-level one. */
function mayPass(view: OwnerView, target: IsolationTarget): boolean {
  if (!sameOrganization(view, target)) return false;
  if (view.kind === "locations") return view.uids.includes(target.locationUid);
  if (view.kind === "organization") return target.organizationGranted;
  // An item that names no location cannot be proven to be the routed location's.
  return false;
}

function sameOrganization(view: OwnerView, target: IsolationTarget): boolean {
  if (view.kind === "none" || view.organizationUid === undefined || target.organizationUid === undefined) return true;
  return view.organizationUid === target.organizationUid;
}

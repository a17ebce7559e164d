/**
 * How handlers find resources by id and record what a request did to them: one `ResourceAccess` in the
 * request's ledger entry per resource returned or changed, and one `ResourceChange` event per write.
 */
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { sameOwners, type ResourceKind, type ResourceRef, type ResourceStore, type StoredResource } from "./resource-store.js";
import type { GrantState } from "./sandbox-model.js";
import type { SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** What a request did to one resource. */
export type AccessType = "read" | "create" | "update" | "delete";

/** One resource a request touched, as the ledger records it (`LedgerEntry.resources`). */
export interface ResourceAccess {
  kind: ResourceKind;
  /** The resource's uid (a location uid for `review_summary`, a site name for `review_site_summary`). */
  id: string;
  access: AccessType;
  /**
   * Location uids owning the resource before the request ([] for an organization-level resource). For a
   * `create`, the owners it was created with.
   */
  owners: readonly string[];
  /** Present when a write changed the owners: the owners after it. */
  ownersAfter?: readonly string[];
  organizationUid: string;
}

/** A write, as the internal change hook reports it (the seam for a later webhook emitter). */
export interface ResourceChange {
  kind: ResourceKind;
  action: "created" | "updated" | "deleted";
  id: string;
  organizationUid: string;
  /** Owners before the write (for `created`, the owners it was created with). */
  owners: readonly string[];
  /** Owners after the write ([] after a delete). */
  ownersAfter: readonly string[];
  /** Podium's JSON of the resource: after the write, or as it was for a delete. */
  data: unknown;
  /** The operation that wrote, e.g. `POST /v4/contacts`. */
  operation: string;
  grantId: string;
  /** ISO 8601 UTC. */
  at: string;
}

/** A listener for `ResourceChange` events; it must not throw (errors are dropped). */
export type ResourceChangeListener = (change: ResourceChange) => void;

/** The part of a request that recording needs. */
export interface AccessContext {
  method: string;
  route: { template: string };
  grant: GrantState;
  resources: ResourceAccess[];
}

/** A frozen empty list: the `resources` of requests that touched nothing. */
export const NO_RESOURCES: ResourceAccess[] = Object.freeze([]) as unknown as ResourceAccess[];

/** Whether a grant reaches a resource: it is organization-level, or one of its owners is in the grant. */
export function grantReaches(grant: GrantState, owners: readonly string[]): boolean {
  if (owners.length === 0) return true;
  for (const uid of owners) if (grant.locationSet.has(uid)) return true;
  return false;
}

/**
 * Whether a resource of the caller's organization is addressable by the caller. Ids of other organizations are
 * never found, nor resources whose every owner is a deleted location; with `foreignResourceIds: "rejected"`
 * neither is a resource none of whose owners is in the grant.
 */
export function addressable(state: SandboxState, grant: GrantState, rec: ResourceRef | undefined): boolean {
  if (rec === undefined || rec.organizationUid !== grant.organizationUid) return false;
  // A resource of deleted locations only is gone with them (`deletedLocations` fault).
  if (state.deleted.size > 0 && rec.owners.length > 0 && rec.owners.every((uid) => state.deleted.has(uid))) return false;
  return state.faults.foreignResourceIds === "allowed" || grantReaches(grant, rec.owners);
}

/** Find a resource by id or answer 404 resource_not_found (unknown, another organization's, or refused). */
export function findResource<R extends StoredResource>(state: SandboxState, grant: GrantState, store: ResourceStore<R>, uid: string | undefined, what: string): R {
  const rec = uid === undefined ? undefined : store.get(grant.organizationUid, uid);
  if (rec === undefined || !addressable(state, grant, rec)) throw new PodiumHttpError("resource_not_found", `${what} not found`);
  return rec;
}

/** Answer one resource by id (the path's `uid` unless told), recording it as read; 404 as `findResource`. */
export function readReply<R extends StoredResource>(state: SandboxState, req: V4Request, store: ResourceStore<R>, kind: ResourceKind, what: string, toJson: (rec: R) => unknown, uid = req.params["uid"]): Reply {
  const rec = findResource(state, req.grant, store, uid, what);
  recordRead(req, kind, rec);
  return dataReply(state, req, toJson(rec));
}

/** Record that the answer returns a resource. */
export function recordRead(ctx: AccessContext, kind: ResourceKind, rec: ResourceRef): void {
  ctx.resources.push({ kind, id: rec.uid, access: "read", owners: rec.owners, organizationUid: rec.organizationUid });
}

/**
 * Record a write and report it to the change listeners. Call it after the write is done (never before a check
 * that could still refuse the request). `ownersBefore` is the resource's owners before an update or delete.
 */
export function recordWrite(state: SandboxState, ctx: AccessContext, kind: ResourceKind, rec: ResourceRef, access: Exclude<AccessType, "read">, toJson: () => unknown, ownersBefore: readonly string[] = rec.owners): void {
  const after = access === "delete" ? ownersBefore : rec.owners;
  const entry: ResourceAccess = sameOwners(ownersBefore, after)
    ? { kind, id: rec.uid, access, owners: ownersBefore, organizationUid: rec.organizationUid }
    : { kind, id: rec.uid, access, owners: ownersBefore, ownersAfter: after, organizationUid: rec.organizationUid };
  ctx.resources.push(entry);
  if (state.changeListeners.size === 0) return;
  const change: ResourceChange = {
    kind,
    action: access === "create" ? "created" : access === "update" ? "updated" : "deleted",
    id: rec.uid,
    organizationUid: rec.organizationUid,
    owners: ownersBefore,
    ownersAfter: access === "delete" ? [] : rec.owners,
    data: toJson(),
    operation: `${ctx.method} ${ctx.route.template}`,
    grantId: ctx.grant.grantId,
    at: new Date(state.now()).toISOString(),
  };
  for (const listener of state.changeListeners) {
    try {
      listener(change);
    } catch {
      // A listener's failure is its own; it must not turn a done write into an error answer.
    }
  }
}

/**
 * Ownership before a call is sent: who owns the resource an owned-class call addresses (its own GET, through
 * the location's credential and budget, cached per organization, kind and id), and whether a contact write would
 * reach another location's customer (Podium's create is an upsert on phone, email or conversation uid).
 * Refusals are ResourceNotOwnedError, naming the routed location and the resource kind, never the owner.
 */
import { BadRequestError, PermissionDeniedError, ResourceNotOwnedError, type CoreErrorContext } from "@podium-router/errors";
import type { RateBudgets } from "../budgets/index.js";
import { createLocalIdentifierLocks, ownersOf, ownershipKeyString, type IdentifierLocks, type IsolationPlan, type OwnerLookup, type OwnershipCache, type OwnershipKey, type Owners } from "../isolation/index.js";
import type { GuardedRequest, OwnerEntry } from "../isolation/index.js";
import type { UpstreamClient } from "../upstream/index.js";
import type { LiveLocation } from "./live-location.js";
import type { LiveLocations } from "./live-locations.js";
import type { CallContext } from "./location-router-api.js";
import { pauseForRateLimit, requestAsLocation } from "./location-request.js";
import { isJsonObject } from "../util/index.js";

export interface OwnershipGateDeps {
  live: LiveLocations;
  budgets: RateBudgets;
  upstream: UpstreamClient;
  cache: OwnershipCache;
  /** How long a credential's reach (its GET /v4/locations) is trusted for the upsert check (verification TTL). */
  reachTtlMs: number;
  /** Contact-identifier locks for upserting writes: this process's, or shared through Redis. @default this process's */
  locks?: IdentifierLocks | undefined;
  /** Told once per owner lookup sent to Podium (cache misses), for the bench and metrics. */
  onLookup?: (() => void) | undefined;
}

/** A card reader a payment write names, found by its own GET like the owned `GET /v4/readers/{uid}`. */
const READER: OwnerLookup = Object.freeze({ kind: "reader", param: "uid", get: "/v4/readers/{id}" });

/** The contact lookup kind: the cache key's kind for contacts by any identifier. */
const CONTACT: OwnerLookup = Object.freeze({ kind: "contact", param: "identifier", get: "/v4/contacts/{id}" });
/** The conversation lookup, for a contact write that links a conversation (the policy table's own conversation kind). */
const CONVERSATION: OwnerLookup = Object.freeze({ kind: "conversation", param: "uid", get: "/v4/conversations/{id}" });

export interface OwnershipGate {
  /** Resolves the owners of an owned-class call and refuses when the routed location may not touch it. */
  checkOwned(loc: LiveLocation, req: GuardedRequest, plan: IsolationPlan, organizationGranted: boolean, requestId: string, ctx: CallContext): Promise<void>;
  /**
   * Before a write is sent, what its body makes it touch besides its path:
   * - contact creates and upserting writes: refused when the phone, email or conversation uid is another location's
   *   contact's; the identifiers are held until the returned release is called (after Podium answered), so two such
   *   writes on one identifier run one after the other and another location's write cannot attach one to its
   *   contact between the check and the write;
   * - a card reader the write acts through (`readerUid` of an invoice or a refund) must be the routed location's, or
   *   money would move through another location's terminal.
   */
  checkWrite(loc: LiveLocation, req: GuardedRequest, requestId: string, ctx: CallContext): Promise<() => void>;
  /** After a 2xx write that deleted the resource or changed its owners: the cached owners are dropped. */
  afterWrite(loc: LiveLocation, req: GuardedRequest, plan: IsolationPlan): Promise<void>;
  /**
   * Drops what the cache holds of these resources (a Podium event said they changed) in the organization of these
   * locations: under each organization key they give (a location not verified yet in this process keys by its slug).
   */
  forget(locs: readonly LiveLocation[], entries: readonly OwnerEntry[]): Promise<void>;
}

export function createOwnershipGate(deps: OwnershipGateDeps): OwnershipGate {
  const { live, budgets, upstream, cache } = deps;
  const reach = new Map<string, { uids: ReadonlySet<string>; expiresAt: number }>();
  const locks = deps.locks ?? createLocalIdentifierLocks();

  // Podium matches a contact's email whatever its case, so the cache does too (its other identifiers are lower case).
  const keyOf = (loc: LiveLocation, kind: string, id: string) => ({ organizationUid: loc.record.organizationUid ?? `slug:${loc.record.orgSlug}`, kind, id: kind === CONTACT.kind ? id.toLowerCase() : id });

  /** The owners Podium's GET names, or "absent" for its 404 (unknown, or another organization's id). */
  async function lookup(loc: LiveLocation, owner: OwnerLookup, id: string, requestId: string, ctx: CallContext): Promise<Owners | "absent"> {
    const key = keyOf(loc, owner.kind, id);
    const cached = await cache.get(key);
    if (cached !== undefined) return cached;
    const uid = loc.record.locationUid;
    const ectx: CoreErrorContext = { locationUid: uid, requestId };
    await budgets.acquire(uid, loc.quotaGroup, { deadline: ctx.deadline, signal: ctx.signal, requestId, method: "GET" });
    const path = owner.get.replace("{id}", encodeURIComponent(id)) + (owner.locationQuery ? `?locationUid=${encodeURIComponent(uid)}` : "");
    deps.onLookup?.();
    const res = await requestAsLocation(upstream, loc, { method: "GET", path }, requestId, ctx);
    if (res.status === 404) return "absent";
    if (res.status === 429) throw pauseForRateLimit(budgets, loc, res, requestId, "Podium answered 429 to the owner lookup");
    if (res.status === 403) {
      // The location may have left its credential's scope (failure 5): that is said loudly by the re-verification.
      await live.verify(loc, requestId, true, ctx.signal);
      throw new ResourceNotOwnedError(ectx, `Podium refused the ${owner.kind} to ${uid}'s credential (403); the router cannot prove it is ${uid}'s`);
    }
    if (res.status !== 200) throw new BadRequestError({ ...ectx, upstreamStatus: res.status }, `Podium answered ${res.status} to the ${owner.kind}'s owner lookup`);
    let data: unknown;
    try {
      data = (JSON.parse(res.body) as { data?: unknown }).data;
    } catch {
      data = undefined;
    }
    const view = ownersOf(data);
    const org = loc.record.organizationUid;
    if (view.kind === "none" || (view.organizationUid !== undefined && org !== undefined && view.organizationUid !== org)) {
      throw new ResourceNotOwnedError(ectx, `the ${owner.kind}'s owner cannot be determined from Podium's answer; it is refused, not passed`);
    }
    const owners: Owners = view.kind === "locations" ? [...new Set(view.uids)] : [];
    await cache.set(key, owners);
    return owners;
  }

  /** The locations a credential reaches (its GET /v4/locations), cached per grant for the verification TTL. */
  async function reachOf(loc: LiveLocation, requestId: string, signal: AbortSignal | undefined): Promise<ReadonlySet<string>> {
    const target = loc.verifyTarget(requestId);
    const hit = reach.get(target.grantKey);
    if (hit !== undefined && hit.expiresAt > Date.now()) return hit.uids;
    const uids = new Set((await target.listLocations(signal)).keys());
    reach.set(target.grantKey, { uids, expiresAt: Date.now() + deps.reachTtlMs });
    return uids;
  }

  async function checkIdentifiers(loc: LiveLocation, req: GuardedRequest, ids: string[], requestId: string, ctx: CallContext): Promise<void> {
    const uid = loc.record.locationUid;
    const ectx: CoreErrorContext = { locationUid: uid, requestId };
    // A conversation a contact write links must be the routed location's, whether or not a contact holds it yet.
    const conversationUid = req.route === "/v4/contacts/{identifier}" ? req.parsed?.["conversationUid"] : undefined;
    if (typeof conversationUid === "string" && conversationUid !== "") {
      const owners = await lookup(loc, CONVERSATION, conversationUid, requestId, ctx);
      if (owners === "absent" || !owners.includes(uid)) throw new ResourceNotOwnedError(ectx, `the conversation this contact write links is not ${uid}'s`);
    }
    let absent = false;
    for (const id of ids) {
      const owners = await lookup(loc, CONTACT, id, requestId, ctx);
      if (owners === "absent") absent = true;
      else if (!owners.includes(uid)) throw new ResourceNotOwnedError(ectx, `a contact with this ${req.route.startsWith("/v4/messages") ? "channel" : "phone number, email or conversation uid"} belongs to another location than ${uid}; Podium would update it`);
    }
    // A 404 proves nothing when the credential does not reach every location of the organization the router
    // knows: Podium may hide another location's contact from it and still match it on create.
    if (!absent || req.route === "/v4/messages" || req.route === "/v4/messages/attachment") return;
    const reached = await reachOf(loc, requestId, ctx.signal);
    const org = loc.record.organizationUid;
    for (const other of live.values()) {
      if (other.record.organizationUid === org && org !== undefined && !reached.has(other.record.locationUid)) {
        throw new ResourceNotOwnedError(
          ectx,
          `${uid}'s credential does not reach every location of its organization, so the router cannot prove no other location's contact has this phone number or email; create the contact without them, or through a credential that reaches every location`,
        );
      }
    }
  }

  return {
    async checkOwned(loc, req, plan, organizationGranted, requestId, ctx) {
      const owner = plan.owner;
      if (owner === undefined) return;
      const uid = loc.record.locationUid;
      const ectx: CoreErrorContext = { locationUid: uid, requestId };
      const kind = owner.lookup.kind;
      const owners = await lookup(loc, owner.lookup, owner.id, requestId, ctx);
      if (owners === "absent") throw new ResourceNotOwnedError(ectx, `no ${kind} with this id belongs to ${uid} (Podium does not know it for this credential)`);
      if (plan.policy.soleOwner === true && (owners.length !== 1 || owners[0] !== uid)) {
        throw new ResourceNotOwnedError(ectx, `the ${kind} is not ${uid}'s alone; Podium would send from a location it picks among the ${kind}'s, not necessarily ${uid}`);
      }
      if (owners.length === 0) {
        if (!organizationGranted) throw new PermissionDeniedError(ectx, `the ${kind} is organization-level; it needs an organization grant for ${loc.record.orgSlug} on the caller's API key (server.api_keys[].organizations)`);
        return;
      }
      if (!owners.includes(uid)) throw new ResourceNotOwnedError(ectx, `the ${kind} does not belong to ${uid}`);
      const shared = owners.length > 1;
      if (shared && req.method === "DELETE") throw new ResourceNotOwnedError(ectx, `the ${kind} is shared with other locations; deleting it would take it from them`);
      if (shared && writesLocations(req)) throw new ResourceNotOwnedError(ectx, `the ${kind} is shared with other locations; this write would replace its locations and drop them`);
    },

    async checkWrite(loc, req, requestId, ctx) {
      const ids = upsertIdentifiers(req);
      const reader = req.parsed?.["readerUid"];
      const readerUid = typeof reader === "string" && reader !== "" ? reader : undefined;
      if (ids.length === 0 && readerUid === undefined) return NO_RELEASE;
      let release = NO_RELEASE;
      if (ids.length > 0) {
        const conversation = req.route === "/v4/contacts/{identifier}" ? req.parsed?.["conversationUid"] : undefined;
        const keys = [...ids, ...(typeof conversation === "string" ? [conversation] : [])].map((id) => ownershipKeyString(keyOf(loc, CONTACT.kind, id)));
        release = await locks.acquire(keys, { signal: ctx.signal, deadline: ctx.deadline, locationUid: loc.record.locationUid, requestId });
      }
      try {
        if (ids.length > 0) await checkIdentifiers(loc, req, ids, requestId, ctx);
        if (readerUid !== undefined) {
          const uid = loc.record.locationUid;
          const owners = await lookup(loc, READER, readerUid, requestId, ctx);
          if (owners === "absent" || !owners.includes(uid)) throw new ResourceNotOwnedError({ locationUid: uid, requestId }, `the card reader this write names is not ${uid}'s`);
        }
        return release;
      } catch (err) {
        release();
        throw err;
      }
    },

    async forget(locs, entries) {
      const keys = new Map<string, OwnershipKey>();
      for (const loc of locs) for (const e of entries) {
        const key = keyOf(loc, e.kind, e.id);
        keys.set(ownershipKeyString(key), key);
      }
      await Promise.all([...keys.values()].map((key) => cache.delete(key)));
    },

    async afterWrite(loc, req, plan) {
      // A contact write may point a phone number, email or conversation uid at another contact (Podium's upsert
      // adds them to the contact it matched): what the cache says of those identifiers no longer holds.
      for (const id of repointedIdentifiers(req)) await cache.delete(keyOf(loc, CONTACT.kind, id));
      const owner = plan.owner;
      if (owner === undefined || !(req.method === "DELETE" || writesLocations(req))) return;
      await cache.delete(keyOf(loc, owner.lookup.kind, owner.id));
    },
  };
}

const NO_RELEASE = (): void => {};

/** A PUT or PATCH whose body (after the guard's fill) sets `locations`: the resource's owners are replaced. */
function writesLocations(req: GuardedRequest): boolean {
  if (req.method !== "PUT" && req.method !== "PATCH") return false;
  if (req.parsed !== undefined && req.parsed["locations"] != null) return true;
  return req.operation.fill === "body.locations";
}

/** The contact identifiers a successful write may have attached to a contact (and so taken from another). */
function repointedIdentifiers(req: GuardedRequest): string[] {
  switch (`${req.method} ${req.route}`) {
    // The contact writes (not the message sends, which only rename): what they matched by is what they attach.
    case "POST /v4/contacts":
    case "PATCH /v4/contacts/{identifier}":
    case "POST /v4/contacts/campaigns/opt_in":
      return upsertIdentifiers(req);
    default:
      return [];
  }
}

/** The identifiers Podium matches an existing contact by, for the writes that upsert or rename one. */
function upsertIdentifiers(req: GuardedRequest): string[] {
  const b = req.parsed;
  if (b === undefined) return [];
  const pick = (...values: unknown[]): string[] => values.filter((v): v is string => typeof v === "string" && v !== "");
  const channel = channelIdentifier(b);
  switch (`${req.method} ${req.route}`) {
    case "POST /v4/contacts":
    // A PATCH adds its phone, email and conversation uid to the contact: Podium finds contacts by them.
    case "PATCH /v4/contacts/{identifier}":
      return pick(b["phoneNumber"], b["email"], b["conversationUid"]);
    case "POST /v4/contacts/campaigns/opt_in":
      return pick(channel, b["phoneNumber"]);
    case "POST /v4/messages":
      // `contactName` renames the contact with this channel, whoever's it is.
      return b["contactName"] === undefined ? [] : pick(channel);
    case "POST /v4/messages/attachment": {
      // The same send in the `data` part: its `contactName` renames the contact with that channel too.
      const data = isJsonObject(b["data"]) ? b["data"] : undefined;
      return data?.["contactName"] === undefined ? [] : pick(channelIdentifier(data));
    }
    default:
      return [];
  }
}

/** `channel.identifier` of a send's body (a phone number or email), if it names one. */
function channelIdentifier(body: Record<string, unknown>): unknown {
  const channel = body["channel"];
  return isJsonObject(channel) ? channel["identifier"] : undefined;
}

/**
 * One kind of Podium resource (reviews, invoices, webhooks …), indexed by uid, by organization and by owning
 * location, so a lookup is O(1) and a list for one location walks only that location's items.
 */

/** Every kind of resource the sandbox models; the `kind` of a ledger resource and of a change event. */
export type ResourceKind =
  | "location"
  | "organization"
  | "user"
  | "contact"
  | "contact_tag"
  | "contact_attribute"
  | "conversation"
  | "conversation_note"
  | "message"
  | "review"
  | "review_response"
  | "review_attribution"
  | "review_invite"
  | "review_summary"
  | "review_site_summary"
  | "invoice"
  | "payment"
  | "refund"
  | "reader"
  | "call"
  | "campaign"
  | "campaign_message"
  | "campaign_interaction"
  | "template"
  | "webhook"
  | "product"
  | "appointment"
  | "feedback";

/** What the ledger needs to know about a resource: its id, its organization and the locations that own it. */
export interface ResourceRef {
  readonly uid: string;
  readonly organizationUid: string;
  /**
   * Location uids owning the resource; empty for an organization-level one. Frozen and replaced on change
   * (never mutated), so ledger entries can share the array instead of copying it.
   */
  readonly owners: readonly string[];
}

/** A stored resource: a ref plus its insertion order and timestamps. */
export interface StoredResource extends ResourceRef {
  owners: readonly string[];
  /** Insertion order within its store; lists are ordered by it. */
  seq: number;
  createdAt: string;
  updatedAt: string;
}

/** The owners array of an organization-level resource. */
export const NO_OWNERS: readonly string[] = Object.freeze([]);

/** A frozen, de-duplicated owners array (the form every store keeps). */
export function ownersOf(uids: Iterable<string>): readonly string[] {
  const list = [...new Set(uids)];
  return list.length === 0 ? NO_OWNERS : Object.freeze(list);
}

/** Whether two owners arrays name the same locations in the same order. */
export function sameOwners(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((uid, i) => b[i] === uid));
}

/** The common part of a new resource record (`seq` is set when a store adds it). */
export function stored(uid: string, organizationUid: string, owners: readonly string[], at: string): StoredResource {
  return { uid, organizationUid, owners, seq: 0, createdAt: at, updatedAt: at };
}

const bySeq = (a: StoredResource, b: StoredResource): number => a.seq - b.seq;

/** The resources of one kind. */
export class ResourceStore<R extends StoredResource> {
  readonly #byUid = new Map<string, R>();
  readonly #byOrg = new Map<string, Map<string, R>>();
  readonly #byLocation = new Map<string, Map<string, R>>();
  readonly #orgLevel = new Map<string, Map<string, R>>();
  #seq = 0;

  /** How many resources the store holds. */
  get size(): number {
    return this.#byUid.size;
  }

  /** A resource of this organization; undefined when unknown or another organization's. */
  get(organizationUid: string, uid: string): R | undefined {
    const rec = this.#byUid.get(uid);
    return rec?.organizationUid === organizationUid ? rec : undefined;
  }

  /** Whether any organization holds a resource with this uid. */
  has(uid: string): boolean {
    return this.#byUid.has(uid);
  }

  /** Add a resource (its `seq` is assigned); throws when the uid is taken. */
  add(rec: R): R {
    if (this.#byUid.has(rec.uid)) throw new Error(`resource ${rec.uid} already exists`);
    rec.seq = ++this.#seq;
    this.#byUid.set(rec.uid, rec);
    bucket(this.#byOrg, rec.organizationUid).set(rec.uid, rec);
    this.#indexOwners(rec);
    return rec;
  }

  /** Replace a resource's owners, keeping the indexes right. */
  setOwners(rec: R, owners: readonly string[]): void {
    this.#unindexOwners(rec);
    rec.owners = owners;
    this.#indexOwners(rec);
  }

  /** Remove a resource. */
  remove(rec: R): void {
    if (this.#byUid.get(rec.uid) !== rec) return;
    this.#byUid.delete(rec.uid);
    this.#byOrg.get(rec.organizationUid)?.delete(rec.uid);
    this.#unindexOwners(rec);
  }

  /** Every resource of an organization, in insertion order. */
  all(organizationUid: string): R[] {
    return [...(this.#byOrg.get(organizationUid)?.values() ?? [])];
  }

  /**
   * The organization's resources owned by any of `locations` (plus organization-level ones when `orgLevel`),
   * in insertion order. One location walks only that location's index: the common, cheap case.
   */
  select(organizationUid: string, locations: readonly string[], orgLevel: boolean): R[] {
    if (locations.length === 1) {
      const own = this.#byLocation.get(locations[0] as string);
      const out: R[] = [];
      if (own !== undefined) for (const rec of own.values()) if (rec.organizationUid === organizationUid) out.push(rec);
      const shared = orgLevel ? this.#orgLevel.get(organizationUid) : undefined;
      if (shared !== undefined && shared.size > 0) out.push(...shared.values());
      // Owner changes re-append to the index, so restore insertion order.
      return out.sort(bySeq);
    }
    const wanted = new Set(locations);
    const out: R[] = [];
    for (const rec of this.#byOrg.get(organizationUid)?.values() ?? []) {
      if (rec.owners.length === 0 ? orgLevel : rec.owners.some((uid) => wanted.has(uid))) out.push(rec);
    }
    return out;
  }

  #indexOwners(rec: R): void {
    if (rec.owners.length === 0) bucket(this.#orgLevel, rec.organizationUid).set(rec.uid, rec);
    for (const uid of rec.owners) bucket(this.#byLocation, uid).set(rec.uid, rec);
  }

  #unindexOwners(rec: R): void {
    if (rec.owners.length === 0) this.#orgLevel.get(rec.organizationUid)?.delete(rec.uid);
    for (const uid of rec.owners) this.#byLocation.get(uid)?.delete(rec.uid);
  }
}

function bucket<R>(map: Map<string, Map<string, R>>, key: string): Map<string, R> {
  let m = map.get(key);
  if (m === undefined) {
    m = new Map();
    map.set(key, m);
  }
  return m;
}

import { randomUUID } from "node:crypto";

/** The write shape of a contact (POST/PATCH /v4/contacts), already validated. */
export interface ContactWrite {
  name?: string;
  phoneNumber?: string;
  email?: string;
  locations?: string[];
  address?: Record<string, unknown> | null;
  attributes?: { uid: string; value: unknown }[];
  tags?: string[];
  contactStatus?: Record<string, unknown>;
  conversationUid?: string;
}

/** A contact as the sandbox stores it (one organization's). */
interface ContactRecord {
  uid: string;
  conversationUid: string;
  organizationUid: string;
  name: string;
  emails: string[];
  phoneNumbers: string[];
  locationUids: Set<string>;
  address: Record<string, unknown> | null;
  attributes: Map<string, unknown>;
  tags: Set<string>;
  createdAt: string;
  updatedAt: string;
}

const emptyAddress = { addressLine1: null, addressLine2: null, city: null, state: null, postalCode: null, country: null };

/**
 * Contacts per organization, indexed by every identifier Podium accepts (conversation uid, E.164 phone,
 * email) plus the contact uid. Create is an upsert on phone or email, as Podium documents.
 */
export class ContactStore {
  readonly #byKey = new Map<string, ContactRecord>();
  readonly #byOrg = new Map<string, ContactRecord[]>();

  /** Find a contact by identifier within an organization. */
  find(organizationUid: string, identifier: string): ContactRecord | undefined {
    return this.#byKey.get(`${organizationUid}|${identifier.toLowerCase()}`);
  }

  /** Create or update (matched on phone or email); returns the identifier and whether it was new. */
  upsert(organizationUid: string, write: ContactWrite, now: string): { identifier: string; created: boolean } {
    const existing =
      (write.phoneNumber === undefined ? undefined : this.find(organizationUid, write.phoneNumber)) ??
      (write.email === undefined ? undefined : this.find(organizationUid, write.email)) ??
      (write.conversationUid === undefined ? undefined : this.find(organizationUid, write.conversationUid));
    if (existing !== undefined) {
      this.update(existing, write, now, true);
      return { identifier: existing.conversationUid, created: false };
    }
    const rec: ContactRecord = {
      uid: randomUUID(),
      conversationUid: randomUUID(),
      organizationUid,
      name: write.name ?? "",
      emails: [],
      phoneNumbers: [],
      locationUids: new Set(),
      address: null,
      attributes: new Map(),
      tags: new Set(),
      createdAt: now,
      updatedAt: now,
    };
    this.#index(rec, rec.uid);
    this.#index(rec, rec.conversationUid);
    const list = this.#byOrg.get(organizationUid) ?? [];
    list.push(rec);
    this.#byOrg.set(organizationUid, list);
    this.update(rec, write, now, true);
    return { identifier: rec.conversationUid, created: true };
  }

  /** Apply a write. Upserts add locations; PATCH (`merge` false) replaces them. */
  update(rec: ContactRecord, write: ContactWrite, now: string, merge: boolean): void {
    if (write.name !== undefined) rec.name = write.name;
    if (write.phoneNumber !== undefined && !rec.phoneNumbers.includes(write.phoneNumber)) {
      rec.phoneNumbers.push(write.phoneNumber);
      this.#index(rec, write.phoneNumber);
    }
    // Emails match case-insensitively (the index lower-cases keys), so BEA@x and bea@x are one address.
    if (write.email !== undefined && !rec.emails.some((e) => e.toLowerCase() === write.email?.toLowerCase())) {
      rec.emails.push(write.email);
      this.#index(rec, write.email);
    }
    if (write.locations !== undefined) {
      if (!merge) rec.locationUids.clear();
      for (const uid of write.locations) rec.locationUids.add(uid);
    }
    if (write.address !== undefined) rec.address = write.address;
    for (const a of write.attributes ?? []) rec.attributes.set(a.uid, a.value);
    for (const t of write.tags ?? []) rec.tags.add(t);
    rec.updatedAt = now;
  }

  /** Remove a contact and every identifier pointing at it. */
  delete(rec: ContactRecord): void {
    for (const key of [rec.uid, rec.conversationUid, ...rec.phoneNumbers, ...rec.emails]) {
      this.#byKey.delete(`${rec.organizationUid}|${key.toLowerCase()}`);
    }
    const list = this.#byOrg.get(rec.organizationUid) ?? [];
    list.splice(list.indexOf(rec), 1);
  }

  /** An organization's contacts whose locations intersect `visible`, oldest first. */
  list(organizationUid: string, visible: ReadonlySet<string>): ContactRecord[] {
    return (this.#byOrg.get(organizationUid) ?? []).filter((c) => isVisible(c, visible));
  }

  #index(rec: ContactRecord, key: string): void {
    this.#byKey.set(`${rec.organizationUid}|${key.toLowerCase()}`, rec);
  }
}

/** A token sees a contact when the contact belongs to at least one of the token's locations. */
export function isVisible(rec: { locationUids: ReadonlySet<string> }, visible: ReadonlySet<string>): boolean {
  for (const uid of rec.locationUids) if (visible.has(uid)) return true;
  return false;
}

/** Podium's contact object (podium-api.md §4). */
export function contactJson(rec: ContactRecord): Record<string, unknown> {
  const channel = (type: string, identifier: string): Record<string, unknown> => ({
    type,
    identifier,
    label: null,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    marketingOptedInLocationUids: [],
    transactionalOptedOutAt: null,
  });
  return {
    uid: rec.uid,
    name: rec.name,
    emails: [...rec.emails],
    phoneNumbers: [...rec.phoneNumbers],
    channels: [...rec.phoneNumbers.map((p) => channel("phone", p)), ...rec.emails.map((e) => channel("email", e))],
    locations: [...rec.locationUids].map((uid) => ({ uid })),
    organization: { uid: rec.organizationUid },
    conversations: [{ uid: rec.conversationUid }],
    tags: [...rec.tags].map((uid) => ({ uid, label: null, description: null })),
    attributes: [...rec.attributes].map(([uid, value]) => ({ uid, label: null, dataType: "text", value, ownerResource: null })),
    address: { ...emptyAddress, ...rec.address },
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
  };
}

export type { ContactRecord };

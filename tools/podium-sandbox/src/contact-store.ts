import { randomUUID } from "node:crypto";
import { NO_OWNERS, ownersOf, ResourceStore, stored, type StoredResource } from "./resource-store.js";

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

/** A contact as the sandbox stores it. `owners` are the contact's locations (a contact may have several). */
export interface ContactRecord extends StoredResource {
  /** The first is the identifier create returns; every one also finds the contact. */
  conversationUids: string[];
  name: string;
  emails: string[];
  phoneNumbers: string[];
  address: Record<string, unknown> | null;
  attributes: Map<string, unknown>;
  tags: Set<string>;
  contactStatus: Record<string, unknown> | null;
  /** Per channel identifier: the locations the contact opted in to campaign messages from. */
  optIns: Map<string, readonly string[]>;
}

/** Fixed ids for a seeded contact. */
export interface ContactIds {
  uid: string;
  conversationUid: string;
}

/**
 * Contacts, indexed by every identifier Podium accepts (conversation uid, E.164 phone, email) plus the contact
 * uid, within an organization. Create is an upsert on phone, email or conversation uid, as Podium documents.
 */
export class ContactStore {
  readonly #records = new ResourceStore<ContactRecord>();
  readonly #byKey = new Map<string, ContactRecord>();

  /** Find a contact by identifier within an organization. */
  find(organizationUid: string, identifier: string): ContactRecord | undefined {
    return this.#byKey.get(`${organizationUid}|${identifier.toLowerCase()}`);
  }

  /** The contact a create would update: same phone number, email or conversation uid ("will update the contact"). */
  match(organizationUid: string, write: ContactWrite): ContactRecord | undefined {
    return (
      (write.phoneNumber === undefined ? undefined : this.find(organizationUid, write.phoneNumber)) ??
      (write.email === undefined ? undefined : this.find(organizationUid, write.email)) ??
      (write.conversationUid === undefined ? undefined : this.find(organizationUid, write.conversationUid))
    );
  }

  /** Create a contact from a write (its locations become its owners). */
  create(organizationUid: string, write: ContactWrite, now: string, ids?: ContactIds): ContactRecord {
    const rec: ContactRecord = {
      ...stored(ids?.uid ?? randomUUID(), organizationUid, NO_OWNERS, now),
      conversationUids: [ids?.conversationUid ?? randomUUID()],
      name: write.name ?? "",
      emails: [],
      phoneNumbers: [],
      address: null,
      attributes: new Map(),
      tags: new Set(),
      contactStatus: null,
      optIns: new Map(),
    };
    this.#records.add(rec);
    this.#index(rec, rec.uid);
    this.#index(rec, rec.conversationUids[0] as string);
    this.apply(rec, write, now, "merge");
    return rec;
  }

  /** Apply a write. `merge` adds the write's locations to the contact's; `replace` makes them the contact's. */
  apply(rec: ContactRecord, write: ContactWrite, now: string, locations: "merge" | "replace"): void {
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
    if (write.conversationUid !== undefined) this.addConversation(rec, write.conversationUid);
    if (write.locations !== undefined) {
      this.setLocations(rec, locations === "merge" ? [...rec.owners, ...write.locations] : write.locations);
    }
    if (write.address !== undefined) rec.address = write.address;
    if (write.contactStatus !== undefined) rec.contactStatus = write.contactStatus;
    for (const a of write.attributes ?? []) rec.attributes.set(a.uid, a.value);
    for (const t of write.tags ?? []) rec.tags.add(t);
    rec.updatedAt = now;
  }

  /** Replace the contact's locations. */
  setLocations(rec: ContactRecord, locations: readonly string[]): void {
    this.#records.setOwners(rec, ownersOf(locations));
  }

  /** Link a conversation uid to the contact, so it finds the contact too. */
  addConversation(rec: ContactRecord, conversationUid: string): void {
    if (rec.conversationUids.includes(conversationUid)) return;
    rec.conversationUids.push(conversationUid);
    this.#index(rec, conversationUid);
  }

  /** Remove a contact and every identifier pointing at it. */
  delete(rec: ContactRecord): void {
    for (const key of [rec.uid, ...rec.conversationUids, ...rec.phoneNumbers, ...rec.emails]) {
      const k = `${rec.organizationUid}|${key.toLowerCase()}`;
      if (this.#byKey.get(k) === rec) this.#byKey.delete(k);
    }
    this.#records.remove(rec);
  }

  /** The organization's contacts belonging to any of `locations`, oldest first. */
  list(organizationUid: string, locations: readonly string[]): ContactRecord[] {
    return this.#records.select(organizationUid, locations, false);
  }

  /** Every contact of an organization, oldest first. */
  all(organizationUid: string): ContactRecord[] {
    return this.#records.all(organizationUid);
  }

  #index(rec: ContactRecord, key: string): void {
    this.#byKey.set(`${rec.organizationUid}|${key.toLowerCase()}`, rec);
  }
}

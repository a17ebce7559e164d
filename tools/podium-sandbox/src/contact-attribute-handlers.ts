/** Contact attributes: organization-level definitions (`/v4/contact_attributes`) and their values on a contact. */
import { randomUUID } from "node:crypto";
import { findContact, recordContactWrite } from "./contacts-handlers.js";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { bodyObject, bool, invalid, oneOf, onlyFields, str } from "./request-body.js";
import { findResource, readReply, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { NO_OWNERS, stored, type StoredResource } from "./resource-store.js";
import { isoNow, singleMetadata, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const DATA_TYPES = ["ADDRESS", "BOOLEAN", "DATETIME", "FLOAT", "INTEGER", "STRING", "UUID", "SINGLE_SELECT", "MULTI_SELECT"] as const;
const OWNER_TYPES = ["PRODUCT", "ORGANIZATION"] as const;
const FIELDS = new Set(["dataType", "isEncrypted", "label", "ownerResourceType"]);

/** An attribute definition; organization-level (no owners). */
export interface ContactAttributeRecord extends StoredResource {
  label: string;
  dataType: string;
  isEncrypted: boolean;
  ownerResourceType: string;
}

/** A seeded attribute definition. */
export interface ContactAttributeSeed {
  uid: string;
  organizationUid: string;
  label: string;
  dataType: (typeof DATA_TYPES)[number];
}

/** Podium's contact attribute object. */
export function contactAttributeJson(rec: ContactAttributeRecord): Record<string, unknown> {
  return {
    uid: rec.uid,
    label: rec.label,
    dataType: rec.dataType,
    isEncrypted: rec.isEncrypted,
    ownerResource: { type: rec.ownerResourceType, uid: rec.organizationUid },
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
  };
}

/** A new attribute definition record. */
export function newContactAttribute(uid: string, organizationUid: string, label: string, dataType: string, now: string): ContactAttributeRecord {
  return { ...stored(uid, organizationUid, NO_OWNERS, now), label, dataType, isEncrypted: false, ownerResourceType: "ORGANIZATION" };
}

const find = (state: SandboxState, req: V4Request): ContactAttributeRecord => findResource(state, req.grant, state.resources.contactAttributes, req.params["uid"], "Contact attribute");

/** GET /v4/contact_attributes: every attribute definition of the organization. */
export function listContactAttributes(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, { cursor: "contact_attributes", filters: [], kind: "contact_attribute", items: () => state.resources.contactAttributes.all(org), toJson: contactAttributeJson });
}

/** POST /v4/contact_attributes: `dataType`, `label`, `ownerResourceType` required. */
export function createContactAttribute(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  onlyFields(b, FIELDS);
  const dataType = oneOf(b, "dataType", DATA_TYPES, true) as string;
  const label = str(b, "label", true);
  const ownerResourceType = oneOf(b, "ownerResourceType", OWNER_TYPES, true) as string;
  const isEncrypted = bool(b, "isEncrypted") ?? false;
  const rec = newContactAttribute(randomUUID(), req.grant.organizationUid, label, dataType, isoNow(state));
  rec.isEncrypted = isEncrypted;
  rec.ownerResourceType = ownerResourceType;
  state.resources.contactAttributes.add(rec);
  recordWrite(state, req, "contact_attribute", rec, "create", () => contactAttributeJson(rec));
  return dataReply(state, req, contactAttributeJson(rec));
}

/** GET /v4/contact_attributes/{uid}. */
export function getContactAttribute(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.contactAttributes, "contact_attribute", "Contact attribute", contactAttributeJson);
}

/** PATCH /v4/contact_attributes/{uid}. */
export function updateContactAttribute(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  onlyFields(b, FIELDS);
  const dataType = oneOf(b, "dataType", DATA_TYPES, false);
  const label = str(b, "label");
  const ownerResourceType = oneOf(b, "ownerResourceType", OWNER_TYPES, false);
  const isEncrypted = bool(b, "isEncrypted");
  const rec = find(state, req);
  if (dataType !== undefined) rec.dataType = dataType;
  if (label !== undefined) rec.label = label;
  if (ownerResourceType !== undefined) rec.ownerResourceType = ownerResourceType;
  if (isEncrypted !== undefined) rec.isEncrypted = isEncrypted;
  rec.updatedAt = isoNow(state);
  recordWrite(state, req, "contact_attribute", rec, "update", () => contactAttributeJson(rec));
  return dataReply(state, req, contactAttributeJson(rec));
}

/**
 * DELETE /v4/contact_attributes/{uid}: the definition goes, and with it the value on every contact of the
 * organization, whichever location owns the contact (each is recorded as a contact update).
 */
export function deleteContactAttribute(state: SandboxState, req: V4Request): Reply {
  const rec = find(state, req);
  const now = isoNow(state);
  state.resources.contactAttributes.remove(rec);
  recordWrite(state, req, "contact_attribute", rec, "delete", () => contactAttributeJson(rec));
  for (const contact of state.contacts.all(rec.organizationUid)) {
    if (!contact.attributes.delete(rec.uid)) continue;
    contact.updatedAt = now;
    recordContactWrite(state, req, contact, "update");
  }
  return dataReply(state, req, contactAttributeJson(rec));
}

/**
 * POST (add), PATCH (change) and DELETE (remove) /v4/contacts/{identifier}/attributes/{uid}: a value on a
 * contact (a change to the contact); 202. PATCH and DELETE need the value to be there.
 */
export function setContactAttribute(state: SandboxState, req: V4Request): Reply {
  let value: unknown;
  if (req.method !== "DELETE") {
    value = bodyObject(req.body)["value"];
    if (value === undefined || value === null || typeof value === "object") invalid("value is required (a string, number or boolean)");
  }
  const contact = findContact(state, req);
  const def = find(state, req);
  if (req.method !== "POST" && !contact.attributes.has(def.uid)) throw new PodiumHttpError("resource_not_found", "The contact has no such attribute");
  if (req.method === "DELETE") contact.attributes.delete(def.uid);
  else contact.attributes.set(def.uid, value);
  contact.updatedAt = isoNow(state);
  recordContactWrite(state, req, contact, "update");
  return { status: 202, body: { data: { identifier: req.params["identifier"] }, metadata: singleMetadata(state, req.path) } };
}

/** Contact tags: organization-level definitions (`/v4/contact_tags`) and their assignment to a contact. */
import { randomUUID } from "node:crypto";
import { findContact, recordContactWrite } from "./contacts-handlers.js";
import type { Reply } from "./http-io.js";
import { bodyObject, onlyFields, str } from "./request-body.js";
import { findResource, readReply, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { NO_OWNERS, stored, type StoredResource } from "./resource-store.js";
import { isoNow, singleMetadata, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** A tag definition; organization-level (no owners). */
export interface ContactTagRecord extends StoredResource {
  label: string;
  description: string | null;
}

/** A seeded tag definition. */
export interface ContactTagSeed {
  uid: string;
  organizationUid: string;
  label: string;
  description?: string;
}

const FIELDS = new Set(["label", "description"]);

/** Podium's contact tag object. */
export function contactTagJson(rec: ContactTagRecord): Record<string, unknown> {
  return { uid: rec.uid, label: rec.label, description: rec.description, organization: { uid: rec.organizationUid }, createdAt: rec.createdAt, updatedAt: rec.updatedAt };
}

/** A new tag definition record. */
export function newContactTag(uid: string, organizationUid: string, label: string, description: string | null, now: string): ContactTagRecord {
  return { ...stored(uid, organizationUid, NO_OWNERS, now), label, description };
}

/** GET /v4/contact_tags: every tag of the organization. */
export function listContactTags(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, { cursor: "contact_tags", filters: [], kind: "contact_tag", items: () => state.resources.contactTags.all(org), toJson: contactTagJson });
}

/** POST /v4/contact_tags: `label` and `description` required. */
export function createContactTag(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  onlyFields(b, FIELDS);
  const label = str(b, "label", true);
  const description = str(b, "description", true);
  const rec = state.resources.contactTags.add(newContactTag(randomUUID(), req.grant.organizationUid, label, description, isoNow(state)));
  recordWrite(state, req, "contact_tag", rec, "create", () => contactTagJson(rec));
  return dataReply(state, req, contactTagJson(rec));
}

/** GET /v4/contact_tags/{uid}. */
export function getContactTag(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.contactTags, "contact_tag", "Contact tag", contactTagJson);
}

/** PATCH /v4/contact_tags/{uid}: `label`, `description`. */
export function updateContactTag(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  onlyFields(b, FIELDS);
  const label = str(b, "label");
  const description = str(b, "description");
  const rec = findResource(state, req.grant, state.resources.contactTags, req.params["uid"], "Contact tag");
  if (label !== undefined) rec.label = label;
  if (description !== undefined) rec.description = description;
  rec.updatedAt = isoNow(state);
  recordWrite(state, req, "contact_tag", rec, "update", () => contactTagJson(rec));
  return dataReply(state, req, contactTagJson(rec));
}

/** POST/DELETE /v4/contacts/{identifier}/tags/{uid}: tag or untag a contact (a change to the contact); 202. */
export function assignContactTag(state: SandboxState, req: V4Request): Reply {
  const contact = findContact(state, req);
  const tag = findResource(state, req.grant, state.resources.contactTags, req.params["uid"], "Contact tag");
  if (req.method === "POST") contact.tags.add(tag.uid);
  else contact.tags.delete(tag.uid);
  contact.updatedAt = isoNow(state);
  recordContactWrite(state, req, contact, "update");
  return { status: 202, body: { data: { identifier: req.params["identifier"] }, metadata: singleMetadata(state, req.path) } };
}

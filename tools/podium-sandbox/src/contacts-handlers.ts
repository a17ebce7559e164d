import { contactJson } from "./contact-json.js";
import type { ContactRecord, ContactWrite } from "./contact-store.js";
import type { Reply } from "./http-io.js";
import { bodyObject, channel, invalid, str, strings } from "./request-body.js";
import { addressable, recordRead, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { PodiumHttpError } from "./podium-error.js";
import { ownersOf } from "./resource-store.js";
import { isoNow, singleMetadata, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

// additionalProperties: false in Podium's OpenAPI (contact create and update request bodies).
const CREATE_FIELDS = new Set(["address", "attributes", "contactStatus", "email", "locations", "name", "phoneNumber", "tags"]);
const UPDATE_FIELDS = new Set(["address", "contactStatus", "conversationUid", "email", "locations", "name", "phoneNumber"]);

/** Validate a contact write against Podium's schema; throws 400 invalid_request_values. */
function readContactWrite(body: unknown, allowed: ReadonlySet<string>, create: boolean): ContactWrite {
  const b = bodyObject(body);
  for (const key of Object.keys(b)) if (!allowed.has(key)) invalid(`Unknown field: ${key}`);
  const write: ContactWrite = {};
  const name = str(b, "name");
  if (name !== undefined) write.name = name;
  else if (create) invalid("name is required");
  for (const key of ["phoneNumber", "email", "conversationUid"] as const) {
    const v = str(b, key);
    if (v !== undefined) write[key] = v;
  }
  if (write.phoneNumber !== undefined && !/^\+?[0-9]{6,15}$/.test(write.phoneNumber)) invalid("phoneNumber must be a phone number such as +18884441234");
  if (write.email !== undefined && !write.email.includes("@")) invalid("email must be an email address");
  if (b["locations"] !== undefined) {
    const locs = b["locations"];
    if (!Array.isArray(locs) || locs.length === 0 || !locs.every((l) => typeof l === "string" && l !== "")) invalid("locations must be a non-empty array of location uids");
    write.locations = locs as string[];
  } else if (create) invalid("locations is required");
  if (b["address"] !== undefined) {
    if (b["address"] !== null && (typeof b["address"] !== "object" || Array.isArray(b["address"]))) invalid("address must be an object");
    write.address = b["address"] as Record<string, unknown> | null;
  }
  const tags = strings(b, "tags", false);
  if (tags !== undefined) write.tags = tags;
  if (b["attributes"] !== undefined) {
    const attrs = b["attributes"];
    if (!Array.isArray(attrs) || !attrs.every((a) => typeof a === "object" && a !== null && typeof (a as { uid?: unknown }).uid === "string")) {
      invalid("attributes must be an array of { uid, value }");
    }
    write.attributes = attrs as { uid: string; value: unknown }[];
  }
  if (b["contactStatus"] !== undefined) {
    if (typeof b["contactStatus"] !== "object" || b["contactStatus"] === null) invalid("contactStatus must be an object with name or uid");
    write.contactStatus = b["contactStatus"] as Record<string, unknown>;
  }
  return write;
}

/** A contact by identifier (conversation uid, E.164 phone, email or uid) the caller may address; else 404. */
export function findContact(state: SandboxState, req: V4Request, identifier: string = req.params["identifier"] as string): ContactRecord {
  const rec = state.contacts.find(req.grant.organizationUid, identifier);
  if (rec === undefined || !addressable(state, req.grant, rec)) throw new PodiumHttpError("resource_not_found", "Contact not found");
  return rec;
}

/** Record a contact write (the ledger entry and the change event). */
export function recordContactWrite(state: SandboxState, req: V4Request, rec: ContactRecord, access: "create" | "update" | "delete", ownersBefore?: readonly string[]): void {
  recordWrite(state, req, "contact", rec, access, () => contactJson(state, rec), ownersBefore);
}

/** The `{ data: { identifier } }` answer of contact writes (202). */
function identifierReply(state: SandboxState, req: V4Request, identifier: string): Reply {
  return { status: 202, body: { data: { identifier }, metadata: singleMetadata(state, req.path) } };
}

/**
 * POST /v4/contacts: 202 with the identifier. An upsert: a contact of the organization with the same phone
 * number, email or conversation uid is updated (the write's locations are added to its own), whoever owns it.
 */
export function createContact(state: SandboxState, req: V4Request): Reply {
  const write = readContactWrite(req.body, CREATE_FIELDS, true);
  const now = isoNow(state);
  const existing = state.contacts.match(req.grant.organizationUid, write);
  if (existing !== undefined) {
    const before = existing.owners;
    state.contacts.apply(existing, write, now, "merge");
    recordContactWrite(state, req, existing, "update", before);
    return identifierReply(state, req, existing.conversationUids[0] as string);
  }
  const rec = state.contacts.create(req.grant.organizationUid, write, now);
  recordContactWrite(state, req, rec, "create");
  return identifierReply(state, req, rec.conversationUids[0] as string);
}

/** GET /v4/contacts: the contacts of the token's locations, oldest first, as an array page. */
export function listContacts(state: SandboxState, req: V4Request): Reply {
  return listReply(state, req, {
    cursor: "contacts",
    filters: ["updated_at"],
    kind: "contact",
    items: (filters, scope) => {
      const after = filters["updated_at"] === undefined ? undefined : Date.parse(filters["updated_at"]);
      if (after !== undefined && Number.isNaN(after)) invalid("updated_at must be formatted YYYY-MM-DDTHH:MM:SSZ");
      const all = state.contacts.list(req.grant.organizationUid, scope);
      return after === undefined ? all : all.filter((c) => Date.parse(c.updatedAt) > after);
    },
    toJson: (c) => contactJson(state, c),
  });
}

/** GET /v4/contacts/{identifier}. */
export function getContact(state: SandboxState, req: V4Request): Reply {
  const rec = findContact(state, req);
  recordRead(req, "contact", rec);
  return dataReply(state, req, contactJson(state, rec));
}

/** PATCH /v4/contacts/{identifier}: 202; `locations` replaces or merges (the `contactLocationsPatch` switch). */
export function updateContact(state: SandboxState, req: V4Request): Reply {
  const write = readContactWrite(req.body, UPDATE_FIELDS, false);
  const rec = findContact(state, req);
  const before = rec.owners;
  state.contacts.apply(rec, write, isoNow(state), state.faults.contactLocationsPatch);
  recordContactWrite(state, req, rec, "update", before);
  return identifierReply(state, req, req.params["identifier"] as string);
}

/** DELETE /v4/contacts/{identifier}: 202; conversations are kept, as Podium documents. */
export function deleteContact(state: SandboxState, req: V4Request): Reply {
  const rec = findContact(state, req);
  state.contacts.delete(rec);
  recordContactWrite(state, req, rec, "delete");
  return identifierReply(state, req, req.params["identifier"] as string);
}

const OPT_CHANNEL_TYPES = ["PHONE", "phone"];

/**
 * POST /v4/contacts/campaigns/opt_in: opt the contact with this phone in to campaigns from `locationUid`. Like
 * create, it finds the organization's contact by the identifier (adding the location to it) or creates one.
 */
export function optIn(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const ch = channel(b, "channel", OPT_CHANNEL_TYPES);
  const locationUid = str(b, "locationUid", true);
  const name = str(b, "name");
  const tags = strings(b, "tags", false);
  const now = isoNow(state);
  const key = ch.identifier.toLowerCase();
  const write: ContactWrite = { locations: [locationUid], ...(name === undefined ? {} : { name }), ...(tags === undefined ? {} : { tags }) };
  const existing = state.contacts.find(req.grant.organizationUid, ch.identifier);
  const rec = existing ?? state.contacts.create(req.grant.organizationUid, { ...write, phoneNumber: ch.identifier, name: name ?? "" }, now);
  const before = rec.owners;
  if (existing !== undefined) state.contacts.apply(rec, write, now, "merge");
  rec.optIns.set(key, ownersOf([...(rec.optIns.get(key) ?? []), locationUid]));
  recordContactWrite(state, req, rec, existing === undefined ? "create" : "update", existing === undefined ? rec.owners : before);
  return dataReply(state, req, contactJson(state, rec));
}

/** POST /v4/contacts/campaigns/opt_out: the contact with this identifier leaves campaigns of every location. */
export function optOut(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const ch = channel(b, "channel", [...OPT_CHANNEL_TYPES, "email", "EMAIL"]);
  const rec = findContact(state, req, ch.identifier);
  rec.optIns.delete(ch.identifier.toLowerCase());
  rec.updatedAt = isoNow(state);
  recordContactWrite(state, req, rec, "update");
  return dataReply(state, req, contactJson(state, rec));
}

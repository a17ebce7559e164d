import { contactJson, isVisible, type ContactRecord, type ContactWrite } from "./contact-store.js";
import type { Reply } from "./http-io.js";
import { pageEnvelope, readPageRequest } from "./paginate.js";
import { PodiumHttpError } from "./podium-error.js";
import { singleMetadata, type SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

// additionalProperties: false in Podium's OpenAPI (contact create and update request bodies).
const CREATE_FIELDS = new Set(["address", "attributes", "contactStatus", "email", "locations", "name", "phoneNumber", "tags"]);
const UPDATE_FIELDS = new Set(["address", "contactStatus", "conversationUid", "email", "locations", "name", "phoneNumber"]);

function invalid(message: string): never {
  throw new PodiumHttpError("invalid_request_values", message);
}

/** Validate a contact write against Podium's schema; throws 400 invalid_request_values. */
function readContactWrite(body: unknown, allowed: ReadonlySet<string>, create: boolean): ContactWrite {
  if (typeof body !== "object" || body === null || Array.isArray(body)) invalid("The request body must be a JSON object");
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!allowed.has(key)) invalid(`Unknown field: ${key}`);
  const str = (key: string): string | undefined => {
    const v = b[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") invalid(`${key} must be a non-empty string`);
    return v;
  };
  const write: ContactWrite = {};
  const name = str("name");
  if (name !== undefined) write.name = name;
  else if (create) invalid("name is required");
  for (const key of ["phoneNumber", "email", "conversationUid"] as const) {
    const v = str(key);
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
  if (b["tags"] !== undefined) {
    if (!Array.isArray(b["tags"]) || !b["tags"].every((t) => typeof t === "string")) invalid("tags must be an array of tag uids");
    write.tags = b["tags"] as string[];
  }
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

/** Find a contact the token may see; 404 resource_not_found otherwise. */
function findVisible(state: SandboxState, req: V4Request): ContactRecord {
  const rec = state.contacts.find(req.grant.organizationUid, req.params["identifier"] as string);
  if (rec === undefined || !isVisible(rec, req.grant.locationSet)) throw new PodiumHttpError("resource_not_found", "Contact not found");
  return rec;
}

const isoNow = (state: SandboxState): string => new Date(state.now()).toISOString();

/** POST /v4/contacts: validate, then upsert on phone or email; 202 with the identifier. */
export function createContact(state: SandboxState, req: V4Request): Reply {
  const write = readContactWrite(req.body, CREATE_FIELDS, true);
  const { identifier } = state.contacts.upsert(req.grant.organizationUid, write, isoNow(state));
  return { status: 202, body: { data: { identifier }, metadata: singleMetadata(state, req.path) } };
}

/** GET /v4/contacts: the contacts of the token's locations, as an array page. */
export function listContacts(state: SandboxState, req: V4Request): Reply {
  const page = readPageRequest(req.query, "contacts", ["updated_at"]);
  const after = page.filters["updated_at"] === undefined ? undefined : Date.parse(page.filters["updated_at"]);
  if (after !== undefined && Number.isNaN(after)) invalid("updated_at must be formatted YYYY-MM-DDTHH:MM:SSZ");
  const items = state.contacts.list(req.grant.organizationUid, req.grant.locationSet).filter((c) => after === undefined || Date.parse(c.updatedAt) > after);
  return { status: 200, body: pageEnvelope(state, req.path, "contacts", items, page, contactJson) };
}

/** GET /v4/contacts/{identifier}. */
export function getContact(state: SandboxState, req: V4Request): Reply {
  return { status: 200, body: { data: contactJson(findVisible(state, req)), metadata: singleMetadata(state, req.path) } };
}

/** PATCH /v4/contacts/{identifier}: 202; `locations` replaces the contact's locations. */
export function updateContact(state: SandboxState, req: V4Request): Reply {
  const write = readContactWrite(req.body ?? {}, UPDATE_FIELDS, false);
  const rec = findVisible(state, req);
  state.contacts.update(rec, write, isoNow(state), false);
  return { status: 202, body: { data: { identifier: req.params["identifier"] }, metadata: singleMetadata(state, req.path) } };
}

/** DELETE /v4/contacts/{identifier}: 202; conversations are kept, as Podium documents. */
export function deleteContact(state: SandboxState, req: V4Request): Reply {
  const rec = findVisible(state, req);
  state.contacts.delete(rec);
  return { status: 202, body: { data: { identifier: req.params["identifier"] }, metadata: singleMetadata(state, req.path) } };
}

/** Message templates: owned by their `locationUids`, or organization-wide with `accessLevel: organization`. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { bodyObject, bool, invalid, oneOf, str, strings } from "./request-body.js";
import { findResource, recordWrite } from "./resource-access.js";
import { LOCATION_FILTERS, listReply } from "./resource-list.js";
import { NO_OWNERS, ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const TYPES = ["custom", "review_invite", "review_invite_backup"] as const;
const ACCESS = ["location", "organization"] as const;

/** A template; `owners` are its locations ([] when `accessLevel` is `organization`). */
export interface TemplateRecord extends StoredResource {
  accessLevel: "location" | "organization";
  title: string;
  text: string;
  subject: string | null;
  type: string;
  attachmentUrl: string | null;
  nonDeletable: boolean;
  userUid: string;
}

/**
 * Podium's template object. It names one `location`: the first of the template's locations (the ledger has
 * them all), or null for an organization-wide template.
 */
export function templateJson(t: TemplateRecord, deletedAt: string | null = null): Record<string, unknown> {
  const first = t.owners[0];
  return {
    uid: t.uid,
    accessLevel: t.accessLevel,
    attachmentUrl: t.attachmentUrl,
    createdAt: t.createdAt,
    deletedAt,
    isFavorite: false,
    lastUsedAt: null,
    location: first === undefined ? null : { uid: first },
    nonDeletable: t.nonDeletable,
    organization: { uid: t.organizationUid },
    subject: t.subject,
    templateItems: [],
    text: t.text,
    title: t.title,
    type: t.type,
    updatedAt: t.updatedAt,
    user: { uid: t.userUid },
    variables: [...new Set([...t.text.matchAll(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g)].map((m) => m[1] as string))],
  };
}

interface TemplateWrite {
  accessLevel: "location" | "organization";
  owners: readonly string[];
  title: string;
  text: string;
  type: string;
  subject?: string;
  attachmentUrl?: string;
  nonDeletable?: boolean;
}

/** The body of POST and PUT: `text`, `title`, `type`, `accessLevel`; `locationUids` when the level is location. */
function readTemplate(body: unknown): TemplateWrite {
  const b = bodyObject(body);
  const accessLevel = oneOf(b, "accessLevel", ACCESS, true) as "location" | "organization";
  const locationUids = strings(b, "locationUids", false) ?? [];
  if (accessLevel === "location" && locationUids.length === 0) invalid("locationUids is required when accessLevel is location");
  const w: TemplateWrite = { accessLevel, owners: accessLevel === "organization" ? NO_OWNERS : ownersOf(locationUids), title: str(b, "title", true), text: str(b, "text", true), type: oneOf(b, "type", TYPES, true) as string };
  const subject = str(b, "subject");
  if (subject !== undefined) w.subject = subject;
  const attachmentUrl = str(b, "attachmentUrl");
  if (attachmentUrl !== undefined) w.attachmentUrl = attachmentUrl;
  const nonDeletable = bool(b, "nonDeletable");
  if (nonDeletable !== undefined) w.nonDeletable = nonDeletable;
  str(b, "uid");
  return w;
}

function apply(t: TemplateRecord, w: TemplateWrite, now: string): void {
  t.accessLevel = w.accessLevel;
  t.title = w.title;
  t.text = w.text;
  t.type = w.type;
  if (w.subject !== undefined) t.subject = w.subject;
  if (w.attachmentUrl !== undefined) t.attachmentUrl = w.attachmentUrl;
  if (w.nonDeletable !== undefined) t.nonDeletable = w.nonDeletable;
  t.updatedAt = now;
}

const find = (state: SandboxState, req: V4Request): TemplateRecord => findResource(state, req.grant, state.resources.templates, req.params["uid"], "Template");

/** GET /v4/templates: the locations' and the organization-wide templates; `types` (default custom), `locationUid`. */
export function listTemplates(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "templates",
    filters: [...LOCATION_FILTERS, "types"],
    kind: "template",
    items: (filters, scope) => {
      const types = (filters["types"] ?? "custom").split(",");
      return state.resources.templates.select(org, scope, true).filter((t) => types.includes(t.type));
    },
    toJson: (t) => templateJson(t),
  });
}

/** POST /v4/templates. */
export function createTemplate(state: SandboxState, req: V4Request): Reply {
  const w = readTemplate(req.body);
  const now = isoNow(state);
  const t: TemplateRecord = { ...stored(randomUUID(), req.grant.organizationUid, w.owners, now), accessLevel: w.accessLevel, title: "", text: "", subject: null, type: "custom", attachmentUrl: null, nonDeletable: false, userUid: req.grant.userUid };
  apply(t, w, now);
  state.resources.templates.add(t);
  recordWrite(state, req, "template", t, "create", () => templateJson(t));
  return dataReply(state, req, templateJson(t));
}

/** PUT /v4/templates/{uid}: may change the access level and locations (the owners). */
export function updateTemplate(state: SandboxState, req: V4Request): Reply {
  const w = readTemplate(req.body);
  const t = find(state, req);
  const before = t.owners;
  apply(t, w, isoNow(state));
  state.resources.templates.setOwners(t, w.owners);
  recordWrite(state, req, "template", t, "update", () => templateJson(t), before);
  return dataReply(state, req, templateJson(t));
}

/** DELETE /v4/templates/{uid}: refused for a `nonDeletable` template. */
export function deleteTemplate(state: SandboxState, req: V4Request): Reply {
  const t = find(state, req);
  if (t.nonDeletable) invalid("This template cannot be deleted");
  const now = isoNow(state);
  state.resources.templates.remove(t);
  recordWrite(state, req, "template", t, "delete", () => templateJson(t, now));
  return dataReply(state, req, templateJson(t, now));
}

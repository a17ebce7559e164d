/** Campaigns: owned by their `locations`; a campaign without locations is organization-wide. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { bodyObject, bool, oneOf, str, strings } from "./request-body.js";
import { findResource, readReply, recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** Campaign statuses Podium lists. */
export const CAMPAIGN_STATUSES = ["ACTIVE", "COMPLETED", "DRAFT", "ERROR", "INACTIVE", "IN_PROGRESS", "SCHEDULED", "STOPPED", "SUSPENDED", "ARCHIVED"] as const;
const ENDED = new Set(["COMPLETED", "STOPPED", "ARCHIVED"]);

/** A campaign; `owners` are its `locations` ([] for an organization-wide campaign). */
export interface CampaignRecord extends StoredResource {
  name: string;
  status: string;
  message: string | null;
  includeActiveConversations: boolean;
  recentlySentSubscriberOverride: boolean;
  startedAt: string | null;
  endedAt: string | null;
}

/** Podium's campaign object. */
export function campaignJson(c: CampaignRecord): Record<string, unknown> {
  return {
    uid: c.uid,
    createdAt: c.createdAt,
    endedAt: c.endedAt,
    locations: c.owners.map((uid) => ({ uid })),
    message: c.message,
    name: c.name,
    organization: { uid: c.organizationUid },
    startedAt: c.startedAt,
    status: c.status,
    updatedAt: c.updatedAt,
  };
}

/** A campaign the caller may address by uid; else 404. */
export function findCampaign(state: SandboxState, req: V4Request): CampaignRecord {
  return findResource(state, req.grant, state.resources.campaigns, req.params["uid"], "Campaign");
}

interface CampaignWrite {
  name: string;
  status: string;
  locations: string[];
  message?: string;
  includeActiveConversations?: boolean;
  recentlySentSubscriberOverride?: boolean;
}

/** The body of POST and PUT: `name`, `status` and `locations` (may be empty) required. */
function readCampaign(body: unknown): CampaignWrite {
  const b = bodyObject(body);
  const w: CampaignWrite = { name: str(b, "name", true), status: oneOf(b, "status", CAMPAIGN_STATUSES, true) as string, locations: strings(b, "locations", true) as string[] };
  const message = str(b, "message");
  if (message !== undefined) w.message = message;
  const active = bool(b, "includeActiveConversations");
  if (active !== undefined) w.includeActiveConversations = active;
  const recent = bool(b, "recentlySentSubscriberOverride");
  if (recent !== undefined) w.recentlySentSubscriberOverride = recent;
  return w;
}

function apply(c: CampaignRecord, w: CampaignWrite, now: string): void {
  c.name = w.name;
  if (w.status !== c.status) {
    if (w.status === "ACTIVE" || w.status === "IN_PROGRESS") c.startedAt ??= now;
    if (ENDED.has(w.status)) c.endedAt = now;
  }
  c.status = w.status;
  if (w.message !== undefined) c.message = w.message;
  if (w.includeActiveConversations !== undefined) c.includeActiveConversations = w.includeActiveConversations;
  if (w.recentlySentSubscriberOverride !== undefined) c.recentlySentSubscriberOverride = w.recentlySentSubscriberOverride;
  c.updatedAt = now;
}

/** GET /v4/campaigns: the token's locations' and the organization-wide campaigns, latest update first; `status`. */
export function listCampaigns(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "campaigns",
    filters: ["status"],
    kind: "campaign",
    items: (filters, scope) => {
      const status = filters["status"];
      const items = state.resources.campaigns.select(org, scope, true).filter((c) => status === undefined || c.status === status);
      return items.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : b.seq - a.seq));
    },
    toJson: campaignJson,
  });
}

/** POST /v4/campaigns. */
export function createCampaign(state: SandboxState, req: V4Request): Reply {
  const w = readCampaign(req.body);
  const now = isoNow(state);
  const c: CampaignRecord = {
    ...stored(randomUUID(), req.grant.organizationUid, ownersOf(w.locations), now),
    name: w.name,
    status: "DRAFT",
    message: null,
    includeActiveConversations: false,
    recentlySentSubscriberOverride: false,
    startedAt: null,
    endedAt: null,
  };
  apply(c, w, now);
  state.resources.campaigns.add(c);
  recordWrite(state, req, "campaign", c, "create", () => campaignJson(c));
  return dataReply(state, req, campaignJson(c));
}

/** GET /v4/campaigns/{uid}. */
export function getCampaign(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.campaigns, "campaign", "Campaign", campaignJson);
}

/** PUT /v4/campaigns/{uid}: `locations` replace the campaign's (empty: it becomes organization-wide). */
export function updateCampaign(state: SandboxState, req: V4Request): Reply {
  const w = readCampaign(req.body);
  const c = findCampaign(state, req);
  const before = c.owners;
  apply(c, w, isoNow(state));
  state.resources.campaigns.setOwners(c, ownersOf(w.locations));
  recordWrite(state, req, "campaign", c, "update", () => campaignJson(c), before);
  return dataReply(state, req, campaignJson(c));
}

/** DELETE /v4/campaigns/{uid}: answers the deleted campaign. */
export function deleteCampaign(state: SandboxState, req: V4Request): Reply {
  const c = findCampaign(state, req);
  state.resources.campaigns.remove(c);
  recordWrite(state, req, "campaign", c, "delete", () => campaignJson(c));
  return dataReply(state, req, campaignJson(c));
}

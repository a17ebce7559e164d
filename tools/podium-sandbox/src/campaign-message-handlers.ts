/** Messages sent through a campaign, and the campaign interactions they leave. */
import { randomUUID } from "node:crypto";
import { findCampaign } from "./campaign-handlers.js";
import { messageJson } from "./conversation-store.js";
import type { Reply } from "./http-io.js";
import { deliver } from "./message-handlers.js";
import { bodyObject, channelFor, invalid, str } from "./request-body.js";
import { recordWrite } from "./resource-access.js";
import { LOCATION_FILTERS, listReply } from "./resource-list.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** Interaction types Podium lists. */
export const INTERACTION_TYPES = ["sent", "queued", "failed", "feedback_left", "link_clicked", "opt_out", "payment_made", "response", "review_left", "resubscribe", "skipped"] as const;

/** A campaign interaction; `owners` is `[locationUid]`. */
export interface CampaignInteractionRecord extends StoredResource {
  locationUid: string;
  campaignUid: string;
  contactUid: string | null;
  conversationUid: string | null;
  interactionType: string;
}

/** Podium's campaign interaction object. */
export function campaignInteractionJson(i: CampaignInteractionRecord): Record<string, unknown> {
  return {
    uid: i.uid,
    campaign: { uid: i.campaignUid },
    contact: { uid: i.contactUid },
    conversation: { uid: i.conversationUid },
    createdAt: i.createdAt,
    interactionType: i.interactionType,
    location: { uid: i.locationUid },
    updatedAt: i.updatedAt,
  };
}

/** A new interaction record. */
export function newCampaignInteraction(uid: string, organizationUid: string, fields: Pick<CampaignInteractionRecord, "locationUid" | "campaignUid" | "contactUid" | "conversationUid" | "interactionType">, now: string): CampaignInteractionRecord {
  return { ...stored(uid, organizationUid, ownersOf([fields.locationUid]), now), ...fields };
}

/**
 * POST /v4/campaigns/{uid}/messages: send the campaign's message to `channelIdentifier`, at the campaign's first
 * location (an organization-wide campaign: the contact's first location). Leaves a `sent` interaction.
 */
export function sendCampaignMessage(state: SandboxState, req: V4Request): Reply {
  const identifier = str(bodyObject(req.body), "channelIdentifier", true);
  const campaign = findCampaign(state, req);
  if (campaign.status === "ARCHIVED") invalid("An archived campaign cannot send messages");
  const contact = state.contacts.find(req.grant.organizationUid, identifier);
  const locationUid = campaign.owners[0] ?? contact?.owners[0];
  if (locationUid === undefined) invalid("channelIdentifier: no contact at any location of this organization-wide campaign");
  const now = isoNow(state);
  const { conversation, message } = deliver(state, req, {
    locationUid,
    channel: channelFor(identifier),
    body: campaign.message ?? campaign.name,
    direction: "outbound",
    createdAt: now,
    renameContact: false,
    setOpenInbox: false,
    kind: "campaign_message",
  });
  const interaction = state.resources.campaignInteractions.add(
    newCampaignInteraction(randomUUID(), campaign.organizationUid, { locationUid, campaignUid: campaign.uid, contactUid: contact?.uid ?? null, conversationUid: conversation.uid, interactionType: "sent" }, now),
  );
  recordWrite(state, req, "campaign_interaction", interaction, "create", () => campaignInteractionJson(interaction));
  return dataReply(state, req, messageJson(conversation, message));
}

/** GET /v4/campaign_interactions: `campaignUid`, `contactUid`, `interactionType`, `locationUid`. */
export function listCampaignInteractions(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "campaign_interactions",
    filters: [...LOCATION_FILTERS, "campaignUid", "contactUid", "interactionType"],
    kind: "campaign_interaction",
    items: (f, scope) => {
      const types = f["interactionType"]?.split(",");
      return state.resources.campaignInteractions
        .select(org, scope, false)
        .filter((i) => (f["campaignUid"] === undefined || i.campaignUid === f["campaignUid"]) && (f["contactUid"] === undefined || i.contactUid === f["contactUid"]) && (types === undefined || types.includes(i.interactionType)));
    },
    toJson: campaignInteractionJson,
  });
}

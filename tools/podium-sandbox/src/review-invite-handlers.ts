/** Review invites: each belongs to the location it was created for. */
import { randomBytes, randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { bodyObject, str, type Channel } from "./request-body.js";
import { readReply, recordWrite } from "./resource-access.js";
import { dateRange, dateRangeParams, listReply, newestFirst } from "./resource-list.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** A review invite; `owners` is `[locationUid]`. */
export interface ReviewInviteRecord extends StoredResource {
  locationUid: string;
  code: string;
  channel: Channel | null;
  customerName: string | null;
  deliveryStatus: string;
  senderUid: string;
  senderType: "user" | "integration";
  sentThrough: string;
  conversationItemUid: string;
}

/** Podium's review invite object. */
export function reviewInviteJson(i: ReviewInviteRecord): Record<string, unknown> {
  return {
    uid: i.uid,
    shortUrl: `https://podium.co/r/${i.code}`,
    url: `https://www.podium.com/review-invite/${i.code}`,
    channel: i.channel === null ? null : { ...i.channel },
    customerName: i.customerName,
    deliveryStatus: i.deliveryStatus,
    linkClicked: false,
    linkClickedAt: null,
    location: { uid: i.locationUid, organizationUid: i.organizationUid },
    sender: { uid: i.senderUid, name: null, type: i.senderType, sentThrough: i.sentThrough },
    languages: [],
    test: false,
    conversationItemUid: i.conversationItemUid,
    attributions: [],
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

/** A new invite record. */
export function newReviewInvite(uid: string, organizationUid: string, locationUid: string, channel: Channel | null, senderUid: string, now: string): ReviewInviteRecord {
  return {
    ...stored(uid, organizationUid, ownersOf([locationUid]), now),
    locationUid,
    code: randomBytes(6).toString("base64url"),
    channel,
    customerName: null,
    deliveryStatus: channel === null ? "sent" : "pending",
    senderUid,
    senderType: "integration",
    sentThrough: channel === null ? "generated_link_only" : channel.type === "email" ? "email" : "sms",
    conversationItemUid: randomUUID(),
  };
}

/** GET /v4/reviews/invites: newest first; `createdAt`/`updatedAt` ranges and `senderUid`. */
export function listReviewInvites(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "review_invites",
    filters: [...dateRangeParams("createdAt"), ...dateRangeParams("updatedAt"), "senderUid"],
    kind: "review_invite",
    items: (filters, scope) => {
      const created = dateRange(filters, "createdAt");
      const updated = dateRange(filters, "updatedAt");
      const sender = filters["senderUid"];
      const items = state.resources.reviewInvites
        .select(org, scope, false)
        .filter((i) => (created === undefined || created(i.createdAt)) && (updated === undefined || updated(i.updatedAt)) && (sender === undefined || i.senderUid === sender));
      return newestFirst(items);
    },
    toJson: reviewInviteJson,
  });
}

/** GET /v4/reviews/invites/{uid}. */
export function getReviewInvite(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.reviewInvites, "review_invite", "Review invite", reviewInviteJson);
}

/** POST /v4/reviews/invites: `locationUid` required; `email` or `phoneNumber` (without either: a link only). */
export function createReviewInvite(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const locationUid = str(b, "locationUid", true);
  const email = str(b, "email");
  const phoneNumber = str(b, "phoneNumber");
  const ch: Channel | null = phoneNumber !== undefined ? { type: "phone", identifier: phoneNumber } : email !== undefined ? { type: "email", identifier: email } : null;
  const rec = state.resources.reviewInvites.add(newReviewInvite(randomUUID(), req.grant.organizationUid, locationUid, ch, req.grant.userUid, isoNow(state)));
  recordWrite(state, req, "review_invite", rec, "create", () => reviewInviteJson(rec));
  return dataReply(state, req, reviewInviteJson(rec));
}

/** A review's responses and user attributions: parts of the review, owned by the review's locations. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { bodyObject, invalid, str } from "./request-body.js";
import { recordWrite } from "./resource-access.js";
import { listReply } from "./resource-list.js";
import type { ResourceRef } from "./resource-store.js";
import { findReview, reviewJson, type ReviewAttributionRecord, type ReviewRecord, type ReviewResponseRecord } from "./review-handlers.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** Podium's review response object. */
export function reviewResponseJson(x: ReviewResponseRecord): Record<string, unknown> {
  return { uid: x.uid, body: x.body, isDeleted: x.isDeleted, likeCount: x.likeCount, publishDate: x.createdAt, siteAuthorName: x.siteAuthorName, source: x.source };
}

function attributionJson(r: ReviewRecord, a: ReviewAttributionRecord): Record<string, unknown> {
  return {
    uid: a.uid,
    createdAt: a.createdAt,
    editedByUser: { uid: a.editedByUserUid },
    isDeleted: a.isDeleted,
    reviewInvite: { uid: a.reviewInviteUid },
    siteReviewId: r.siteReviewId,
    updatedAt: a.updatedAt,
    user: { uid: a.userUid },
  };
}

const partOf = (r: ReviewRecord, uid: string): ResourceRef => ({ uid, organizationUid: r.organizationUid, owners: r.owners });
const recordReview = (state: SandboxState, req: V4Request, r: ReviewRecord): void => recordWrite(state, req, "review", r, "update", () => reviewJson(r));

/** GET /v4/reviews/{uid}/responses. */
export function listReviewResponses(state: SandboxState, req: V4Request): Reply {
  const r = findReview(state, req, req.params["uid"]);
  return listReply(state, req, {
    cursor: "review_responses",
    filters: [],
    kind: "review_response",
    items: () => r.responses.filter((x) => !x.isDeleted),
    toJson: reviewResponseJson,
    ref: (x) => partOf(r, x.uid),
  });
}

/** POST /v4/reviews/{uid}/responses: `body` required; the review no longer needs a response. */
export function createReviewResponse(state: SandboxState, req: V4Request): Reply {
  const body = str(bodyObject(req.body), "body", true);
  const r = findReview(state, req, req.params["uid"]);
  const now = isoNow(state);
  const x: ReviewResponseRecord = { uid: randomUUID(), body, isDeleted: false, likeCount: 0, siteAuthorName: null, source: "api", createdAt: now, updatedAt: now };
  r.responses.push(x);
  r.needsResponse = false;
  r.updatedAt = now;
  recordWrite(state, req, "review_response", partOf(r, x.uid), "create", () => reviewResponseJson(x));
  recordReview(state, req, r);
  return dataReply(state, req, reviewResponseJson(x));
}

/** PATCH /v4/reviews/{review_uid}/responses/{uid}: `body` required. */
export function updateReviewResponse(state: SandboxState, req: V4Request): Reply {
  const body = str(bodyObject(req.body), "body", true);
  const r = findReview(state, req, req.params["review_uid"]);
  const x = r.responses.find((y) => y.uid === req.params["uid"] && !y.isDeleted);
  if (x === undefined) throw new PodiumHttpError("resource_not_found", "Review response not found");
  x.body = body;
  x.updatedAt = r.updatedAt = isoNow(state);
  recordWrite(state, req, "review_response", partOf(r, x.uid), "update", () => reviewResponseJson(x));
  recordReview(state, req, r);
  return dataReply(state, req, reviewResponseJson(x));
}

/** POST /v4/reviews/{uid}/attributions: attribute a user (`userUid`, `locationUid` required). */
export function createReviewAttribution(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const userUid = str(b, "userUid", true);
  const locationUid = str(b, "locationUid", true);
  if (state.model.users.get(userUid)?.orgSlug !== req.grant.orgSlug) invalid(`userUid: unknown user ${userUid}`);
  const r = findReview(state, req, req.params["uid"]);
  const now = isoNow(state);
  const a: ReviewAttributionRecord = { uid: randomUUID(), userUid, locationUid, editedByUserUid: req.grant.userUid, apiClientUid: req.token.clientId, reviewInviteUid: null, isDeleted: false, createdAt: now, updatedAt: now };
  r.attributions.push(a);
  r.updatedAt = now;
  recordWrite(state, req, "review_attribution", partOf(r, a.uid), "create", () => attributionJson(r, a));
  recordReview(state, req, r);
  return dataReply(state, req, attributionJson(r, a));
}

/** DELETE /v4/reviews/{uid}/attributions: remove a user's attribution (`userUid`); answers those removed. */
export function deleteReviewAttribution(state: SandboxState, req: V4Request): Reply {
  const userUid = str(bodyObject(req.body), "userUid", true);
  const r = findReview(state, req, req.params["uid"]);
  const removed = r.attributions.filter((a) => !a.isDeleted && a.userUid === userUid);
  if (removed.length === 0) throw new PodiumHttpError("resource_not_found", "No attribution of that user on this review");
  const now = isoNow(state);
  for (const a of removed) {
    a.isDeleted = true;
    a.updatedAt = now;
    recordWrite(state, req, "review_attribution", partOf(r, a.uid), "delete", () => attributionJson(r, a));
  }
  r.updatedAt = now;
  recordReview(state, req, r);
  return dataReply(state, req, removed.map((a) => attributionJson(r, a)));
}

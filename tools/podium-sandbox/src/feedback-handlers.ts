/** Feedback surveys: each belongs to its location. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { bodyObject, str } from "./request-body.js";
import { recordWrite } from "./resource-access.js";
import { dateRange, dateRangeParams, listReply, newestFirst } from "./resource-list.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, singleMetadata, type SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

/** A feedback survey; `owners` is `[locationUid]`. */
export interface FeedbackRecord extends StoredResource {
  locationUid: string;
  customerName: string;
  phoneNumber: string;
  flowUid: string | null;
  score: number | null;
  currentStep: "start" | "follow_up" | "final";
}

/** Podium's feedback object. */
export function feedbackJson(f: FeedbackRecord): Record<string, unknown> {
  return {
    uid: f.uid,
    adjustedScore: f.score,
    archived: false,
    attributions: [],
    channel: { type: "phone", identifier: f.phoneNumber },
    createdAt: f.createdAt,
    currentStep: f.currentStep,
    customerName: f.customerName,
    firstResponseReceivedAt: f.score === null ? null : f.updatedAt,
    flowUid: f.flowUid,
    location: { uid: f.locationUid, organizationUid: f.organizationUid },
    messages: [],
    score: f.score,
    updatedAt: f.updatedAt,
  };
}

/** A new feedback record. */
export function newFeedback(uid: string, organizationUid: string, fields: Pick<FeedbackRecord, "locationUid" | "customerName" | "phoneNumber" | "flowUid" | "score" | "currentStep">, now: string): FeedbackRecord {
  return { ...stored(uid, organizationUid, ownersOf([fields.locationUid]), now), ...fields };
}

/** GET /v4/feedback: newest first; `createdAt` range. */
export function listFeedback(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "feedback",
    filters: dateRangeParams("createdAt"),
    kind: "feedback",
    items: (filters, scope) => {
      const created = dateRange(filters, "createdAt");
      return newestFirst(state.resources.feedback.select(org, scope, false).filter((f) => created === undefined || created(f.createdAt)));
    },
    toJson: feedbackJson,
  });
}

/** POST /v4/feedback: `customerName`, `locationUid`, `phoneNumber` required; 202 with the survey's uid. */
export function createFeedback(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const customerName = str(b, "customerName", true);
  const locationUid = str(b, "locationUid", true);
  const phoneNumber = str(b, "phoneNumber", true);
  const flowUid = str(b, "flowUid") ?? null;
  const f = state.resources.feedback.add(newFeedback(randomUUID(), req.grant.organizationUid, { locationUid, customerName, phoneNumber, flowUid, score: null, currentStep: "start" }, isoNow(state)));
  recordWrite(state, req, "feedback", f, "create", () => feedbackJson(f));
  return { status: 202, body: { data: { uid: f.uid }, metadata: singleMetadata(state, req.path) } };
}

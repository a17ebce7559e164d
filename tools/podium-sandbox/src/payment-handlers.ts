/** Payments, unlinked refunds and card readers; each belongs to one location. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { paymentJson } from "./invoice-store.js";
import { bodyObject, int, invalid, oneOf, str } from "./request-body.js";
import { readReply, recordWrite } from "./resource-access.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** A card reader; `owners` is `[locationUid]`. */
export interface ReaderRecord extends StoredResource {
  locationUid: string;
  label: string;
  status: "active" | "disabled" | "removed";
}

/** An unlinked refund (through a card reader); `owners` is `[locationUid]`. */
export interface RefundRecord extends StoredResource {
  locationUid: string;
  amount: number;
  reason: string;
  customerName: string;
  channelIdentifier: string;
  readerUid: string;
  status: string;
}

const REFUND_REASONS = ["accidental_charge", "canceled", "duplicate", "fraudulent", "requested_by_customer", "other"] as const;

/** Podium's card reader object. */
export function readerJson(r: ReaderRecord): Record<string, unknown> {
  return { uid: r.uid, label: r.label, locationUid: r.locationUid, status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/** Podium's refund object. */
export function refundJson(r: RefundRecord): Record<string, unknown> {
  return { uid: r.uid, amount: r.amount, cardBrand: "visa", cardLast4: "4242", createdAt: r.createdAt, location: { uid: r.locationUid }, notes: [], reason: r.reason, settledAt: null, status: r.status };
}

/** A new refund record. */
export function newRefund(uid: string, organizationUid: string, fields: Pick<RefundRecord, "locationUid" | "amount" | "reason" | "customerName" | "channelIdentifier" | "readerUid">, now: string): RefundRecord {
  return { ...stored(uid, organizationUid, ownersOf([fields.locationUid]), now), status: "created", ...fields };
}

/** GET /v4/payments/{uid}: a payment of an invoice (the invoice's location owns it). */
export function getPayment(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.payments, "payment", "Payment", paymentJson);
}

/** GET /v4/readers/{uid}. */
export function getReader(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.readers, "reader", "Reader", readerJson);
}

/** POST /v4/refunds: an unlinked refund through a card reader of the organization. */
export function createRefund(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const amount = int(b, "amount", true, 1) as number;
  const channelIdentifier = str(b, "channelIdentifier", true);
  const customerName = str(b, "customerName", true);
  const locationUid = str(b, "locationUid", true);
  const readerUid = str(b, "readerUid", true);
  const reason = oneOf(b, "reason", REFUND_REASONS, true) as string;
  str(b, "accountUid");
  if (state.resources.readers.get(req.grant.organizationUid, readerUid) === undefined) invalid(`readerUid: unknown reader ${readerUid}`);
  const rec = state.resources.refunds.add(newRefund(randomUUID(), req.grant.organizationUid, { locationUid, amount, reason, customerName, channelIdentifier, readerUid }, isoNow(state)));
  recordWrite(state, req, "refund", rec, "create", () => refundJson(rec));
  return dataReply(state, req, refundJson(rec));
}

/** GET /v4/refunds/{uid}?locationUid= (the location is required; the sandbox does not match it to the owner). */
export function getRefund(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.refunds, "refund", "Refund", refundJson);
}

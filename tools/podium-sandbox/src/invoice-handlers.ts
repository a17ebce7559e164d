/** Invoices: list, create, get, and the state changes cancel, charge, refund and setup. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { invoiceJson, paymentJson, type InvoiceRecord, type PaymentRecord } from "./invoice-store.js";
import { bodyObject, bool, channelFor, int, invalid, oneOf, str } from "./request-body.js";
import { findResource, readReply, recordRead, recordWrite } from "./resource-access.js";
import { LOCATION_FILTERS, listReply } from "./resource-list.js";
import { ownersOf, stored } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const PAYMENT_OPTIONS = ["bankAccount", "creditCard", "debitCard", "buyNowPayLaterAffirm"];
const REFUND_REASONS = ["accidental_charge", "canceled", "duplicate", "fraudulent", "requested_by_customer"] as const;
const OPEN = new Set(["created", "pending"]);

const find = (state: SandboxState, req: V4Request): InvoiceRecord => findResource(state, req.grant, state.resources.invoices, req.params["uid"], "Invoice");
const recordInvoice = (state: SandboxState, req: V4Request, i: InvoiceRecord, access: "create" | "update"): void => recordWrite(state, req, "invoice", i, access, () => invoiceJson(i));

/** The `date*` filters: items whose date is on or after the given one. */
function since(filters: Record<string, string>, name: string): number | undefined {
  const raw = filters[name];
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) invalid(`${name} must be an ISO 8601 date-time`);
  return t;
}

/** GET /v4/invoices: `locationUid`, `dateCreated`, `datePaid`, `dateRefunded`. */
export function listInvoices(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "invoices",
    filters: [...LOCATION_FILTERS, "dateCreated", "datePaid", "dateRefunded"],
    kind: "invoice",
    items: (filters, scope) => {
      const created = since(filters, "dateCreated");
      const paid = since(filters, "datePaid");
      const refunded = since(filters, "dateRefunded");
      return state.resources.invoices
        .select(org, scope, false)
        .filter(
          (i) =>
            (created === undefined || Date.parse(i.createdAt) >= created) &&
            (paid === undefined || i.payments.some((p) => Date.parse(p.createdAt) >= paid)) &&
            (refunded === undefined || i.payments.some((p) => p.refunds.some((r) => Date.parse(r.createdAt) >= refunded))),
        );
    },
    toJson: invoiceJson,
  });
}

/** POST /v4/invoices: a `card_not_present` invoice, or `card_present` with a `readerUid`; status `created`. */
export function createInvoice(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const identifier = str(b, "channelIdentifier", true);
  const customerName = str(b, "customerName", true);
  const invoiceNumber = str(b, "invoiceNumber", true);
  const locationUid = str(b, "locationUid", true);
  const readerUid = str(b, "readerUid");
  str(b, "accountUid");
  const items = b["lineItems"];
  if (!Array.isArray(items) || items.length < 1 || items.length > 10) invalid("lineItems must hold 1 to 10 items");
  const lineItems = (items as unknown[]).map((raw, n) => {
    const item = bodyObject(raw);
    const amount = int(item, "amount", true, 0, 99_999_900) as number;
    const description = str(item, "description") ?? "Total";
    if (description.length > 50) invalid(`lineItems[${n}].description must be at most 50 characters`);
    return { amount, description };
  });
  const options = b["allowedPaymentOptions"];
  if (options !== undefined && (!Array.isArray(options) || !options.every((o) => PAYMENT_OPTIONS.includes(o as string)))) invalid(`allowedPaymentOptions must be among ${PAYMENT_OPTIONS.join(", ")}`);
  if (readerUid !== undefined && state.resources.readers.get(req.grant.organizationUid, readerUid) === undefined) invalid(`readerUid: unknown reader ${readerUid}`);
  const now = isoNow(state);
  const channel = channelFor(identifier);
  const rec = state.resources.invoices.add({
    ...stored(randomUUID(), req.grant.organizationUid, ownersOf([locationUid]), now),
    locationUid,
    channel,
    customerName,
    invoiceNumber,
    lineItems,
    amount: lineItems.reduce((sum, l) => sum + l.amount, 0),
    status: "created",
    canceledAt: null,
    canceledNote: null,
    paidAt: null,
    readerUid: readerUid ?? null,
    conversationUid: state.resources.conversations.byChannel(locationUid, identifier)?.uid ?? null,
    allowedPaymentMethods: (options as string[] | undefined) ?? ["creditCard", "debitCard"],
    payments: [],
  });
  recordInvoice(state, req, rec, "create");
  return dataReply(state, req, invoiceJson(rec));
}

/** GET /v4/invoices/{uid}?locationUid= (the location is required; the sandbox does not match it to the owner). */
export function getInvoice(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.invoices, "invoice", "Invoice", invoiceJson);
}

/** POST /v4/invoices/{uid}/cancel: an open invoice becomes `canceled`; `note` required. */
export function cancelInvoice(state: SandboxState, req: V4Request): Reply {
  const note = str(bodyObject(req.body), "note", true);
  const i = find(state, req);
  if (!OPEN.has(i.status)) invalid(`An invoice with status ${i.status} cannot be canceled`);
  i.status = "canceled";
  i.canceledAt = i.updatedAt = isoNow(state);
  i.canceledNote = note;
  recordInvoice(state, req, i, "update");
  return dataReply(state, req, invoiceJson(i));
}

/** POST /v4/invoices/{uid}/charge: pay an open invoice in full (a new payment); `idempotencyUid` makes retries safe. */
export function chargeInvoice(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  str(b, "paymentMethodId", true);
  const idempotencyUid = str(b, "idempotencyUid") ?? null;
  bool(b, "shouldSaveCardOnFile");
  const i = find(state, req);
  if (idempotencyUid !== null && i.payments.some((p) => p.idempotencyUid === idempotencyUid)) {
    recordRead(req, "invoice", i);
    return dataReply(state, req, invoiceJson(i));
  }
  if (!OPEN.has(i.status)) invalid(`An invoice with status ${i.status} cannot be charged`);
  const now = isoNow(state);
  const payment: PaymentRecord = { ...stored(randomUUID(), i.organizationUid, i.owners, now), invoiceUid: i.uid, amount: i.amount, status: "paid", cardBrand: "visa", cardLast4: "4242", idempotencyUid, refunds: [], settledAt: null };
  state.resources.payments.add(payment);
  i.payments.push(payment);
  i.status = "paid";
  i.paidAt = i.updatedAt = now;
  recordWrite(state, req, "payment", payment, "create", () => paymentJson(payment));
  recordInvoice(state, req, i, "update");
  return dataReply(state, req, invoiceJson(i));
}

/** POST /v4/invoices/{uid}/refund: refund part or all of a payment of a paid invoice. */
export function refundInvoice(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const amount = int(b, "amount", true, 1) as number;
  const paymentUid = str(b, "paymentUid", true);
  const reason = oneOf(b, "reason", REFUND_REASONS, true) as string;
  const note = str(b, "note");
  const i = find(state, req);
  if (i.status !== "paid" && i.status !== "partial_refund") invalid(`An invoice with status ${i.status} cannot be refunded`);
  const payment = i.payments.find((p) => p.uid === paymentUid);
  if (payment === undefined) invalid(`paymentUid: no payment ${paymentUid} on this invoice`);
  const refunded = payment.refunds.reduce((s, r) => s + r.amount, 0);
  if (amount > payment.amount - refunded) invalid("amount exceeds what is left to refund on the payment");
  const now = isoNow(state);
  payment.refunds.push({ amount, createdAt: now, notes: note === undefined ? [] : [note], reason, settledAt: null, status: "succeeded" });
  payment.status = i.status = refunded + amount === payment.amount ? "refunded" : "partial_refund";
  payment.updatedAt = i.updatedAt = now;
  recordWrite(state, req, "payment", payment, "update", () => paymentJson(payment));
  recordInvoice(state, req, i, "update");
  return dataReply(state, req, invoiceJson(i));
}

/** POST /v4/invoices/{uid}/setup: a setup intent for keyed-in cards; an open invoice becomes `pending`. */
export function setupInvoice(state: SandboxState, req: V4Request): Reply {
  const i = find(state, req);
  if (!OPEN.has(i.status)) invalid(`An invoice with status ${i.status} cannot be set up for payment`);
  i.status = "pending";
  i.updatedAt = isoNow(state);
  recordInvoice(state, req, i, "update");
  return dataReply(state, req, invoiceJson(i));
}

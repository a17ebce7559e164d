/** Invoices (owned by their location) and the payments made on them (owned by the invoice's location). */
import type { Channel } from "./request-body.js";
import type { StoredResource } from "./resource-store.js";

/** A refund of a payment. */
export interface PaymentRefund {
  amount: number;
  createdAt: string;
  notes: string[];
  reason: string;
  settledAt: string | null;
  status: string;
}

/** A payment on an invoice; `owners` are the invoice's. */
export interface PaymentRecord extends StoredResource {
  invoiceUid: string;
  amount: number;
  status: string;
  cardBrand: string;
  cardLast4: string;
  idempotencyUid: string | null;
  refunds: PaymentRefund[];
  settledAt: string | null;
}

/** An invoice; `owners` is `[locationUid]`. */
export interface InvoiceRecord extends StoredResource {
  locationUid: string;
  channel: Channel;
  customerName: string;
  invoiceNumber: string;
  lineItems: { amount: number; description: string }[];
  amount: number;
  status: string;
  canceledAt: string | null;
  canceledNote: string | null;
  paidAt: string | null;
  readerUid: string | null;
  conversationUid: string | null;
  allowedPaymentMethods: string[];
  payments: PaymentRecord[];
}

/** Podium's payment object (GET /v4/payments/{uid}). */
export function paymentJson(p: PaymentRecord): Record<string, unknown> {
  return {
    uid: p.uid,
    bankAccountLast4: null,
    bankAccountName: null,
    cardBrand: p.cardBrand,
    cardFunding: "credit",
    cardLast4: p.cardLast4,
    createdAt: p.createdAt,
    declineCode: null,
    declineCodeMessage: null,
    fee: Math.round(p.amount * 0.029),
    feeBillingType: null,
    feeCollectedAt: null,
    interchangeFee: null,
    paidWithCardOnFile: false,
    refunds: p.refunds.map((r) => ({ ...r, notes: [...r.notes] })),
    settledAt: p.settledAt,
    status: p.status,
    updatedAt: p.updatedAt,
  };
}

/** Podium's invoice object. */
export function invoiceJson(i: InvoiceRecord): Record<string, unknown> {
  const refunded = i.payments.reduce((sum, p) => sum + p.refunds.reduce((s, r) => s + r.amount, 0), 0);
  const paid = i.payments.reduce((sum, p) => sum + p.amount, 0);
  return {
    uid: i.uid,
    allowedPaymentMethods: [...i.allowedPaymentMethods],
    amount: i.amount,
    canceledAt: i.canceledAt,
    canceledNote: i.canceledNote,
    channel: { ...i.channel },
    conversationUid: i.conversationUid,
    createdAt: i.createdAt,
    currencyRef: "AUD",
    customerName: i.customerName,
    invoiceNumber: i.invoiceNumber,
    invoiceServiceChargeItems: [],
    lineItems: i.lineItems.map((l) => ({ ...l })),
    location: { uid: i.locationUid, organizationUid: i.organizationUid },
    paidAt: i.paidAt,
    paymentNet: paid - refunded,
    payments: i.payments.map((p) => paymentJson(p)),
    readerUid: i.readerUid,
    requester: null,
    status: i.status,
    surchargeAmount: 0,
    surchargeRate: 0,
    tipAmount: 0,
  };
}

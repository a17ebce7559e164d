import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, org } from "../test/ids.js";

const t = sharedSandbox();
const post = (path: string, body: unknown) => call(t.sandbox, "POST", path, { token: t.owner, body });
const newInvoice = async (amount = 5000): Promise<string> =>
  (await post("/v4/invoices", { channelIdentifier: "pay@patients.example", customerName: "Pay Er", invoiceNumber: `N-${amount}`, lineItems: [{ amount, description: "Work" }], locationUid: S })).body.data.uid;

describe("invoices", () => {
  it("lists by location and creates an invoice owned by its location, summing its line items", async () => {
    const list = await call(t.sandbox, "GET", `/v4/invoices?locationUid=${B}`, { token: t.owner });
    expect(list.body.data.map((i: { uid: string }) => i.uid)).toEqual([c.invoices.burleighHeadsPaid]);
    const made = await post("/v4/invoices", { channelIdentifier: c.contacts.sydney.phoneNumber, customerName: "Amelia", invoiceNumber: "X-1", lineItems: [{ amount: 100 }, { amount: 250, description: "Floss" }], locationUid: S, readerUid: c.readers.sydney });
    expect(made.body.data).toMatchObject({ amount: 350, status: "created", location: { uid: S, organizationUid: org }, channel: { type: "phone" }, conversationUid: c.conversations.sydney, readerUid: c.readers.sydney, lineItems: [{ amount: 100, description: "Total" }, { amount: 250, description: "Floss" }] });
    expect(t.last()?.resources).toEqual([{ kind: "invoice", id: made.body.data.uid, access: "create", owners: [S], organizationUid: org }]);
  });

  it("validates line items and the reader", async () => {
    const base = { channelIdentifier: "a@b.example", customerName: "A", invoiceNumber: "1", locationUid: S };
    for (const bad of [{ ...base, lineItems: [] }, { ...base, lineItems: [{ amount: -1 }] }, { ...base, lineItems: [{ amount: 1 }], readerUid: "nope" }, { ...base, lineItems: Array.from({ length: 11 }, () => ({ amount: 1 })) }]) {
      expect(await post("/v4/invoices", bad), JSON.stringify(bad)).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    }
  });

  it("setup → pending, charge → paid with a payment; the same idempotencyUid charges once", async () => {
    const uid = await newInvoice(8000);
    expect((await post(`/v4/invoices/${uid}/setup`, { locationUid: S })).body.data.status).toBe("pending");
    const charged = await post(`/v4/invoices/${uid}/charge`, { locationUid: S, paymentMethodId: "pm_1", idempotencyUid: "idem-1" });
    expect(charged.body.data).toMatchObject({ status: "paid", paidAt: expect.any(String), paymentNet: 8000, payments: [{ status: "paid" }] });
    const paymentUid = charged.body.data.payments[0].uid as string;
    expect(t.last()?.resources).toEqual([
      { kind: "payment", id: paymentUid, access: "create", owners: [S], organizationUid: org },
      { kind: "invoice", id: uid, access: "update", owners: [S], organizationUid: org },
    ]);
    const again = await post(`/v4/invoices/${uid}/charge`, { locationUid: S, paymentMethodId: "pm_1", idempotencyUid: "idem-1" });
    expect(again.body.data.payments).toHaveLength(1);
    expect(t.last()?.resources).toEqual([{ kind: "invoice", id: uid, access: "read", owners: [S], organizationUid: org }]);
    expect(await post(`/v4/invoices/${uid}/charge`, { locationUid: S, paymentMethodId: "pm_2" })).toMatchObject({ status: 400 });
    expect(await post(`/v4/invoices/${uid}/cancel`, { locationUid: S, note: "late" })).toMatchObject({ status: 400 });
  });

  it("refunds part then the rest of a payment, never more than paid", async () => {
    const uid = await newInvoice(1000);
    const paymentUid = (await post(`/v4/invoices/${uid}/charge`, { locationUid: S, paymentMethodId: "pm" })).body.data.payments[0].uid;
    const part = await post(`/v4/invoices/${uid}/refund`, { amount: 400, locationUid: S, paymentUid, reason: "requested_by_customer", note: "half" });
    expect(part.body.data).toMatchObject({ status: "partial_refund", paymentNet: 600, payments: [{ status: "partial_refund", refunds: [{ amount: 400, notes: ["half"] }] }] });
    expect(t.last()?.resources.map((r) => [r.kind, r.access])).toEqual([["payment", "update"], ["invoice", "update"]]);
    expect(await post(`/v4/invoices/${uid}/refund`, { amount: 700, locationUid: S, paymentUid, reason: "duplicate" })).toMatchObject({ status: 400 });
    expect((await post(`/v4/invoices/${uid}/refund`, { amount: 600, locationUid: S, paymentUid, reason: "duplicate" })).body.data.status).toBe("refunded");
    expect(await post(`/v4/invoices/${uid}/refund`, { amount: 1, locationUid: S, paymentUid: "other", reason: "duplicate" })).toMatchObject({ status: 400 });
  });

  it("cancels an open invoice with a note", async () => {
    const uid = await newInvoice(300);
    expect(await post(`/v4/invoices/${uid}/cancel`, { locationUid: S })).toMatchObject({ status: 400 });
    expect((await post(`/v4/invoices/${uid}/cancel`, { locationUid: S, note: "Mistake" })).body.data).toMatchObject({ status: "canceled", canceledNote: "Mistake", canceledAt: expect.any(String) });
    expect(await post(`/v4/invoices/${uid}/setup`, { locationUid: S })).toMatchObject({ status: 400 });
  });

  it("takes the required locationUid for the grant check only: Burleigh's invoice is read with Sydney named", async () => {
    const got = await call(t.sandbox, "GET", `/v4/invoices/${c.invoices.burleighHeadsPaid}?locationUid=${S}`, { token: t.owner });
    expect(got.body.data.location.uid).toBe(B);
    expect(t.last()).toMatchObject({ locationUids: [S], resources: [{ kind: "invoice", owners: [B] }] });
  });
});

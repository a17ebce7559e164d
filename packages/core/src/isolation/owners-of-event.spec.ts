import { describe, expect, it } from "vitest";
import { ownerEntriesOfEvent } from "./owners-of-event.js";

describe("ownerEntriesOfEvent()", () => {
  it("names a contact by every identifier /v4/contacts/{identifier} takes, and its conversations", () => {
    const contact = {
      uid: "c-1",
      phoneNumbers: ["+61400000001"],
      emails: ["A@B.example"],
      channels: [{ type: "phone", identifier: "+61400000001" }, { type: "email", identifier: "A@B.example" }],
      conversations: [{ uid: "conv-1" }],
      locations: [{ uid: "loc-a" }],
    };
    expect(ownerEntriesOfEvent("contact.updated", contact)).toEqual([
      { kind: "contact", id: "c-1" },
      { kind: "contact", id: "+61400000001" },
      { kind: "contact", id: "A@B.example" },
      { kind: "contact", id: "+61400000001" },
      { kind: "contact", id: "A@B.example" },
      { kind: "contact", id: "conv-1" },
      { kind: "conversation", id: "conv-1" },
    ]);
  });

  it("names the conversation of a message, the review, invite, invoice, refund and call of their events", () => {
    expect(ownerEntriesOfEvent("message.received", { uid: "m-1", conversation: { uid: "conv-2" } })).toEqual([
      { kind: "conversation", id: "conv-2" },
      { kind: "contact", id: "conv-2" },
    ]);
    expect(ownerEntriesOfEvent("review.response_created", { uid: "r-1" })).toEqual([{ kind: "review", id: "r-1" }]);
    expect(ownerEntriesOfEvent("review.invite_link_created", { uid: "i-1" })).toEqual([{ kind: "review_invite", id: "i-1" }]);
    expect(ownerEntriesOfEvent("invoice.payment_succeeded", { uid: "inv-1" })).toEqual([{ kind: "invoice", id: "inv-1" }]);
    expect(ownerEntriesOfEvent("invoice.refund_created", { uid: "ref-1", invoiceUid: "inv-1" })).toEqual([
      { kind: "refund", id: "ref-1" },
      { kind: "invoice", id: "inv-1" },
    ]);
    expect(ownerEntriesOfEvent("call.missed", { uid: "call-1" })).toEqual([{ kind: "call", id: "call-1" }]);
  });

  it("names nothing for data it cannot read, and at most 64 entries for one event", () => {
    for (const data of [null, "x", 1, [], undefined]) expect(ownerEntriesOfEvent("contact.updated", data)).toEqual([]);
    expect(ownerEntriesOfEvent("unknown.kind", { uid: "u" })).toEqual([]);
    expect(ownerEntriesOfEvent("contact.updated", { uid: "", phoneNumbers: [1, null] })).toEqual([]);
    const many = { phoneNumbers: Array.from({ length: 500 }, (_, i) => `+614${String(i).padStart(8, "0")}`) };
    expect(ownerEntriesOfEvent("contact.updated", many)).toHaveLength(64);
  });
});

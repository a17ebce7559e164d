/**
 * Seeded resources (`SandboxFixture.resources`): plain data with fixed uids, loaded into the stores at start-up
 * without ledger entries or change events. Location-owned items take their organization from their location.
 */
import { newContactAttribute, type ContactAttributeSeed } from "./contact-attribute-handlers.js";
import { newContactTag, type ContactTagSeed } from "./contact-tag-handlers.js";
import { newMessage } from "./conversation-store.js";
import { newFeedback } from "./feedback-handlers.js";
import { InvalidFixtureError } from "./fixture-file.js";
import type { PaymentRecord } from "./invoice-store.js";
import { newRefund } from "./payment-handlers.js";
import { newProductImage } from "./product-handlers.js";
import { channelFor, type Channel } from "./request-body.js";
import { NO_OWNERS, ownersOf, stored, type ResourceStore, type StoredResource } from "./resource-store.js";
import { newReviewInvite } from "./review-invite-handlers.js";
import { newCampaignInteraction } from "./campaign-message-handlers.js";
import type { SandboxState } from "./sandbox-state.js";
import { newWebhook } from "./webhook-handlers.js";

/** Seeded resources, one list per kind. Times are ISO 8601; each defaults to `2024-02-01T00:00:00Z`. */
export interface ResourceSeed {
  contactTags?: ContactTagSeed[];
  contactAttributes?: ContactAttributeSeed[];
  contacts?: { uid: string; conversationUid: string; name: string; phoneNumber?: string; email?: string; locations: string[]; tags?: string[]; attributes?: { uid: string; value: string }[]; createdAt?: string }[];
  /** A conversation; `contactUid` links it to a contact (its uid then also finds the contact). */
  conversations?: { uid: string; locationUid: string; channel: Channel; contactName?: string; contactUid?: string; createdAt?: string; messages?: { uid: string; body: string; direction?: "inbound" | "outbound"; createdAt?: string }[] }[];
  reviews?: { uid: string; locations: string[]; rating: number; body: string; siteName: string; authorName: string; createdAt?: string; responses?: { uid: string; body: string; createdAt?: string }[]; attributions?: { uid: string; userUid: string; locationUid: string }[] }[];
  reviewInvites?: { uid: string; locationUid: string; phoneNumber?: string; email?: string; senderUid: string; createdAt?: string }[];
  readers?: { uid: string; locationUid: string; label: string }[];
  /** An invoice; with `payment` it is paid in full by that payment. */
  invoices?: { uid: string; locationUid: string; customerName: string; channelIdentifier: string; invoiceNumber: string; lineItems: { amount: number; description: string }[]; createdAt?: string; payment?: { uid: string } }[];
  refunds?: { uid: string; locationUid: string; readerUid: string; amount: number; reason: string; customerName: string; channelIdentifier: string; createdAt?: string }[];
  calls?: { uid: string; locationUid: string; customerPhoneNumber: string; direction: "inbound" | "outbound"; durationSeconds: number; status: string; conversationUid?: string; createdAt?: string }[];
  /** A campaign; no locations makes it organization-wide. */
  campaigns?: { uid: string; organizationUid: string; locations: string[]; name: string; status: string; message?: string; createdAt?: string }[];
  campaignInteractions?: { uid: string; locationUid: string; campaignUid: string; contactUid?: string; interactionType: string; createdAt?: string }[];
  /** A template; no locations makes it organization-wide (`accessLevel: organization`). */
  templates?: { uid: string; organizationUid: string; locations: string[]; title: string; text: string; userUid: string; createdAt?: string }[];
  /** A webhook; without `locationUid` it subscribes to the whole organization. */
  webhooks?: { uid: string; organizationUid: string; locationUid?: string; url: string; eventTypes: string[]; createdAt?: string }[];
  products?: { uid: string; organizationUid: string; name: string; price: string; description?: string; xid?: string; images?: { uid: string; isPrimary: boolean }[] }[];
  feedback?: { uid: string; locationUid: string; customerName: string; phoneNumber: string; score?: number; createdAt?: string }[];
  appointments?: { uid: string; locationUid: string; contactName: string; contactPhoneNumber: string; datetime: string; createdAt?: string }[];
}

/** The kinds a seed may hold (its keys). */
export const RESOURCE_SEED_KINDS: readonly (keyof ResourceSeed)[] = [
  "contactTags",
  "contactAttributes",
  "contacts",
  "conversations",
  "reviews",
  "reviewInvites",
  "readers",
  "invoices",
  "refunds",
  "calls",
  "campaigns",
  "campaignInteractions",
  "templates",
  "webhooks",
  "products",
  "feedback",
  "appointments",
];

const SEED_TIME = "2024-02-01T00:00:00Z";

/** Load a seed into the stores; throws InvalidFixtureError naming the item that refers to something unknown. */
export function loadResourceSeed(state: SandboxState, seed: ResourceSeed): void {
  const r = state.resources;
  const where = (kind: string, i: number): string => `fixture resources.${kind}[${i}]`;
  const orgOf = (at: string, uid: string): string => {
    const loc = state.model.locations.get(uid);
    if (loc === undefined) throw new InvalidFixtureError(`${at}: unknown location ${uid}`);
    return loc.organizationUid;
  };
  const owned = (at: string, organizationUid: string, locations: readonly string[]): readonly string[] => {
    if (!state.model.orgByUid.has(organizationUid)) throw new InvalidFixtureError(`${at}: unknown organization ${organizationUid}`);
    for (const uid of locations) if (orgOf(at, uid) !== organizationUid) throw new InvalidFixtureError(`${at}: location ${uid} is not in organization ${organizationUid}`);
    return locations.length === 0 ? NO_OWNERS : ownersOf(locations);
  };
  const base = (at: string, uid: string, organizationUid: string, owners: readonly string[], createdAt = SEED_TIME): StoredResource => {
    if (typeof uid !== "string" || uid === "") throw new InvalidFixtureError(`${at}.uid must be a non-empty string`);
    return stored(uid, organizationUid, owners, createdAt);
  };
  const add = <R extends StoredResource>(at: string, store: ResourceStore<R>, rec: R): R => {
    if (store.has(rec.uid)) throw new InvalidFixtureError(`${at}: uid ${rec.uid} appears twice`);
    return store.add(rec);
  };
  const located = (at: string, locationUid: string, uid: string, createdAt?: string): StoredResource => {
    const org = orgOf(at, locationUid);
    return base(at, uid, org, ownersOf([locationUid]), createdAt);
  };

  (seed.contactTags ?? []).forEach((s, i) => {
    const at = where("contactTags", i);
    owned(at, s.organizationUid, []);
    add(at, r.contactTags, newContactTag(base(at, s.uid, s.organizationUid, NO_OWNERS).uid, s.organizationUid, s.label, s.description ?? null, SEED_TIME));
  });
  (seed.contactAttributes ?? []).forEach((s, i) => {
    const at = where("contactAttributes", i);
    owned(at, s.organizationUid, []);
    add(at, r.contactAttributes, newContactAttribute(base(at, s.uid, s.organizationUid, NO_OWNERS).uid, s.organizationUid, s.label, s.dataType, SEED_TIME));
  });
  (seed.contacts ?? []).forEach((s, i) => {
    const at = where("contacts", i);
    const first = s.locations[0];
    if (first === undefined) throw new InvalidFixtureError(`${at}.locations must name at least one location`);
    const org = orgOf(at, first);
    owned(at, org, s.locations);
    if (state.contacts.find(org, s.uid) !== undefined) throw new InvalidFixtureError(`${at}: uid ${s.uid} appears twice`);
    const write = { name: s.name, locations: s.locations, ...(s.phoneNumber === undefined ? {} : { phoneNumber: s.phoneNumber }), ...(s.email === undefined ? {} : { email: s.email }), tags: s.tags ?? [], attributes: s.attributes ?? [] };
    state.contacts.create(org, write, s.createdAt ?? SEED_TIME, { uid: s.uid, conversationUid: s.conversationUid });
  });
  (seed.conversations ?? []).forEach((s, i) => {
    const at = where("conversations", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    const messages = (s.messages ?? []).map((m) => ({ ...newMessage(m.body, m.direction ?? "inbound", m.createdAt ?? b.createdAt), uid: m.uid, contactName: s.contactName ?? null }));
    const last = messages.at(-1)?.createdAt ?? null;
    add(at, r.conversations, { ...b, locationUid: s.locationUid, channel: { ...s.channel }, contactName: s.contactName ?? null, assignedUserUid: null, assigneeUids: [], closed: false, lastItemAt: last, messages, notes: [] });
    if (s.contactUid !== undefined) {
      const contact = state.contacts.find(b.organizationUid, s.contactUid);
      if (contact === undefined) throw new InvalidFixtureError(`${at}: unknown contact ${s.contactUid}`);
      state.contacts.addConversation(contact, s.uid);
    }
  });
  (seed.reviews ?? []).forEach((s, i) => {
    const at = where("reviews", i);
    const first = s.locations[0];
    if (first === undefined) throw new InvalidFixtureError(`${at}.locations must name at least one location`);
    const org = orgOf(at, first);
    const b = base(at, s.uid, org, owned(at, org, s.locations), s.createdAt);
    const responses = (s.responses ?? []).map((x) => ({ uid: x.uid, body: x.body, isDeleted: false, likeCount: 0, siteAuthorName: null, source: "podium", createdAt: x.createdAt ?? b.createdAt, updatedAt: x.createdAt ?? b.createdAt }));
    const attributions = (s.attributions ?? []).map((a) => ({ uid: a.uid, userUid: a.userUid, locationUid: a.locationUid, editedByUserUid: a.userUid, apiClientUid: null, reviewInviteUid: null, isDeleted: false, createdAt: b.createdAt, updatedAt: b.createdAt }));
    const siteReviewId = `site-${s.uid.slice(-6)}`;
    add(at, r.reviews, { ...b, rating: s.rating, body: s.body, siteName: s.siteName, siteReviewId, url: `https://reviews.example/${siteReviewId}`, authorName: s.authorName, isRecommendation: null, needsResponse: responses.length === 0, responses, attributions });
  });
  (seed.reviewInvites ?? []).forEach((s, i) => {
    const at = where("reviewInvites", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    const ch = s.phoneNumber !== undefined ? channelFor(s.phoneNumber) : s.email !== undefined ? channelFor(s.email) : null;
    add(at, r.reviewInvites, newReviewInvite(b.uid, b.organizationUid, s.locationUid, ch, s.senderUid, b.createdAt));
  });
  (seed.readers ?? []).forEach((s, i) => {
    const at = where("readers", i);
    add(at, r.readers, { ...located(at, s.locationUid, s.uid), locationUid: s.locationUid, label: s.label, status: "active" });
  });
  (seed.invoices ?? []).forEach((s, i) => {
    const at = where("invoices", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    const amount = s.lineItems.reduce((sum, l) => sum + l.amount, 0);
    const payments: PaymentRecord[] = [];
    if (s.payment !== undefined) {
      payments.push(add(at, r.payments, { ...base(at, s.payment.uid, b.organizationUid, b.owners, b.createdAt), invoiceUid: b.uid, amount, status: "paid", cardBrand: "visa", cardLast4: "4242", idempotencyUid: null, refunds: [], settledAt: b.createdAt }));
    }
    add(at, r.invoices, {
      ...b,
      locationUid: s.locationUid,
      channel: channelFor(s.channelIdentifier),
      customerName: s.customerName,
      invoiceNumber: s.invoiceNumber,
      lineItems: s.lineItems.map((l) => ({ ...l })),
      amount,
      status: payments.length > 0 ? "paid" : "created",
      canceledAt: null,
      canceledNote: null,
      paidAt: payments.length > 0 ? b.createdAt : null,
      readerUid: null,
      conversationUid: null,
      allowedPaymentMethods: ["creditCard", "debitCard"],
      payments,
    });
  });
  (seed.refunds ?? []).forEach((s, i) => {
    const at = where("refunds", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    add(at, r.refunds, newRefund(b.uid, b.organizationUid, { locationUid: s.locationUid, amount: s.amount, reason: s.reason, customerName: s.customerName, channelIdentifier: s.channelIdentifier, readerUid: s.readerUid }, b.createdAt));
  });
  (seed.calls ?? []).forEach((s, i) => {
    const at = where("calls", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    const locationPhoneNumber = state.model.locations.get(s.locationUid)?.phoneNumber ?? null;
    add(at, r.calls, { ...b, locationUid: s.locationUid, conversationUid: s.conversationUid ?? null, customerPhoneNumber: s.customerPhoneNumber, locationPhoneNumber, direction: s.direction, durationSeconds: s.durationSeconds, status: s.status, hasVoicemail: false, userUid: null });
  });
  (seed.campaigns ?? []).forEach((s, i) => {
    const at = where("campaigns", i);
    const b = base(at, s.uid, s.organizationUid, owned(at, s.organizationUid, s.locations), s.createdAt);
    add(at, r.campaigns, { ...b, name: s.name, status: s.status, message: s.message ?? null, includeActiveConversations: false, recentlySentSubscriberOverride: false, startedAt: s.status === "ACTIVE" ? b.createdAt : null, endedAt: null });
  });
  (seed.campaignInteractions ?? []).forEach((s, i) => {
    const at = where("campaignInteractions", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    add(at, r.campaignInteractions, newCampaignInteraction(b.uid, b.organizationUid, { locationUid: s.locationUid, campaignUid: s.campaignUid, contactUid: s.contactUid ?? null, conversationUid: null, interactionType: s.interactionType }, b.createdAt));
  });
  (seed.templates ?? []).forEach((s, i) => {
    const at = where("templates", i);
    const b = base(at, s.uid, s.organizationUid, owned(at, s.organizationUid, s.locations), s.createdAt);
    add(at, r.templates, { ...b, accessLevel: s.locations.length === 0 ? "organization" : "location", title: s.title, text: s.text, subject: null, type: "custom", attachmentUrl: null, nonDeletable: false, userUid: s.userUid });
  });
  (seed.webhooks ?? []).forEach((s, i) => {
    const at = where("webhooks", i);
    owned(at, s.organizationUid, s.locationUid === undefined ? [] : [s.locationUid]);
    const b = base(at, s.uid, s.organizationUid, NO_OWNERS, s.createdAt);
    add(at, r.webhooks, newWebhook(b.uid, s.organizationUid, s.locationUid ?? null, s.url, [...s.eventTypes], b.createdAt));
  });
  (seed.products ?? []).forEach((s, i) => {
    const at = where("products", i);
    owned(at, s.organizationUid, []);
    const b = base(at, s.uid, s.organizationUid, NO_OWNERS);
    add(at, r.products, { ...b, name: s.name, price: s.price, description: s.description ?? null, xid: s.xid ?? null, images: (s.images ?? []).map((img) => newProductImage(b.uid, img.isPrimary, img.uid)) });
  });
  (seed.feedback ?? []).forEach((s, i) => {
    const at = where("feedback", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    add(at, r.feedback, newFeedback(b.uid, b.organizationUid, { locationUid: s.locationUid, customerName: s.customerName, phoneNumber: s.phoneNumber, flowUid: null, score: s.score ?? null, currentStep: s.score === undefined ? "start" : "final" }, b.createdAt));
  });
  (seed.appointments ?? []).forEach((s, i) => {
    const at = where("appointments", i);
    const b = located(at, s.locationUid, s.uid, s.createdAt);
    add(at, r.appointments, { ...b, locationUid: s.locationUid, contactName: s.contactName, contactPhoneNumber: s.contactPhoneNumber, datetime: s.datetime, durationMin: 30, note: null, status: "confirmed", type: "in_person", assignedUserUid: null });
  });
}

/**
 * One valid request per v4 operation against the default fixture's seeded resources, made with the
 * coastal-smiles owner's token (all four locations). `foreign` is the same request naming harbour-auto's
 * resource of the same kind (another organization), for operations that address a resource by id.
 */
import { defaultFixtureIds } from "../src/fixtures/default-fixture-ids.js";
import { defaultResourceIds } from "../src/fixtures/default-resources.js";

const cs = defaultFixtureIds.coastalSmiles;
const c = defaultResourceIds.coastalSmiles;
const h = defaultResourceIds.harbourAuto;
const S = cs.locations.sydney;
const contact = c.contacts.sydney;

/** A request for one operation. */
export interface OperationCase {
  /** `METHOD template`, as in `sandboxRoutes`. */
  op: string;
  path: string;
  body?: unknown;
  /** A multipart body instead of JSON. */
  form?: () => FormData;
  /** The path naming another organization's resource instead. */
  foreign?: string;
}

const enc = encodeURIComponent;
const attachmentForm = (): FormData => {
  const form = new FormData();
  form.set("data", JSON.stringify({ body: "Your x-ray", channel: { type: "phone", identifier: contact.phoneNumber }, locationUid: S }));
  form.set("attachment", new Blob(["x-ray"], { type: "image/png" }), "xray.png");
  return form;
};

/** Every operation of Podium's OpenAPI files, each once. */
export const operationCases: readonly OperationCase[] = [
  { op: "GET /v4/locations", path: "/v4/locations" },
  { op: "GET /v4/locations/{uid}", path: `/v4/locations/${S}` },
  { op: "PATCH /v4/locations/{uid}", path: `/v4/locations/${S}`, body: { displayName: "Coastal Smiles Sydney" } },
  { op: "GET /v4/organizations/{uid}", path: `/v4/organizations/${cs.organizationUid}` },
  { op: "GET /v4/users", path: "/v4/users" },
  { op: "GET /v4/users/{uid}", path: `/v4/users/${cs.users.sydneyFrontDesk}`, foreign: `/v4/users/${defaultFixtureIds.harbourAuto.users.owner}` },
  { op: "POST /v4/appointments", path: "/v4/appointments", body: { contactName: contact.name, contactPhoneNumber: contact.phoneNumber, datetime: "2024-07-01T09:00:00Z", locationUid: S } },
  { op: "GET /v4/campaign_interactions", path: `/v4/campaign_interactions?locationUid=${S}` },
  { op: "GET /v4/campaigns", path: "/v4/campaigns" },
  { op: "POST /v4/campaigns", path: "/v4/campaigns", body: { name: "Spring", status: "DRAFT", locations: [S] } },
  { op: "DELETE /v4/campaigns/{uid}", path: `/v4/campaigns/${c.campaigns.sydney}`, foreign: `/v4/campaigns/${h.campaigns.fremantle}` },
  { op: "GET /v4/campaigns/{uid}", path: `/v4/campaigns/${c.campaigns.sydney}`, foreign: `/v4/campaigns/${h.campaigns.fremantle}` },
  { op: "PUT /v4/campaigns/{uid}", path: `/v4/campaigns/${c.campaigns.sydney}`, body: { name: "Winter", status: "ACTIVE", locations: [S] }, foreign: `/v4/campaigns/${h.campaigns.fremantle}` },
  { op: "POST /v4/campaigns/{uid}/messages", path: `/v4/campaigns/${c.campaigns.sydney}/messages`, body: { channelIdentifier: contact.phoneNumber }, foreign: `/v4/campaigns/${h.campaigns.fremantle}/messages` },
  { op: "GET /v4/contact_attributes", path: "/v4/contact_attributes" },
  { op: "POST /v4/contact_attributes", path: "/v4/contact_attributes", body: { dataType: "STRING", label: "Allergies", ownerResourceType: "ORGANIZATION" } },
  { op: "DELETE /v4/contact_attributes/{uid}", path: `/v4/contact_attributes/${c.contactAttributes.preferredDentist}`, foreign: `/v4/contact_attributes/${h.contactAttributes.rego}` },
  { op: "GET /v4/contact_attributes/{uid}", path: `/v4/contact_attributes/${c.contactAttributes.preferredDentist}`, foreign: `/v4/contact_attributes/${h.contactAttributes.rego}` },
  { op: "PATCH /v4/contact_attributes/{uid}", path: `/v4/contact_attributes/${c.contactAttributes.preferredDentist}`, body: { label: "Dentist" }, foreign: `/v4/contact_attributes/${h.contactAttributes.rego}` },
  { op: "GET /v4/contact_tags", path: "/v4/contact_tags" },
  { op: "POST /v4/contact_tags", path: "/v4/contact_tags", body: { label: "Nervous", description: "Needs extra care" } },
  { op: "GET /v4/contact_tags/{uid}", path: `/v4/contact_tags/${c.contactTags.vip}`, foreign: `/v4/contact_tags/${h.contactTags.fleet}` },
  { op: "PATCH /v4/contact_tags/{uid}", path: `/v4/contact_tags/${c.contactTags.vip}`, body: { description: "Top patient" }, foreign: `/v4/contact_tags/${h.contactTags.fleet}` },
  { op: "GET /v4/contacts", path: "/v4/contacts" },
  { op: "POST /v4/contacts", path: "/v4/contacts", body: { name: "Dana New", phoneNumber: "+61400109999", locations: [S] } },
  { op: "POST /v4/contacts/campaigns/opt_in", path: "/v4/contacts/campaigns/opt_in", body: { channel: { identifier: contact.phoneNumber, type: "PHONE" }, locationUid: S } },
  { op: "POST /v4/contacts/campaigns/opt_out", path: "/v4/contacts/campaigns/opt_out", body: { channel: { identifier: contact.phoneNumber, type: "PHONE" } } },
  { op: "DELETE /v4/contacts/{identifier}", path: `/v4/contacts/${enc(contact.phoneNumber)}`, foreign: `/v4/contacts/${enc(h.contacts.fremantle.phoneNumber)}` },
  { op: "GET /v4/contacts/{identifier}", path: `/v4/contacts/${contact.email}`, foreign: `/v4/contacts/${h.contacts.fremantle.email}` },
  { op: "PATCH /v4/contacts/{identifier}", path: `/v4/contacts/${contact.conversationUid}`, body: { name: "Amelia S." }, foreign: `/v4/contacts/${h.contacts.fremantle.conversationUid}` },
  { op: "DELETE /v4/contacts/{identifier}/attributes/{uid}", path: `/v4/contacts/${contact.uid}/attributes/${c.contactAttributes.preferredDentist}`, foreign: `/v4/contacts/${h.contacts.fremantle.uid}/attributes/${h.contactAttributes.rego}` },
  { op: "PATCH /v4/contacts/{identifier}/attributes/{uid}", path: `/v4/contacts/${contact.uid}/attributes/${c.contactAttributes.preferredDentist}`, body: { value: "Dr Wu" }, foreign: `/v4/contacts/${h.contacts.fremantle.uid}/attributes/${h.contactAttributes.rego}` },
  { op: "POST /v4/contacts/{identifier}/attributes/{uid}", path: `/v4/contacts/${c.contacts.burleighHeads.uid}/attributes/${c.contactAttributes.preferredDentist}`, body: { value: "Dr Lee" }, foreign: `/v4/contacts/${h.contacts.geelong.uid}/attributes/${h.contactAttributes.rego}` },
  { op: "DELETE /v4/contacts/{identifier}/tags/{uid}", path: `/v4/contacts/${contact.uid}/tags/${c.contactTags.vip}`, foreign: `/v4/contacts/${h.contacts.fremantle.uid}/tags/${h.contactTags.fleet}` },
  { op: "POST /v4/contacts/{identifier}/tags/{uid}", path: `/v4/contacts/${c.contacts.burleighHeads.uid}/tags/${c.contactTags.vip}`, foreign: `/v4/contacts/${h.contacts.geelong.uid}/tags/${h.contactTags.fleet}` },
  { op: "GET /v4/conversations", path: `/v4/conversations?locationUid=${S}` },
  { op: "GET /v4/conversations/{uid}", path: `/v4/conversations/${c.conversations.sydney}`, foreign: `/v4/conversations/${h.conversations.fremantle}` },
  { op: "PUT /v4/conversations/{uid}", path: `/v4/conversations/${c.conversations.sydney}`, body: { closed: true, assignedUserUid: cs.users.sydneyFrontDesk }, foreign: `/v4/conversations/${h.conversations.fremantle}` },
  { op: "GET /v4/conversations/{uid}/assignees", path: `/v4/conversations/${c.conversations.sydney}/assignees`, foreign: `/v4/conversations/${h.conversations.fremantle}/assignees` },
  { op: "PUT /v4/conversations/{uid}/assignees", path: `/v4/conversations/${c.conversations.sydney}/assignees`, body: { assigneeUids: [cs.users.sydneyFrontDesk] }, foreign: `/v4/conversations/${h.conversations.fremantle}/assignees` },
  { op: "POST /v4/conversations/{uid}/lead_writeback", path: `/v4/conversations/${c.conversations.sydney}/lead_writeback`, foreign: `/v4/conversations/${h.conversations.fremantle}/lead_writeback` },
  { op: "POST /v4/conversations/{uid}/notes", path: `/v4/conversations/${c.conversations.sydney}/notes`, body: { body: "Called back", senderName: "Sam" }, foreign: `/v4/conversations/${h.conversations.fremantle}/notes` },
  { op: "GET /v4/feedback", path: "/v4/feedback" },
  { op: "POST /v4/feedback", path: "/v4/feedback", body: { customerName: contact.name, locationUid: S, phoneNumber: contact.phoneNumber } },
  { op: "GET /v4/conversations/{conversation_uid}/messages", path: `/v4/conversations/${c.conversations.sydney}/messages`, foreign: `/v4/conversations/${h.conversations.fremantle}/messages` },
  { op: "GET /v4/conversations/{conversation_uid}/messages/{uid}", path: `/v4/conversations/${c.conversations.sydney}/messages/${c.messages.sydney}`, foreign: `/v4/conversations/${h.conversations.fremantle}/messages/${h.messages.fremantle}` },
  { op: "POST /v4/import/messages", path: "/v4/import/messages", body: { body: "Booked in", channel: { type: "phone", identifier: contact.phoneNumber }, contactName: contact.name, direction: "inbound", locationUid: S, publishedAt: "2024-01-05T10:00:00Z" } },
  { op: "POST /v4/messages", path: "/v4/messages", body: { body: "See you soon", channel: { type: "phone", identifier: contact.phoneNumber }, locationUid: S } },
  { op: "POST /v4/messages/attachment", path: "/v4/messages/attachment", form: attachmentForm },
  { op: "GET /v4/templates", path: `/v4/templates?locationUid=${S}` },
  { op: "POST /v4/templates", path: "/v4/templates", body: { accessLevel: "location", locationUids: [S], text: "Hello", title: "Hi", type: "custom" } },
  { op: "DELETE /v4/templates/{uid}", path: `/v4/templates/${c.templates.sydney}`, foreign: `/v4/templates/${h.templates.fremantle}` },
  { op: "PUT /v4/templates/{uid}", path: `/v4/templates/${c.templates.sydney}`, body: { accessLevel: "location", locationUids: [S], text: "Hello again", title: "Hi", type: "custom" }, foreign: `/v4/templates/${h.templates.fremantle}` },
  { op: "GET /v4/invoices", path: `/v4/invoices?locationUid=${S}` },
  { op: "POST /v4/invoices", path: "/v4/invoices", body: { channelIdentifier: contact.phoneNumber, customerName: contact.name, invoiceNumber: "SYD-9", lineItems: [{ amount: 1000, description: "Floss" }], locationUid: S } },
  { op: "GET /v4/invoices/{uid}", path: `/v4/invoices/${c.invoices.sydneyOpen}?locationUid=${S}`, foreign: `/v4/invoices/${h.invoices.fremantlePaid}?locationUid=${S}` },
  { op: "POST /v4/invoices/{uid}/cancel", path: `/v4/invoices/${c.invoices.sydneyOpen}/cancel`, body: { locationUid: S, note: "Duplicate" }, foreign: `/v4/invoices/${h.invoices.fremantlePaid}/cancel` },
  { op: "POST /v4/invoices/{uid}/charge", path: `/v4/invoices/${c.invoices.sydneyOpen}/charge`, body: { locationUid: S, paymentMethodId: "pm_card_visa" }, foreign: `/v4/invoices/${h.invoices.fremantlePaid}/charge` },
  { op: "POST /v4/invoices/{uid}/refund", path: `/v4/invoices/${c.invoices.sydneyPaid}/refund`, body: { amount: 500, locationUid: S, paymentUid: c.payments.sydney, reason: "requested_by_customer" }, foreign: `/v4/invoices/${h.invoices.fremantlePaid}/refund` },
  { op: "POST /v4/invoices/{uid}/setup", path: `/v4/invoices/${c.invoices.sydneyOpen}/setup`, body: { locationUid: S }, foreign: `/v4/invoices/${h.invoices.fremantlePaid}/setup` },
  { op: "GET /v4/payments/{uid}", path: `/v4/payments/${c.payments.sydney}`, foreign: `/v4/payments/${h.payments.fremantle}` },
  { op: "GET /v4/readers/{uid}", path: `/v4/readers/${c.readers.sydney}`, foreign: `/v4/readers/${h.readers.fremantle}` },
  { op: "POST /v4/refunds", path: "/v4/refunds", body: { amount: 700, channelIdentifier: contact.phoneNumber, customerName: contact.name, locationUid: S, readerUid: c.readers.sydney, reason: "duplicate" } },
  { op: "GET /v4/refunds/{uid}", path: `/v4/refunds/${c.refunds.sydney}?locationUid=${S}`, foreign: `/v4/refunds/${h.refunds.fremantle}?locationUid=${S}` },
  { op: "GET /v4/calls/{uid}", path: `/v4/calls/${c.calls.sydney}`, foreign: `/v4/calls/${h.calls.fremantle}` },
  { op: "GET /v4/products", path: `/v4/products?locationUid=${S}` },
  { op: "GET /v4/products/{uid}", path: `/v4/products/${c.products.whitening}`, foreign: `/v4/products/${h.products.service}` },
  { op: "DELETE /v4/products/{uid}/delete_images", path: `/v4/products/${c.products.whitening}/delete_images`, body: { locationUid: S, uids: [c.productImages.whitening] }, foreign: `/v4/products/${h.products.service}/delete_images` },
  { op: "POST /v4/products/{uid}/upload_images", path: `/v4/products/${c.products.checkup}/upload_images`, body: { images: [{ data: "aGVsbG8=", isPrimary: true }], locationUid: S }, foreign: `/v4/products/${h.products.service}/upload_images` },
  { op: "GET /v4/reviews", path: "/v4/reviews" },
  { op: "GET /v4/reviews/invites", path: "/v4/reviews/invites" },
  { op: "POST /v4/reviews/invites", path: "/v4/reviews/invites", body: { locationUid: S, phoneNumber: contact.phoneNumber } },
  { op: "GET /v4/reviews/invites/{uid}", path: `/v4/reviews/invites/${c.reviewInvites.sydney}`, foreign: `/v4/reviews/invites/${h.reviewInvites.fremantle}` },
  { op: "GET /v4/reviews/sites/summary", path: `/v4/reviews/sites/summary?locationUids[]=${S}` },
  { op: "GET /v4/reviews/summary", path: `/v4/reviews/summary?locationUids[]=${S}` },
  { op: "PATCH /v4/reviews/{review_uid}/responses/{uid}", path: `/v4/reviews/${c.reviews.sydney}/responses/${c.reviewResponses.sydney}`, body: { body: "Thanks again!" }, foreign: `/v4/reviews/${h.reviews.fremantle}/responses/${h.reviewResponses.fremantle}` },
  { op: "GET /v4/reviews/{uid}", path: `/v4/reviews/${c.reviews.sydney}`, foreign: `/v4/reviews/${h.reviews.fremantle}` },
  { op: "DELETE /v4/reviews/{uid}/attributions", path: `/v4/reviews/${c.reviews.sydney}/attributions`, body: { userUid: cs.users.sydneyFrontDesk }, foreign: `/v4/reviews/${h.reviews.fremantle}/attributions` },
  { op: "POST /v4/reviews/{uid}/attributions", path: `/v4/reviews/${c.reviews.sydney}/attributions`, body: { locationUid: S, userUid: cs.users.owner }, foreign: `/v4/reviews/${h.reviews.fremantle}/attributions` },
  { op: "GET /v4/reviews/{uid}/responses", path: `/v4/reviews/${c.reviews.sydney}/responses`, foreign: `/v4/reviews/${h.reviews.fremantle}/responses` },
  { op: "POST /v4/reviews/{uid}/responses", path: `/v4/reviews/${c.reviews.sydney}/responses`, body: { body: "Glad you liked it" }, foreign: `/v4/reviews/${h.reviews.fremantle}/responses` },
  { op: "GET /v4/webhooks", path: "/v4/webhooks" },
  { op: "POST /v4/webhooks", path: "/v4/webhooks", body: { url: "https://hooks.example/new", eventTypes: ["message.received"], locationUid: S } },
  { op: "DELETE /v4/webhooks/{uid}", path: `/v4/webhooks/${c.webhooks.sydney}`, foreign: `/v4/webhooks/${h.webhooks.fremantle}` },
  { op: "GET /v4/webhooks/{uid}", path: `/v4/webhooks/${c.webhooks.sydney}`, foreign: `/v4/webhooks/${h.webhooks.fremantle}` },
  { op: "PUT /v4/webhooks/{uid}", path: `/v4/webhooks/${c.webhooks.sydney}`, body: { disabled: true }, foreign: `/v4/webhooks/${h.webhooks.fremantle}` },
];

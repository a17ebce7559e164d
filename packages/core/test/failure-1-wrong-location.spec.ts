/**
 * Failure 1 of the README, "a write lands on the wrong location", proven for every one of Podium's 86 operations
 * (issue 10, "How it must be proven").
 *
 * Burleigh Heads (A) is registered on the coastal-smiles owner's credential, whose token reaches all four locations,
 * so Podium itself would let every call through; Sydney (B) is registered on its own Sydney-only credential. For each
 * operation of the policy table (iterated, so a new operation cannot be forgotten):
 * - routed as Burleigh Heads against Sydney's resource (or Sydney's list, or an organization-level object without
 *   an organization grant), the call is refused with its typed error, nothing of the operation is sent upstream
 *   (the sandbox's ledger shows at most the owner lookup GET, never a write), exactly one audit line carries the
 *   error code, and Sydney's state, read routed as Sydney before and after, is unchanged;
 * - the same operation on Burleigh Heads' own resource (with an organization grant for organization-level ones)
 *   succeeds, a list answers none of Sydney's items on any page, and no write touches another location's resource.
 * Then the bad input of the issue (unknown route or method, encoded path tricks, forged and foreign cursors, another
 * organization's ids, ids Podium does not know) and the contact rules (item 4). The whole file runs under every
 * setting of the sandbox's switches for what Podium leaves undocumented.
 */
import { isCoreError } from "@podium-router/errors";
import {
  defaultFixtureIds,
  defaultResourceIds,
  matchSandboxRoute,
  sandboxRoutes,
  type Faults,
  type LedgerEntry,
} from "@podium-router/podium-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policyRows, type OperationPolicy } from "../src/isolation/index.js";
import { podiumRoutes } from "../src/isolation/podium-routes.js";
import type { CallContext } from "../src/router/index.js";
import { createHarness, fixtureGrant, type Harness } from "../src/testing/router-harness.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const r = defaultResourceIds.coastalSmiles;
const hr = defaultResourceIds.harbourAuto;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;
const UNKNOWN = "c0a57a15-5e11-4fff-a000-00000000dead";
const ORG_GRANT: CallContext = { organizations: [cs.slug] };
const enc = encodeURIComponent;

type Code = "ERR_LOC_NOT_OWNED" | "ERR_LOC_MISMATCH" | "ERR_LOC_PERMISSION_DENIED" | "ERR_LOC_BAD_REQUEST";

interface Req {
  method: string;
  path: string;
  body?: unknown;
}

/** A call routed as Burleigh Heads that must be refused. */
interface Refusal {
  why: string;
  req: Req;
  code: Code;
  /** Sydney's view of what the call aimed at, read routed as Sydney before and after (defaults to the case's). */
  probe?: string[];
}

/** What the world offers a case: the harness, and Podium directly (owner's token, for setting up A's resources). */
interface World {
  h: Harness;
  podium(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

interface CaseDef {
  /** Routed as Burleigh Heads against Sydney's resource or list: refused. */
  refuse: Refusal[];
  /** Sydney's state the refusals aim at, read routed as Sydney (with an organization grant) before and after. */
  probe: string[];
  /** The same operation on Burleigh Heads' own resource (set up first when it must be fresh): it succeeds. */
  own(w: World): Promise<Req> | Req;
  /** Lists: the pages walked for the own check ask `limit=` (false for one-page answers such as summaries). */
  paged?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// The resources of one side, so an owned operation's refusal, its other-organization and unknown-id variants are
// the same request with other ids.

interface Side {
  contact: string;
  conversation: string;
  message: string;
  campaign: string;
  review: string;
  reviewResponse: string;
  invite: string;
  invoice: string;
  paidInvoice: string;
  payment: string;
  reader: string;
  refund: string;
  call: string;
  webhook: string;
  user: string;
  attribute: string;
  tag: string;
}

const SYD: Side = {
  contact: r.contacts.sydney.email,
  conversation: r.conversations.sydney,
  message: r.messages.sydney,
  campaign: r.campaigns.sydney,
  review: r.reviews.sydney,
  reviewResponse: r.reviewResponses.sydney,
  invite: r.reviewInvites.sydney,
  invoice: r.invoices.sydneyOpen,
  paidInvoice: r.invoices.sydneyPaid,
  payment: r.payments.sydney,
  reader: r.readers.sydney,
  refund: r.refunds.sydney,
  call: r.calls.sydney,
  webhook: r.webhooks.sydney,
  user: cs.users.sydneyFrontDesk,
  attribute: r.contactAttributes.preferredDentist,
  tag: r.contactTags.vip,
};

const HARBOUR: Side = {
  contact: hr.contacts.fremantle.email,
  conversation: hr.conversations.fremantle,
  message: hr.messages.fremantle,
  campaign: hr.campaigns.fremantle,
  review: hr.reviews.fremantle,
  reviewResponse: hr.reviewResponses.fremantle,
  invite: hr.reviewInvites.fremantle,
  invoice: hr.invoices.fremantlePaid,
  paidInvoice: hr.invoices.fremantlePaid,
  payment: hr.payments.fremantle,
  reader: hr.readers.fremantle,
  refund: hr.refunds.fremantle,
  call: hr.calls.fremantle,
  webhook: hr.webhooks.fremantle,
  user: ha.users.owner,
  attribute: hr.contactAttributes.rego,
  tag: hr.contactTags.fleet,
};

const NOBODY: Side = Object.fromEntries(Object.keys(SYD).map((k) => [k, UNKNOWN])) as unknown as Side;

/** Owned operations: the request on one side's resource. */
const ownedAt: Record<string, (s: Side) => Req> = {
  "GET /v4/users/{uid}": (s) => ({ method: "GET", path: `/v4/users/${s.user}` }),
  "DELETE /v4/campaigns/{uid}": (s) => ({ method: "DELETE", path: `/v4/campaigns/${s.campaign}` }),
  "GET /v4/campaigns/{uid}": (s) => ({ method: "GET", path: `/v4/campaigns/${s.campaign}` }),
  "PUT /v4/campaigns/{uid}": (s) => ({ method: "PUT", path: `/v4/campaigns/${s.campaign}`, body: { name: "Moved to Burleigh", status: "ACTIVE" } }),
  "POST /v4/campaigns/{uid}/messages": (s) => ({ method: "POST", path: `/v4/campaigns/${s.campaign}/messages`, body: { channelIdentifier: r.contacts.burleighHeads.phoneNumber } }),
  "DELETE /v4/contacts/{identifier}": (s) => ({ method: "DELETE", path: `/v4/contacts/${s.contact}` }),
  "GET /v4/contacts/{identifier}": (s) => ({ method: "GET", path: `/v4/contacts/${s.contact}` }),
  "PATCH /v4/contacts/{identifier}": (s) => ({ method: "PATCH", path: `/v4/contacts/${s.contact}`, body: { name: "Renamed from Burleigh" } }),
  "DELETE /v4/contacts/{identifier}/attributes/{uid}": (s) => ({ method: "DELETE", path: `/v4/contacts/${s.contact}/attributes/${s.attribute}` }),
  "PATCH /v4/contacts/{identifier}/attributes/{uid}": (s) => ({ method: "PATCH", path: `/v4/contacts/${s.contact}/attributes/${s.attribute}`, body: { value: "Dr Burleigh" } }),
  "POST /v4/contacts/{identifier}/attributes/{uid}": (s) => ({ method: "POST", path: `/v4/contacts/${s.contact}/attributes/${s.attribute}`, body: { value: "Dr Burleigh" } }),
  "DELETE /v4/contacts/{identifier}/tags/{uid}": (s) => ({ method: "DELETE", path: `/v4/contacts/${s.contact}/tags/${s.tag}` }),
  "POST /v4/contacts/{identifier}/tags/{uid}": (s) => ({ method: "POST", path: `/v4/contacts/${s.contact}/tags/${s.tag}` }),
  "GET /v4/conversations/{uid}": (s) => ({ method: "GET", path: `/v4/conversations/${s.conversation}` }),
  "PUT /v4/conversations/{uid}": (s) => ({ method: "PUT", path: `/v4/conversations/${s.conversation}`, body: { closed: true } }),
  "GET /v4/conversations/{uid}/assignees": (s) => ({ method: "GET", path: `/v4/conversations/${s.conversation}/assignees` }),
  "PUT /v4/conversations/{uid}/assignees": (s) => ({ method: "PUT", path: `/v4/conversations/${s.conversation}/assignees`, body: { assigneeUids: [cs.users.owner] } }),
  "POST /v4/conversations/{uid}/lead_writeback": (s) => ({ method: "POST", path: `/v4/conversations/${s.conversation}/lead_writeback` }),
  "POST /v4/conversations/{uid}/notes": (s) => ({ method: "POST", path: `/v4/conversations/${s.conversation}/notes`, body: { body: "Called back", senderName: "Burleigh desk" } }),
  "GET /v4/conversations/{conversation_uid}/messages": (s) => ({ method: "GET", path: `/v4/conversations/${s.conversation}/messages` }),
  "GET /v4/conversations/{conversation_uid}/messages/{uid}": (s) => ({ method: "GET", path: `/v4/conversations/${s.conversation}/messages/${s.message}` }),
  "GET /v4/invoices/{uid}": (s) => ({ method: "GET", path: `/v4/invoices/${s.invoice}` }),
  "POST /v4/invoices/{uid}/cancel": (s) => ({ method: "POST", path: `/v4/invoices/${s.invoice}/cancel`, body: { note: "Duplicate" } }),
  "POST /v4/invoices/{uid}/charge": (s) => ({ method: "POST", path: `/v4/invoices/${s.invoice}/charge`, body: { paymentMethodId: "pm_card_visa" } }),
  "POST /v4/invoices/{uid}/refund": (s) => ({ method: "POST", path: `/v4/invoices/${s.paidInvoice}/refund`, body: { amount: 100, paymentUid: s.payment, reason: "requested_by_customer" } }),
  "POST /v4/invoices/{uid}/setup": (s) => ({ method: "POST", path: `/v4/invoices/${s.invoice}/setup` }),
  "GET /v4/readers/{uid}": (s) => ({ method: "GET", path: `/v4/readers/${s.reader}` }),
  "GET /v4/refunds/{uid}": (s) => ({ method: "GET", path: `/v4/refunds/${s.refund}` }),
  "GET /v4/calls/{uid}": (s) => ({ method: "GET", path: `/v4/calls/${s.call}` }),
  "GET /v4/reviews/invites/{uid}": (s) => ({ method: "GET", path: `/v4/reviews/invites/${s.invite}` }),
  "PATCH /v4/reviews/{review_uid}/responses/{uid}": (s) => ({ method: "PATCH", path: `/v4/reviews/${s.review}/responses/${s.reviewResponse}`, body: { body: "Edited from Burleigh" } }),
  "GET /v4/reviews/{uid}": (s) => ({ method: "GET", path: `/v4/reviews/${s.review}` }),
  "DELETE /v4/reviews/{uid}/attributions": (s) => ({ method: "DELETE", path: `/v4/reviews/${s.review}/attributions`, body: { userUid: cs.users.owner } }),
  "POST /v4/reviews/{uid}/attributions": (s) => ({ method: "POST", path: `/v4/reviews/${s.review}/attributions`, body: { userUid: cs.users.owner } }),
  "GET /v4/reviews/{uid}/responses": (s) => ({ method: "GET", path: `/v4/reviews/${s.review}/responses` }),
  "POST /v4/reviews/{uid}/responses": (s) => ({ method: "POST", path: `/v4/reviews/${s.review}/responses`, body: { body: "Thanks from Burleigh" } }),
  "DELETE /v4/webhooks/{uid}": (s) => ({ method: "DELETE", path: `/v4/webhooks/${s.webhook}` }),
  "GET /v4/webhooks/{uid}": (s) => ({ method: "GET", path: `/v4/webhooks/${s.webhook}` }),
  "PUT /v4/webhooks/{uid}": (s) => ({ method: "PUT", path: `/v4/webhooks/${s.webhook}`, body: { disabled: true } }),
};

/** Organization-level operations addressing an object by id: the request for one organization's object. */
const organizationAt: Record<string, (s: { attribute: string; tag: string; template: string; payment: string; product: string; image: string }) => Req> = {
  "DELETE /v4/contact_attributes/{uid}": (s) => ({ method: "DELETE", path: `/v4/contact_attributes/${s.attribute}` }),
  "GET /v4/contact_attributes/{uid}": (s) => ({ method: "GET", path: `/v4/contact_attributes/${s.attribute}` }),
  "PATCH /v4/contact_attributes/{uid}": (s) => ({ method: "PATCH", path: `/v4/contact_attributes/${s.attribute}`, body: { label: "Dentist" } }),
  "GET /v4/contact_tags/{uid}": (s) => ({ method: "GET", path: `/v4/contact_tags/${s.tag}` }),
  "PATCH /v4/contact_tags/{uid}": (s) => ({ method: "PATCH", path: `/v4/contact_tags/${s.tag}`, body: { description: "Top patient" } }),
  "DELETE /v4/templates/{uid}": (s) => ({ method: "DELETE", path: `/v4/templates/${s.template}` }),
  "PUT /v4/templates/{uid}": (s) => ({ method: "PUT", path: `/v4/templates/${s.template}`, body: { accessLevel: "location", locationUids: [BURLEIGH], text: "Hello again", title: "Hi", type: "custom" } }),
  "GET /v4/payments/{uid}": (s) => ({ method: "GET", path: `/v4/payments/${s.payment}` }),
  "GET /v4/products/{uid}": (s) => ({ method: "GET", path: `/v4/products/${s.product}` }),
  "DELETE /v4/products/{uid}/delete_images": (s) => ({ method: "DELETE", path: `/v4/products/${s.product}/delete_images`, body: { uids: [s.image] } }),
  "POST /v4/products/{uid}/upload_images": (s) => ({ method: "POST", path: `/v4/products/${s.product}/upload_images`, body: { images: [{ data: "aGVsbG8=", isPrimary: false }] } }),
};
const ORG_SYD = { attribute: r.contactAttributes.preferredDentist, tag: r.contactTags.vip, template: r.templates.sydney, payment: r.payments.sydney, product: r.products.whitening, image: r.productImages.whiteningAfter };
const ORG_HARBOUR = { attribute: hr.contactAttributes.rego, tag: hr.contactTags.fleet, template: hr.templates.fremantle, payment: hr.payments.fremantle, product: hr.products.service, image: hr.productImages.service };

// ---------------------------------------------------------------------------------------------------------------
// Set-up helpers: fresh resources of Burleigh Heads, made directly at Podium with the owner's token.

async function made(w: World, path: string, body: unknown, pick: (b: any) => string = (b) => b.data.uid): Promise<string> {
  const res = await w.podium("POST", path, body);
  if (res.status >= 300) throw new Error(`set-up POST ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
  return pick(res.body);
}
let serial = 0;
const fresh = () => `${Date.now().toString(36)}${(serial++).toString(36)}`;
const burleighCampaign = (w: World) => made(w, "/v4/campaigns", { name: `Burleigh ${fresh()}`, status: "DRAFT", locations: [BURLEIGH] });
const burleighInvoice = (w: World) =>
  made(w, "/v4/invoices", { channelIdentifier: r.contacts.burleighHeads.phoneNumber, customerName: r.contacts.burleighHeads.name, invoiceNumber: `BUR-${fresh()}`, lineItems: [{ amount: 1000, description: "Floss" }], locationUid: BURLEIGH });
const burleighWebhook = (w: World) => made(w, "/v4/webhooks", { url: `https://hooks.burleigh.example/${fresh()}`, eventTypes: ["message.received"], locationUid: BURLEIGH });
const burleighContact = async (w: World) => {
  const email = `burleigh-${fresh()}@patients.example`;
  await made(w, "/v4/contacts", { name: "Fresh Burleigh", email, locations: [BURLEIGH] }, (b) => b.data.identifier);
  return email;
};
const BUR: Side = {
  contact: r.contacts.burleighHeads.email,
  conversation: r.conversations.burleighHeads,
  message: r.messages.burleighHeads,
  campaign: "",
  review: r.reviews.burleighHeads,
  reviewResponse: "",
  invite: r.reviewInvites.burleighHeads,
  invoice: r.invoices.burleighHeadsPaid,
  paidInvoice: r.invoices.burleighHeadsPaid,
  payment: r.payments.burleighHeads,
  reader: r.readers.burleighHeads,
  refund: r.refunds.burleighHeads,
  call: r.calls.burleighHeads,
  webhook: "",
  user: cs.users.owner,
  attribute: r.contactAttributes.preferredDentist,
  tag: r.contactTags.vip,
};
const blakeAttribute = `/v4/contacts/${r.contacts.burleighHeads.uid}/attributes/${r.contactAttributes.preferredDentist}`;

/** The own case of an owned operation: Burleigh Heads' side, with fresh resources where the operation needs them. */
const ownedOwn: Record<string, (w: World) => Promise<Side> | Side> = {
  "DELETE /v4/campaigns/{uid}": async (w) => ({ ...BUR, campaign: await burleighCampaign(w) }),
  "GET /v4/campaigns/{uid}": () => ({ ...BUR, campaign: r.campaigns.shared }),
  "PUT /v4/campaigns/{uid}": async (w) => ({ ...BUR, campaign: await burleighCampaign(w) }),
  "POST /v4/campaigns/{uid}/messages": async (w) => ({ ...BUR, campaign: await burleighCampaign(w) }),
  "DELETE /v4/contacts/{identifier}": async (w) => ({ ...BUR, contact: await burleighContact(w) }),
  "DELETE /v4/contacts/{identifier}/attributes/{uid}": async (w) => {
    await w.podium("POST", blakeAttribute, { value: "Dr Lee" });
    return BUR;
  },
  "PATCH /v4/contacts/{identifier}/attributes/{uid}": async (w) => {
    await w.podium("POST", blakeAttribute, { value: "Dr Lee" });
    return BUR;
  },
  "DELETE /v4/contacts/{identifier}/tags/{uid}": async (w) => {
    await w.podium("POST", `/v4/contacts/${r.contacts.burleighHeads.uid}/tags/${r.contactTags.vip}`);
    return BUR;
  },
  "POST /v4/invoices/{uid}/cancel": async (w) => ({ ...BUR, invoice: await burleighInvoice(w) }),
  "POST /v4/invoices/{uid}/charge": async (w) => ({ ...BUR, invoice: await burleighInvoice(w) }),
  "POST /v4/invoices/{uid}/setup": async (w) => ({ ...BUR, invoice: await burleighInvoice(w) }),
  "PATCH /v4/reviews/{review_uid}/responses/{uid}": async (w) => ({ ...BUR, reviewResponse: await made(w, `/v4/reviews/${r.reviews.burleighHeads}/responses`, { body: "Thanks!" }) }),
  "DELETE /v4/reviews/{uid}/attributions": async (w) => {
    await w.podium("POST", `/v4/reviews/${r.reviews.burleighHeads}/attributions`, { userUid: cs.users.owner, locationUid: BURLEIGH });
    return BUR;
  },
  "DELETE /v4/webhooks/{uid}": async (w) => ({ ...BUR, webhook: await burleighWebhook(w) }),
  "GET /v4/webhooks/{uid}": async (w) => ({ ...BUR, webhook: await burleighWebhook(w) }),
  "PUT /v4/webhooks/{uid}": async (w) => ({ ...BUR, webhook: await burleighWebhook(w) }),
};

/** What Sydney sees of the resource an owned operation addresses (read routed as Sydney). */
const ownedProbe = (op: string): string[] => {
  if (op.includes("/v4/users/")) return [`/v4/users/${SYD.user}`];
  if (op.includes("/v4/campaigns/")) return [`/v4/campaigns/${SYD.campaign}`, `/v4/campaigns/${r.campaigns.shared}`];
  if (op.includes("/v4/contacts/")) return [`/v4/contacts/${SYD.contact}`, `/v4/contacts/${r.contacts.shared.email}`];
  if (op.includes("/v4/conversations/")) return [`/v4/conversations/${SYD.conversation}`, `/v4/conversations/${SYD.conversation}/messages`, `/v4/conversations/${SYD.conversation}/assignees`];
  if (op.includes("/v4/invoices/")) return [`/v4/invoices/${SYD.invoice}`, `/v4/invoices/${SYD.paidInvoice}`];
  if (op.includes("/v4/readers/")) return [`/v4/readers/${SYD.reader}`];
  if (op.includes("/v4/refunds/")) return [`/v4/refunds/${SYD.refund}`];
  if (op.includes("/v4/calls/")) return [`/v4/calls/${SYD.call}`];
  if (op.includes("/v4/reviews/invites/")) return [`/v4/reviews/invites/${SYD.invite}`];
  if (op.includes("/v4/reviews/")) return [`/v4/reviews/${SYD.review}`, `/v4/reviews/${SYD.review}/responses`, `/v4/reviews/${r.reviews.shared}`];
  if (op.includes("/v4/webhooks/")) return [`/v4/webhooks/${SYD.webhook}`];
  throw new Error(`no probe for ${op}`);
};

const MISMATCH = "ERR_LOC_MISMATCH" as const;
const NOT_OWNED = "ERR_LOC_NOT_OWNED" as const;
const DENIED = "ERR_LOC_PERMISSION_DENIED" as const;
const amelia = r.contacts.sydney;
const blake = r.contacts.burleighHeads;
const ameliaPhone = { type: "phone", identifier: amelia.phoneNumber };
const blakePhone = { type: "phone", identifier: blake.phoneNumber };

/** A list operation: Sydney's list is refused (it names Sydney); Burleigh Heads' own list answers only its items. */
const listCase = (path: string, filter = "locationUid", paged = true, own?: (w: World) => Promise<void>): CaseDef => ({
  refuse: [{ why: "Sydney's list", req: { method: "GET", path: `${path}?${filter}=${SYDNEY}` }, code: MISMATCH }],
  probe: [path === "/v4/locations" ? `/v4/locations/${SYDNEY}` : path],
  async own(w) {
    await own?.(w);
    return { method: "GET", path };
  },
  paged,
});
const organizationCase = (req: Req, probe: string[], own: (w: World) => Promise<Req> | Req = () => req): CaseDef => ({
  refuse: [{ why: "organization-level without an organization grant", req, code: DENIED }],
  probe,
  own,
});

/** The cases that are not "an owned resource by id". Owned ones are built from `ownedAt` below. */
const special: Record<string, CaseDef> = {
  "GET /v4/locations": listCase("/v4/locations"),
  "GET /v4/locations/{uid}": {
    refuse: [{ why: "Sydney's location", req: { method: "GET", path: `/v4/locations/${SYDNEY}` }, code: MISMATCH }],
    probe: [`/v4/locations/${SYDNEY}`],
    own: () => ({ method: "GET", path: `/v4/locations/${BURLEIGH}` }),
  },
  "PATCH /v4/locations/{uid}": {
    refuse: [{ why: "Sydney's location", req: { method: "PATCH", path: `/v4/locations/${SYDNEY}`, body: { displayName: "Burleigh was here" } }, code: MISMATCH }],
    probe: [`/v4/locations/${SYDNEY}`],
    own: () => ({ method: "PATCH", path: `/v4/locations/${BURLEIGH}`, body: { displayName: "Coastal Smiles Burleigh Heads" } }),
  },
  "GET /v4/organizations/{uid}": organizationCase({ method: "GET", path: `/v4/organizations/${cs.organizationUid}` }, [`/v4/organizations/${cs.organizationUid}`]),
  "GET /v4/users": organizationCase({ method: "GET", path: "/v4/users" }, ["/v4/users"]),
  "POST /v4/appointments": {
    refuse: [{ why: "names Sydney", req: { method: "POST", path: "/v4/appointments", body: { contactName: amelia.name, contactPhoneNumber: amelia.phoneNumber, datetime: "2024-07-01T09:00:00Z", locationUid: SYDNEY } }, code: MISMATCH }],
    probe: [`/v4/contacts/${amelia.email}`],
    own: () => ({ method: "POST", path: "/v4/appointments", body: { contactName: blake.name, contactPhoneNumber: blake.phoneNumber, datetime: "2024-07-01T09:00:00Z" } }),
  },
  "GET /v4/campaign_interactions": listCase("/v4/campaign_interactions"),
  "GET /v4/campaigns": listCase("/v4/campaigns"),
  "POST /v4/campaigns": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/campaigns", body: { name: "Spring", status: "DRAFT", locations: [SYDNEY] } }, code: MISMATCH },
      { why: "organization-wide (no locations) without a grant", req: { method: "POST", path: "/v4/campaigns", body: { name: "Everyone", status: "DRAFT", locations: [] } }, code: DENIED },
    ],
    probe: ["/v4/campaigns?limit=100"],
    own: () => ({ method: "POST", path: "/v4/campaigns", body: { name: "Burleigh spring", status: "DRAFT" } }),
  },
  "GET /v4/contact_attributes": organizationCase({ method: "GET", path: "/v4/contact_attributes" }, ["/v4/contact_attributes"]),
  "POST /v4/contact_attributes": organizationCase({ method: "POST", path: "/v4/contact_attributes", body: { dataType: "STRING", label: "Allergies", ownerResourceType: "ORGANIZATION" } }, ["/v4/contact_attributes"]),
  "GET /v4/contact_tags": organizationCase({ method: "GET", path: "/v4/contact_tags" }, ["/v4/contact_tags"]),
  "POST /v4/contact_tags": organizationCase({ method: "POST", path: "/v4/contact_tags", body: { label: "Nervous", description: "Needs extra care" } }, ["/v4/contact_tags"]),
  "GET /v4/contacts": listCase("/v4/contacts"),
  "POST /v4/contacts": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/contacts", body: { name: "Dana New", phoneNumber: "+61400109999", locations: [SYDNEY] } }, code: MISMATCH },
      { why: "upsert on a Sydney customer's phone", req: { method: "POST", path: "/v4/contacts", body: { name: "Overwritten", phoneNumber: amelia.phoneNumber } }, code: NOT_OWNED },
      { why: "upsert on a Sydney customer's email", req: { method: "POST", path: "/v4/contacts", body: { name: "Overwritten", email: amelia.email } }, code: NOT_OWNED },
      { why: "upsert on a Sydney conversation uid", req: { method: "POST", path: "/v4/contacts", body: { name: "Overwritten", conversationUid: amelia.conversationUid } }, code: NOT_OWNED },
      { why: "upsert on a Newcastle customer's phone", req: { method: "POST", path: "/v4/contacts", body: { name: "Overwritten", phoneNumber: r.contacts.newcastle.phoneNumber } }, code: NOT_OWNED },
    ],
    probe: [`/v4/contacts/${amelia.email}`, "/v4/contacts?limit=100"],
    own: () => ({ method: "POST", path: "/v4/contacts", body: { name: "Dana Burleigh", phoneNumber: "+61400109998" } }),
  },
  "POST /v4/contacts/campaigns/opt_in": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/contacts/campaigns/opt_in", body: { channel: { identifier: blake.phoneNumber, type: "PHONE" }, locationUid: SYDNEY } }, code: MISMATCH },
      { why: "a Sydney customer's phone", req: { method: "POST", path: "/v4/contacts/campaigns/opt_in", body: { channel: { identifier: amelia.phoneNumber, type: "PHONE" } } }, code: NOT_OWNED },
    ],
    probe: [`/v4/contacts/${amelia.email}`],
    own: () => ({ method: "POST", path: "/v4/contacts/campaigns/opt_in", body: { channel: { identifier: blake.phoneNumber, type: "PHONE" } } }),
  },
  "POST /v4/contacts/campaigns/opt_out": organizationCase(
    { method: "POST", path: "/v4/contacts/campaigns/opt_out", body: { channel: { identifier: amelia.phoneNumber, type: "PHONE" } } },
    [`/v4/contacts/${amelia.email}`],
    () => ({ method: "POST", path: "/v4/contacts/campaigns/opt_out", body: { channel: { identifier: blake.phoneNumber, type: "PHONE" } } }),
  ),
  "GET /v4/conversations": listCase("/v4/conversations"),
  "GET /v4/feedback": listCase("/v4/feedback"),
  "POST /v4/feedback": {
    refuse: [{ why: "names Sydney", req: { method: "POST", path: "/v4/feedback", body: { customerName: amelia.name, locationUid: SYDNEY, phoneNumber: amelia.phoneNumber } }, code: MISMATCH }],
    probe: ["/v4/feedback?limit=100"],
    own: () => ({ method: "POST", path: "/v4/feedback", body: { customerName: blake.name, phoneNumber: blake.phoneNumber } }),
  },
  "POST /v4/import/messages": {
    refuse: [
      {
        why: "names Sydney",
        req: { method: "POST", path: "/v4/import/messages", body: { body: "Booked in", channel: ameliaPhone, contactName: amelia.name, direction: "inbound", locationUid: SYDNEY, publishedAt: "2024-01-05T10:00:00Z" } },
        code: MISMATCH,
      },
    ],
    probe: [`/v4/conversations/${SYD.conversation}/messages`, "/v4/conversations?limit=100"],
    own: () => ({ method: "POST", path: "/v4/import/messages", body: { body: "Booked in", channel: blakePhone, contactName: blake.name, direction: "inbound", publishedAt: "2024-01-05T10:00:00Z" } }),
  },
  "POST /v4/messages": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/messages", body: { body: "See you soon", channel: ameliaPhone, locationUid: SYDNEY } }, code: MISMATCH },
      { why: "contactName renaming a Sydney customer", req: { method: "POST", path: "/v4/messages", body: { body: "Hi", channel: ameliaPhone, contactName: "Renamed by Burleigh" } }, code: NOT_OWNED },
    ],
    probe: [`/v4/contacts/${amelia.email}`, `/v4/conversations/${SYD.conversation}/messages`],
    own: () => ({ method: "POST", path: "/v4/messages", body: { body: "See you soon", channel: blakePhone } }),
  },
  "POST /v4/messages/attachment": {
    refuse: [
      { why: "data.locationUid names Sydney", req: { method: "POST", path: "/v4/messages/attachment", body: { data: { body: "Your x-ray", channel: ameliaPhone, locationUid: SYDNEY } } }, code: MISMATCH },
      {
        why: "data.contactName renaming a Sydney customer",
        req: { method: "POST", path: "/v4/messages/attachment", body: { data: { body: "Your x-ray", channel: ameliaPhone, locationUid: BURLEIGH, contactName: "Renamed by Burleigh" } } },
        code: NOT_OWNED,
      },
    ],
    probe: [`/v4/contacts/${amelia.email}`, `/v4/conversations/${SYD.conversation}/messages`],
    own: () => ({ method: "POST", path: "/v4/messages/attachment", body: { data: { body: "Your x-ray", channel: blakePhone, locationUid: BURLEIGH } } }),
  },
  "GET /v4/templates": listCase("/v4/templates"),
  "POST /v4/templates": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/templates", body: { accessLevel: "location", locationUids: [SYDNEY], text: "Hello", title: "Hi", type: "custom" } }, code: MISMATCH },
      { why: "organization-wide without a grant", req: { method: "POST", path: "/v4/templates", body: { accessLevel: "organization", text: "Hello all", title: "Hi", type: "custom" } }, code: DENIED },
    ],
    probe: ["/v4/templates?limit=100"],
    own: () => ({ method: "POST", path: "/v4/templates", body: { accessLevel: "location", locationUids: [BURLEIGH], text: "Hello", title: "Hi", type: "custom" } }),
  },
  "GET /v4/invoices": listCase("/v4/invoices"),
  "POST /v4/invoices": {
    refuse: [
      {
        why: "names Sydney",
        req: { method: "POST", path: "/v4/invoices", body: { channelIdentifier: amelia.phoneNumber, customerName: amelia.name, invoiceNumber: "SYD-9", lineItems: [{ amount: 1000, description: "Floss" }], locationUid: SYDNEY } },
        code: MISMATCH,
      },
    ],
    probe: ["/v4/invoices?limit=100"],
    own: () => ({ method: "POST", path: "/v4/invoices", body: { channelIdentifier: blake.phoneNumber, customerName: blake.name, invoiceNumber: "BUR-9", lineItems: [{ amount: 1000, description: "Floss" }] } }),
  },
  "POST /v4/refunds": {
    refuse: [
      {
        why: "names Sydney",
        req: { method: "POST", path: "/v4/refunds", body: { amount: 700, channelIdentifier: amelia.phoneNumber, customerName: amelia.name, locationUid: SYDNEY, readerUid: r.readers.sydney, reason: "duplicate" } },
        code: MISMATCH,
      },
    ],
    probe: [`/v4/refunds/${SYD.refund}`, `/v4/readers/${SYD.reader}`],
    own: () => ({ method: "POST", path: "/v4/refunds", body: { amount: 700, channelIdentifier: blake.phoneNumber, customerName: blake.name, readerUid: r.readers.burleighHeads, reason: "duplicate" } }),
  },
  "GET /v4/products": organizationCase({ method: "GET", path: "/v4/products" }, ["/v4/products"]),
  "GET /v4/reviews": listCase("/v4/reviews"),
  "GET /v4/reviews/invites": listCase("/v4/reviews/invites"),
  "POST /v4/reviews/invites": {
    refuse: [{ why: "names Sydney", req: { method: "POST", path: "/v4/reviews/invites", body: { locationUid: SYDNEY, phoneNumber: amelia.phoneNumber } }, code: MISMATCH }],
    probe: ["/v4/reviews/invites?limit=100"],
    own: () => ({ method: "POST", path: "/v4/reviews/invites", body: { phoneNumber: blake.phoneNumber } }),
  },
  "GET /v4/reviews/sites/summary": organizationCase({ method: "GET", path: "/v4/reviews/sites/summary" }, ["/v4/reviews/sites/summary"]),
  "GET /v4/reviews/summary": listCase("/v4/reviews/summary", "locationUids[]", false),
  "GET /v4/webhooks": listCase("/v4/webhooks", "locationUid", true, async (w) => void (await burleighWebhook(w))),
  "POST /v4/webhooks": {
    refuse: [
      { why: "names Sydney", req: { method: "POST", path: "/v4/webhooks", body: { url: "https://hooks.example/new", eventTypes: ["message.received"], locationUid: SYDNEY } }, code: MISMATCH },
      { why: "organization-wide without a grant", req: { method: "POST", path: "/v4/webhooks", body: { url: "https://hooks.example/all", eventTypes: ["message.received"], organizationUid: cs.organizationUid } }, code: DENIED },
    ],
    probe: ["/v4/webhooks?limit=100"],
    own: () => ({ method: "POST", path: "/v4/webhooks", body: { url: "https://hooks.burleigh.example/new", eventTypes: ["message.received"], locationUid: BURLEIGH } }),
  },
};

/** Organization-level operations by id: refused without a grant; with one, on an object of the organization. */
const organizationOwn: Record<string, (w: World) => Promise<Req> | Req> = {
  "DELETE /v4/contact_attributes/{uid}": async (w) => ({
    method: "DELETE",
    path: `/v4/contact_attributes/${await made(w, "/v4/contact_attributes", { dataType: "STRING", label: `Unused ${fresh()}`, ownerResourceType: "ORGANIZATION" })}`,
  }),
  "DELETE /v4/templates/{uid}": async (w) => ({
    method: "DELETE",
    path: `/v4/templates/${await made(w, "/v4/templates", { accessLevel: "location", locationUids: [BURLEIGH], text: "Bye", title: `Bye ${fresh()}`, type: "custom" })}`,
  }),
  "PUT /v4/templates/{uid}": () => organizationAt["PUT /v4/templates/{uid}"]!({ ...ORG_SYD, template: r.templates.burleighHeads }),
  "GET /v4/payments/{uid}": () => organizationAt["GET /v4/payments/{uid}"]!({ ...ORG_SYD, payment: r.payments.burleighHeads }),
};
const organizationProbe = (op: string): string[] => {
  if (op.includes("contact_attributes")) return ["/v4/contact_attributes", `/v4/contacts/${amelia.email}`];
  if (op.includes("contact_tags")) return [`/v4/contact_tags/${ORG_SYD.tag}`, `/v4/contacts/${amelia.email}`];
  if (op.includes("templates")) return ["/v4/templates?limit=100"];
  if (op.includes("payments")) return [`/v4/payments/${ORG_SYD.payment}`];
  if (op.includes("products")) return [`/v4/products/${ORG_SYD.product}`];
  throw new Error(`no probe for ${op}`);
};

/** Refusals beyond "Sydney's own resource", for owned operations: shared resources that a write would take away. */
const sharedRefusals: Record<string, Refusal[]> = {
  "DELETE /v4/campaigns/{uid}": [{ why: "a campaign shared with Sydney", req: { method: "DELETE", path: `/v4/campaigns/${r.campaigns.shared}` }, code: NOT_OWNED }],
  "PUT /v4/campaigns/{uid}": [
    { why: "a campaign shared with Sydney (the filled locations would drop Sydney)", req: { method: "PUT", path: `/v4/campaigns/${r.campaigns.shared}`, body: { name: "Mine now", status: "ACTIVE" } }, code: NOT_OWNED },
    { why: "the organization-wide campaign without a grant", req: { method: "PUT", path: `/v4/campaigns/${r.campaigns.organization}`, body: { name: "Mine now", status: "ACTIVE" } }, code: DENIED, probe: [`/v4/campaigns/${r.campaigns.organization}`] },
  ],
  "POST /v4/campaigns/{uid}/messages": [
    {
      // Podium sends a campaign's message at one of the campaign's locations (the sandbox: its first, Sydney).
      why: "a campaign shared with Sydney (the send would land at one of its locations, not necessarily Burleigh Heads)",
      req: { method: "POST", path: `/v4/campaigns/${r.campaigns.shared}/messages`, body: { channelIdentifier: blake.phoneNumber } },
      code: NOT_OWNED,
      probe: ["/v4/conversations?limit=100", "/v4/campaign_interactions?limit=100"],
    },
    // An organization-wide campaign sends from the contact's first location: never the router's to pin, grant or not.
    { why: "the organization-wide campaign", req: { method: "POST", path: `/v4/campaigns/${r.campaigns.organization}/messages`, body: { channelIdentifier: blake.phoneNumber } }, code: NOT_OWNED, probe: [`/v4/campaigns/${r.campaigns.organization}`] },
  ],
  "DELETE /v4/contacts/{identifier}": [{ why: "a contact shared with Sydney", req: { method: "DELETE", path: `/v4/contacts/${r.contacts.shared.email}` }, code: NOT_OWNED }],
  "PATCH /v4/contacts/{identifier}": [
    { why: "locations that would drop Sydney from a shared contact", req: { method: "PATCH", path: `/v4/contacts/${r.contacts.shared.email}`, body: { locations: [BURLEIGH] } }, code: NOT_OWNED },
    { why: "a Sydney contact by phone", req: { method: "PATCH", path: `/v4/contacts/${enc(amelia.phoneNumber)}`, body: { name: "x" } }, code: NOT_OWNED },
    { why: "a Sydney contact by conversation uid", req: { method: "PATCH", path: `/v4/contacts/${amelia.conversationUid}`, body: { locations: [BURLEIGH] } }, code: NOT_OWNED },
    { why: "a Sydney contact by uid", req: { method: "PATCH", path: `/v4/contacts/${amelia.uid}`, body: { name: "x" } }, code: NOT_OWNED },
  ],
  "GET /v4/contacts/{identifier}": [{ why: "a Sydney contact by phone", req: { method: "GET", path: `/v4/contacts/${amelia.phoneNumber}` }, code: NOT_OWNED }],
  "DELETE /v4/webhooks/{uid}": [{ why: "the organization webhook without a grant", req: { method: "DELETE", path: `/v4/webhooks/${r.webhooks.organization}` }, code: DENIED, probe: [`/v4/webhooks/${r.webhooks.organization}`] }],
  "PUT /v4/webhooks/{uid}": [{ why: "the organization webhook without a grant", req: { method: "PUT", path: `/v4/webhooks/${r.webhooks.organization}`, body: { disabled: true } }, code: DENIED, probe: [`/v4/webhooks/${r.webhooks.organization}`] }],
};

interface Row {
  op: string;
  policy: OperationPolicy;
  def: CaseDef | undefined;
}

function caseFor(op: string, policy: OperationPolicy): CaseDef | undefined {
  if (special[op] !== undefined) return special[op];
  const at = ownedAt[op];
  if (policy.class === "owned" && at !== undefined) {
    return {
      refuse: [{ why: "Sydney's resource", req: at(SYD), code: NOT_OWNED }, ...(sharedRefusals[op] ?? [])],
      probe: ownedProbe(op),
      async own(w) {
        return at(await (ownedOwn[op]?.(w) ?? BUR));
      },
    };
  }
  const orgAt = organizationAt[op];
  if (policy.class === "organization" && orgAt !== undefined) {
    return organizationCase(orgAt(ORG_SYD), organizationProbe(op), organizationOwn[op] ?? (() => orgAt(ORG_SYD)));
  }
  return undefined;
}

const rows: Row[] = policyRows().map(([op, policy]) => ({ op, policy, def: caseFor(op, policy) }));
const policyByOp = new Map(rows.map((x) => [x.op, x.policy]));

// ---------------------------------------------------------------------------------------------------------------
// Checks shared by every case.

/** The sandbox route template an owned operation's owner lookup GET is recorded under. */
function lookupRoute(policy: OperationPolicy): string | undefined {
  if (policy.owner === undefined) return undefined;
  return matchSandboxRoute("GET", policy.owner.get.replace("{id}", "x"))?.route.template;
}
const CONTACT_LOOKUP = "/v4/contacts/{identifier}";

/** Seeded ids that belong to Sydney (or Newcastle) and not to Burleigh Heads: none may reach a Burleigh Heads caller. */
const OTHERS_ONLY = [
  amelia.uid,
  amelia.phoneNumber,
  amelia.email,
  amelia.conversationUid,
  r.contacts.newcastle.uid,
  r.contacts.newcastle.email,
  r.conversations.newcastle,
  r.messages.sydney,
  r.messages.sharedAtSydney,
  r.messages.newcastle,
  r.reviews.sydney,
  r.reviews.sydneyOlder,
  r.reviews.newcastle,
  r.reviewInvites.sydney,
  r.invoices.sydneyOpen,
  r.invoices.sydneyPaid,
  r.payments.sydney,
  r.refunds.sydney,
  r.readers.sydney,
  r.calls.sydney,
  r.campaigns.sydney,
  r.campaignInteractions.sydney,
  r.templates.sydney,
  r.webhooks.sydney,
  r.feedback.sydney,
  r.appointments.sydney,
];

type Json = any;

/** A location other than `uid` whose resource an entry touched: owners without `uid`, or owners dropped by a write. */
function crossings(entries: LedgerEntry[], uid: string, reads: boolean): string[] {
  const out: string[] = [];
  for (const e of entries) {
    for (const res of e.resources) {
      if (!reads && res.access === "read") continue;
      // The router's own reads of the credential's locations (verification, an upsert's reach check).
      if (res.kind === "location" && res.access === "read") continue;
      const foreignOwner = res.owners.length > 0 && !res.owners.includes(uid);
      const dropped = (res.ownersAfter ?? res.owners).length < res.owners.length || res.owners.some((o) => o !== uid && !(res.ownersAfter ?? res.owners).includes(o));
      const gained = (res.ownersAfter ?? []).some((o) => o !== uid && !res.owners.includes(o));
      if (foreignOwner || dropped || gained) out.push(`${e.method} ${e.route}: ${res.access} ${res.kind} ${res.id} owners ${res.owners.join(",")} → ${(res.ownersAfter ?? res.owners).join(",")}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The table covers every operation.

describe("failure 1: the case table", () => {
  it("has one case for each of the 86 operations of the route table, the policy table and the sandbox", () => {
    const ops = rows.map((x) => x.op).sort();
    expect(ops).toHaveLength(86);
    expect(ops).toEqual(podiumRoutes.map((x) => `${x.method} ${x.template}`).sort());
    expect(ops).toEqual(sandboxRoutes.map((x) => `${x.method} ${x.template}`).sort());
    expect(rows.filter((x) => x.def === undefined).map((x) => x.op)).toEqual([]);
    const byClass = (cls: string) => rows.filter((x) => x.policy.class === cls).length;
    expect({ location: byClass("location"), owned: byClass("owned"), list: byClass("list"), organization: byClass("organization") }).toEqual({ location: 15, owned: 39, list: 12, organization: 20 });
  });

  it("refuses every operation in at least one way, with the code of its class", () => {
    for (const { op, policy, def } of rows) {
      const codes = new Set(def?.refuse.map((x) => x.code));
      const expected = { location: MISMATCH, owned: NOT_OWNED, list: MISMATCH, organization: DENIED }[policy.class];
      expect(codes.has(expected), op).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every setting of the sandbox's switches for what Podium leaves undocumented.

const settings: Faults[] = [];
for (const foreignResourceIds of ["allowed", "rejected"] as const)
  for (const contactLocationsPatch of ["replace", "merge"] as const)
    for (const cursorIgnoresFilters of [true, false])
      for (const listFilters of ["honoured", "ignored"] as const) settings.push({ foreignResourceIds, contactLocationsPatch, cursorIgnoresFilters, listFilters });

const label = (f: Faults) => `foreignResourceIds=${f.foreignResourceIds} contactLocationsPatch=${f.contactLocationsPatch} cursorIgnoresFilters=${f.cursorIgnoresFilters} listFilters=${f.listFilters}`;

describe.each(settings.map((f) => [label(f), f] as const))("failure 1 (%s)", (_name, faults) => {
  let h: Harness;
  let world: World;
  let ownerToken: string;
  /** The access token id of the set-up calls made directly at Podium (not through the router). */
  let setupTokenId: string;
  let calls = 0;
  /** Sydney's view before any refusal, read routed as Sydney. */
  let sydneyBefore: unknown[];

  beforeAll(async () => {
    // Budgets far above the test's pace: pacing is proven elsewhere, and would only slow the table down.
    h = await createHarness({ settings: { budgets: { location: { rate_per_minute: 1_000_000, burst: 100_000 }, upstream: { rate_per_minute: 1_000_000, burst: 100_000 } } } });
    await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.sydneyGrant.grantId), cs.slug, cs.organizationUid);
    await h.register(BURLEIGH, fixtureGrant(h.sandbox, cs.ownerGrant.grantId), cs.slug, cs.organizationUid);
    await h.restart();
    h.sandbox.setFaults(faults);
    const issued = h.sandbox.issueAccessToken(cs.ownerGrant.grantId);
    ownerToken = issued.accessToken;
    setupTokenId = issued.accessTokenId;
    world = {
      h,
      async podium(method, path, body) {
        const res = await fetch(`${h.sandbox.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${ownerToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
      },
    };
    sydneyBefore = await sydneyView();
  });
  afterAll(async () => {
    await h?.close();
  });

  const rid = () => `f1-${process.pid}-${Date.now().toString(36)}-${(calls++).toString(36)}`;
  const lastSeq = () => h.sandbox.ledger().at(-1)?.seq ?? 0;

  /** A call routed as `uid`; resolves to the answer or the CoreError it was refused with. */
  async function routed(uid: string, req: Req, ctx: CallContext = {}, requestId = rid()) {
    const body = req.body === undefined ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    try {
      const res = await h.router.call({ locationUid: uid, method: req.method, path: req.path, body, requestId }, ctx);
      return { ok: true as const, status: res.status, body: res.body, requestId };
    } catch (err) {
      if (!isCoreError(err)) throw err;
      return { ok: false as const, code: err.code as string, error: err, requestId };
    }
  }

  /** Sydney's state as Sydney sees it through the router (with an organization grant, for organization objects). */
  async function sydneyReads(paths: string[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const path of paths) {
      const res = await routed(SYDNEY, { method: "GET", path }, ORG_GRANT);
      expect(res.ok ? res.status : res.code, `Sydney reads ${path}`).toBe(200);
      out.push(res.ok ? JSON.parse(res.body) : undefined);
    }
    return out;
  }
  const SYDNEY_VIEW = [
    `/v4/locations/${SYDNEY}`,
    "/v4/contacts?limit=100",
    `/v4/contacts/${amelia.email}`,
    `/v4/contacts/${r.contacts.shared.email}`,
    "/v4/conversations?limit=100",
    `/v4/conversations/${r.conversations.sydney}/messages`,
    `/v4/conversations/${r.conversations.sydney}/assignees`,
    "/v4/reviews?limit=100",
    `/v4/reviews/${r.reviews.sydney}/responses`,
    "/v4/reviews/invites?limit=100",
    "/v4/invoices?limit=100",
    `/v4/payments/${r.payments.sydney}`,
    `/v4/refunds/${r.refunds.sydney}`,
    "/v4/campaigns?limit=100",
    "/v4/campaign_interactions?limit=100",
    "/v4/templates?limit=100",
    "/v4/webhooks?limit=100",
    "/v4/feedback?limit=100",
    "/v4/contact_tags",
    "/v4/contact_attributes",
    "/v4/products",
  ];
  const sydneyView = () => sydneyReads(SYDNEY_VIEW);

  /** Refused as `code`, with nothing of the operation sent upstream, one audit line, and Sydney's view unchanged. */
  async function expectRefused(op: string, policy: OperationPolicy, x: Refusal, probe: string[], ctx: CallContext = {}) {
    const what = `${op} (${x.why}): ${x.req.method} ${x.req.path}`;
    const before = await sydneyReads(x.probe ?? probe);
    const since = lastSeq();
    const res = await routed(BURLEIGH, x.req, ctx);
    expect(res.ok ? `passed with ${res.status}: ${res.body.slice(0, 200)}` : res.code, what).toBe(x.code);
    const sent = h.sandbox.ledger(since);
    // Never a write; a refusal before the owner check sends nothing at all; an ownership refusal at most the
    // owner lookup (the resource's own GET, or the contact lookups of an upsert) besides the token and the
    // location's verification.
    for (const e of sent) {
      if (e.route === "/oauth/token") continue;
      expect(e.method, `${what}: sent ${e.method} ${e.route}`).toBe("GET");
      expect(e.resources.filter((a) => a.access !== "read"), what).toEqual([]);
    }
    const upstream = sent.filter((e) => e.route !== "/oauth/token" && e.route !== "/v4/locations");
    const lookups = new Set<string>();
    const own = lookupRoute(policy);
    if (policy.class === "owned" && own !== undefined) lookups.add(own);
    if (x.code === NOT_OWNED && policy.class === "location") lookups.add(CONTACT_LOOKUP);
    expect(upstream.filter((e) => !lookups.has(e.route)).map((e) => `${e.method} ${e.route}`), `${what}: sent besides the owner lookup`).toEqual([]);
    expect(upstream.length, `${what}: owner lookups`).toBeLessThanOrEqual(policy.class === "owned" ? 1 : 3);
    if (!(policy.class === "owned" || (x.code === NOT_OWNED && policy.class === "location"))) expect(sent.filter((e) => e.route !== "/oauth/token"), what).toEqual([]);
    // The error names the routed location only: never Sydney's uid, nor the resource's data.
    if (!res.ok) {
      const text = `${res.error.message} ${JSON.stringify(res.error)}`;
      expect(text, what).not.toContain(SYDNEY);
      expect(text, what).not.toContain(amelia.name);
      expect((res.error as { locationUid?: string }).locationUid, what).toBe(BURLEIGH);
    }
    const lines = (await h.auditLines()).filter((l) => l.request_id === res.requestId);
    expect(lines, `${what}: audit lines`).toHaveLength(1);
    expect(lines[0], what).toMatchObject({ location_uid: BURLEIGH, error_code: x.code, status: 0 });
    expect(await sydneyReads(x.probe ?? probe), `${what}: Sydney's view`).toEqual(before);
  }

  describe("routed as Burleigh Heads against Sydney's resource or list: refused, nothing sent, Sydney unchanged", () => {
    for (const { op, policy, def } of rows) {
      it(`${op} (${policy.class})`, async () => {
        expect(def, `no case for ${op}`).toBeDefined();
        for (const x of def!.refuse) await expectRefused(op, policy, x, def!.probe);
      });
    }

    it("left Sydney's whole view as Sydney sees it unchanged", async () => {
      expect(await sydneyView()).toEqual(sydneyBefore);
    });
  });

  describe("the same operation on Burleigh Heads' own resource succeeds (with an organization grant where organization-level)", () => {
    for (const { op, policy, def } of rows) {
      it(`${op} (${policy.class})`, async () => {
        expect(def, `no case for ${op}`).toBeDefined();
        const req = await def!.own(world);
        const ctx = policy.class === "organization" || (req.body as Json)?.accessLevel === "organization" ? ORG_GRANT : {};
        const since = lastSeq();
        if (policy.class === "list") {
          const items = await walk(req.path, def!.paged !== false);
          expect(items.length, `${op}: Burleigh Heads has items`).toBeGreaterThan(0);
          for (const item of items) expect(JSON.stringify(item), `${op}: an item of another location`).toContain(BURLEIGH);
          for (const id of OTHERS_ONLY) expect(JSON.stringify(items), op).not.toContain(id);
          // Reads of a list may cross at Podium (the sandbox's worst case ignores filters); writes never do.
          expect(crossings(h.sandbox.ledger(since), BURLEIGH, false), op).toEqual([]);
          return;
        }
        const res = await routed(BURLEIGH, req, ctx);
        expect(res.ok ? res.status : `${res.code}: ${res.error.message}`, `${op}: ${req.method} ${req.path}`).toBeGreaterThanOrEqual(200);
        if (!res.ok) return;
        expect(res.status, `${op}: ${res.body}`).toBeLessThan(300);
        if (policy.class !== "organization") for (const id of OTHERS_ONLY) expect(res.body, op).not.toContain(id);
        // No write touched (and, outside organization-level ones, no read returned) another location's resource.
        expect(crossings(h.sandbox.ledger(since), BURLEIGH, policy.class !== "organization"), op).toEqual([]);
      });
    }
  });

  describe("organization-level requests through a location-named or owned operation", () => {
    it("succeed with an organization grant (and only with one: see the refusals above)", async () => {
      for (const req of [
        { method: "POST", path: "/v4/campaigns", body: { name: "Everyone", status: "DRAFT", locations: [] } },
        { method: "POST", path: "/v4/templates", body: { accessLevel: "organization", text: "Hello all", title: "Hi", type: "custom" } },
        { method: "POST", path: "/v4/webhooks", body: { url: "https://hooks.coastal-smiles.example/org", eventTypes: ["message.received"], organizationUid: cs.organizationUid } },
        { method: "GET", path: `/v4/campaigns/${r.campaigns.organization}` },
        { method: "GET", path: `/v4/webhooks/${r.webhooks.organization}` },
      ]) {
        const res = await routed(BURLEIGH, req, ORG_GRANT);
        expect(res.ok ? res.status : `${res.code}: ${res.error.message}`, `${req.method} ${req.path}`).toBe(200);
      }
    });
  });

  describe("bad input: a typed error, nothing sent, one audit line", () => {
    /** Refused as ERR_LOC_BAD_REQUEST before anything is sent (not even a token refresh or a verification). */
    async function expectBadInput(req: Req) {
      const what = `${req.method} ${req.path}`;
      const since = lastSeq();
      const res = await routed(BURLEIGH, req);
      expect(res.ok ? `passed with ${res.status}` : res.code, what).toBe("ERR_LOC_BAD_REQUEST");
      expect(h.sandbox.ledger(since), what).toEqual([]);
      const lines = (await h.auditLines()).filter((l) => l.request_id === res.requestId);
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatchObject({ location_uid: BURLEIGH, error_code: "ERR_LOC_BAD_REQUEST", status: 0 });
    }

    it("an unknown route", async () => {
      for (const path of ["/v4/secrets", "/v4/Contacts", `/v4/contacts/${blake.email}/notes`, `/v4/locations/${BURLEIGH}/x/y`, "/v5/contacts", "/v4/organizations", "/v4/reviews/invites/x/resend"]) {
        await expectBadInput({ method: "GET", path });
      }
      await expectBadInput({ method: "POST", path: "/v4/locations", body: { name: "x" } });
    });

    it("an unknown method, or a method the path does not have", async () => {
      for (const method of ["TRACE", "OPTIONS", "CONNECT", "PURGE", "get"]) await expectBadInput({ method, path: "/v4/contacts" });
      await expectBadInput({ method: "PUT", path: `/v4/contacts/${blake.email}`, body: { name: "x" } });
      await expectBadInput({ method: "DELETE", path: `/v4/conversations/${r.conversations.burleighHeads}` });
      await expectBadInput({ method: "PATCH", path: `/v4/reviews/${r.reviews.burleighHeads}`, body: {} });
      await expectBadInput({ method: "DELETE", path: "/v4/contacts" });
    });

    it("encoded path tricks", async () => {
      const sydneyTail = `${SYDNEY.slice(0, -1)}%${SYDNEY.charCodeAt(SYDNEY.length - 1).toString(16)}`;
      for (const path of [
        `/v4/%6Cocations/${SYDNEY}`,
        `/v4/%6cocations/${SYDNEY}`,
        `/v4/locations/${sydneyTail}`,
        `/v4/contacts/%61melia.sydney@patients.example`,
        `/v4/contacts/%2e%2e/locations/${SYDNEY}`,
        `/v4/contacts/..%2Flocations%2F${SYDNEY}`,
        `/v4/contacts/%252e%252e/locations/${SYDNEY}`,
        `/v4/locations/${BURLEIGH}/../${SYDNEY}`,
        `/v4/locations/${BURLEIGH}/%2E%2E/${SYDNEY}`,
        `/v4/./locations/${SYDNEY}`,
        `/v4//locations/${SYDNEY}`,
        `/v4/contacts/${blake.email}%00`,
        `/v4/contacts/${blake.email}%5C..`,
        "/v4/contacts\\..\\locations",
        `/v4/contacts/${blake.email}#x`,
        `//api.podium.com/v4/locations/${SYDNEY}`,
        `https://api.podium.com/v4/locations/${SYDNEY}`,
        `/v4/contacts/%E0%A4%A`,
      ]) {
        await expectBadInput({ method: "GET", path });
      }
    });

    it("a forged or foreign paging cursor (Podium ignores the filters when one is given)", async () => {
      const first = async (uid: string, path: string) => {
        const res = await routed(uid, { method: "GET", path });
        if (!res.ok) throw res.error;
        return JSON.parse(res.body).metadata.nextCursor as string;
      };
      const sydneyCursor = await first(SYDNEY, "/v4/conversations?limit=1");
      const ownCursor = await first(BURLEIGH, "/v4/conversations?limit=1");
      const raw = (await world.podium("GET", `/v4/conversations?limit=1&locationUid=${SYDNEY}`)).body.metadata.nextCursor as string;
      expect(typeof sydneyCursor).toBe("string");
      expect(typeof raw).toBe("string");
      const [prefix, payload, mac] = ownCursor.split(".") as [string, string, string];
      const flipped = `${mac.slice(0, -2)}${mac.endsWith("AA") ? "AB" : "AA"}`;
      for (const cursor of [
        sydneyCursor, // listed by Sydney, replayed routed as Burleigh Heads
        raw, // Podium's own cursor of Sydney's list
        `prc1.${Buffer.from(raw).toString("base64url")}.${"A".repeat(22)}`, // forged: Podium's cursor under a made-up MAC
        `${prefix}.${Buffer.from(raw).toString("base64url")}.${mac}`, // Burleigh Heads' MAC over Sydney's cursor
        `${prefix}.${payload}.${flipped}`, // tampered MAC
        `${prefix}.${payload}`, // no MAC
        "nonsense",
      ]) {
        await expectRefused("GET /v4/conversations", policyByOp.get("GET /v4/conversations")!, { why: "cursor", req: { method: "GET", path: `/v4/conversations?cursor=${enc(cursor)}` }, code: "ERR_LOC_BAD_REQUEST" }, ["/v4/conversations?limit=100"]);
        await expectRefused("GET /v4/conversations", policyByOp.get("GET /v4/conversations")!, { why: "cursor with a filter", req: { method: "GET", path: `/v4/conversations?locationUid=${BURLEIGH}&cursor=${enc(cursor)}` }, code: "ERR_LOC_BAD_REQUEST" }, ["/v4/conversations?limit=100"]);
      }
      // Burleigh Heads' own cursor is bound to its listing of conversations: not another route's.
      await expectRefused("GET /v4/invoices", policyByOp.get("GET /v4/invoices")!, { why: "another route's cursor", req: { method: "GET", path: `/v4/invoices?cursor=${enc(ownCursor)}` }, code: "ERR_LOC_BAD_REQUEST" }, ["/v4/invoices?limit=100"]);
      // And it works where it was issued.
      const again = await routed(BURLEIGH, { method: "GET", path: `/v4/conversations?cursor=${enc(ownCursor)}` });
      expect(again.ok ? again.status : again.code).toBe(200);
    });

    it("a resource id of another organization (harbour-auto's seeded ids)", async () => {
      for (const { op, policy } of rows) {
        const at = ownedAt[op];
        const orgAt = organizationAt[op];
        if (at !== undefined) await expectRefused(op, policy, { why: "harbour-auto's id", req: at(HARBOUR), code: NOT_OWNED }, []);
        else if (orgAt !== undefined) await expectRefused(op, policy, { why: "harbour-auto's id", req: orgAt(ORG_HARBOUR), code: DENIED }, []);
      }
      // Paths and bodies naming harbour-auto's location or organization.
      const loc = policyByOp.get("GET /v4/locations/{uid}")!;
      await expectRefused("GET /v4/locations/{uid}", loc, { why: "harbour-auto's location", req: { method: "GET", path: `/v4/locations/${ha.locations.fremantle}` }, code: MISMATCH }, []);
      const org = policyByOp.get("GET /v4/organizations/{uid}")!;
      await expectRefused("GET /v4/organizations/{uid}", org, { why: "harbour-auto's organization", req: { method: "GET", path: `/v4/organizations/${ha.organizationUid}` }, code: MISMATCH }, []);
      const hook = policyByOp.get("POST /v4/webhooks")!;
      await expectRefused("POST /v4/webhooks", hook, { why: "harbour-auto's organization", req: { method: "POST", path: "/v4/webhooks", body: { url: "https://hooks.example/x", eventTypes: ["message.received"], organizationUid: ha.organizationUid } }, code: MISMATCH }, [], ORG_GRANT);
    });

    it("another organization's object through an organization-level operation, with an organization grant: Podium does not find it, nothing changes", async () => {
      // The router has no owner lookup for organization-level objects (attribute definitions and payments name no
      // organization, templates have no GET): Podium's own 404 for another organization's id is what stops these.
      for (const { op } of rows) {
        const orgAt = organizationAt[op];
        if (orgAt === undefined) continue;
        const req = orgAt(ORG_HARBOUR);
        const since = lastSeq();
        const res = await routed(BURLEIGH, req, ORG_GRANT);
        expect(res.ok ? res.status : res.code, `${op}: ${req.path}`).toBe(404);
        expect(h.sandbox.ledger(since).flatMap((e) => e.resources), op).toEqual([]);
      }
    });

    it("an id Podium says does not exist", async () => {
      let n = 0;
      for (const { op, policy } of rows) {
        const at = ownedAt[op];
        if (at === undefined) continue;
        await expectRefused(op, policy, { why: "an unknown id", req: at(NOBODY), code: NOT_OWNED }, []);
        n++;
      }
      expect(n).toBe(39);
    });
  });

  describe("contacts, shared by design (issue 10 item 4)", () => {
    const patch = policyByOp.get("PATCH /v4/contacts/{identifier}")!;
    const del = policyByOp.get("DELETE /v4/contacts/{identifier}")!;
    const create = policyByOp.get("POST /v4/contacts")!;
    const shared = r.contacts.shared;
    const sharedProbe = [`/v4/contacts/${shared.email}`, `/v4/contacts/${amelia.email}`];

    it("a shared contact is readable by each of its locations", async () => {
      for (const uid of [SYDNEY, BURLEIGH]) {
        const res = await routed(uid, { method: "GET", path: `/v4/contacts/${shared.email}` });
        expect(res.ok ? res.status : res.code, uid).toBe(200);
        if (res.ok) expect(JSON.parse(res.body).data.uid).toBe(shared.uid);
      }
    });

    it("a PATCH whose locations would drop another location is refused, from either side", async () => {
      await expectRefused("PATCH /v4/contacts/{identifier}", patch, { why: "drops Sydney", req: { method: "PATCH", path: `/v4/contacts/${shared.email}`, body: { locations: [BURLEIGH] } }, code: NOT_OWNED }, sharedProbe);
      await expectRefused("PATCH /v4/contacts/{identifier}", patch, { why: "drops Sydney (by uid)", req: { method: "PATCH", path: `/v4/contacts/${shared.uid}`, body: { name: "Casey", locations: [{ uid: BURLEIGH }] } }, code: NOT_OWNED }, sharedProbe);
      const res = await routed(SYDNEY, { method: "PATCH", path: `/v4/contacts/${shared.email}`, body: JSON.stringify({ locations: [SYDNEY] }) });
      expect(res.ok ? res.status : res.code, "routed as Sydney, dropping Burleigh Heads").toBe(NOT_OWNED);
      const seen = await sydneyReads([`/v4/contacts/${shared.email}`]);
      expect((seen[0] as Json).data.locations).toEqual([{ uid: SYDNEY }, { uid: BURLEIGH }]);
    });

    it("POST /v4/contacts with a Sydney customer's phone or email, routed as Burleigh Heads, is refused", async () => {
      for (const body of [
        { name: "Claimed", phoneNumber: amelia.phoneNumber },
        { name: "Claimed", email: amelia.email },
        { name: "Claimed", email: amelia.email.toUpperCase() },
        { name: "Claimed", phoneNumber: "+61400109997", email: amelia.email },
        { name: "Claimed", conversationUid: amelia.conversationUid },
      ]) {
        await expectRefused("POST /v4/contacts", create, { why: JSON.stringify(body), req: { method: "POST", path: "/v4/contacts", body }, code: NOT_OWNED }, sharedProbe);
      }
    });

    it("a PATCH of Burleigh Heads' own contact that would take a Sydney customer's phone, email or conversation is refused", async () => {
      // Podium finds contacts by phone, email and conversation uid across the organization: giving them to another
      // contact would take Sydney's customer (and its conversation) away from Sydney's lookups.
      const probe = [`/v4/contacts/${enc(amelia.phoneNumber)}`, `/v4/contacts/${amelia.email}`, `/v4/contacts/${amelia.conversationUid}`, `/v4/conversations/${amelia.conversationUid}`];
      for (const body of [{ phoneNumber: amelia.phoneNumber }, { email: amelia.email }, { email: amelia.email.toUpperCase() }, { conversationUid: amelia.conversationUid }, { name: "Blake", phoneNumber: amelia.phoneNumber }]) {
        await expectRefused("PATCH /v4/contacts/{identifier}", patch, { why: JSON.stringify(body), req: { method: "PATCH", path: `/v4/contacts/${blake.email}`, body }, code: NOT_OWNED }, probe);
      }
    });

    it("a PATCH giving Burleigh Heads' contact a Sydney conversation that no contact holds yet is refused", async () => {
      // A conversation Sydney opened by a send to a new number: no contact is found by its uid.
      const sent = await routed(SYDNEY, { method: "POST", path: "/v4/messages", body: { body: "Welcome", channel: { type: "phone", identifier: "+61400108001" } } });
      expect(sent.ok ? sent.status : sent.code).toBe(200);
      const conversationUid = JSON.parse(sent.ok ? sent.body : "{}").data.conversation.uid as string;
      expect(typeof conversationUid).toBe("string");
      const probe = [`/v4/conversations/${conversationUid}`, "/v4/contacts?limit=100"];
      await expectRefused("PATCH /v4/contacts/{identifier}", patch, { why: "Burleigh Heads' contact claiming Sydney's conversation", req: { method: "PATCH", path: `/v4/contacts/${blake.email}`, body: { conversationUid } }, code: NOT_OWNED }, probe);
      const gone = await routed(SYDNEY, { method: "GET", path: `/v4/contacts/${conversationUid}` });
      expect(gone.ok ? gone.status : gone.code, "no contact took Sydney's conversation").toBe(NOT_OWNED);
    });

    it("DELETE of a shared contact is refused, from either side", async () => {
      await expectRefused("DELETE /v4/contacts/{identifier}", del, { why: "shared", req: { method: "DELETE", path: `/v4/contacts/${shared.email}` }, code: NOT_OWNED }, sharedProbe);
      await expectRefused("DELETE /v4/contacts/{identifier}", del, { why: "shared, by phone", req: { method: "DELETE", path: `/v4/contacts/${shared.phoneNumber}` }, code: NOT_OWNED }, sharedProbe);
      const since = lastSeq();
      const res = await routed(SYDNEY, { method: "DELETE", path: `/v4/contacts/${shared.email}` });
      expect(res.ok ? res.status : res.code, "routed as Sydney").toBe(NOT_OWNED);
      expect(h.sandbox.ledger(since).filter((e) => e.method === "DELETE")).toEqual([]);
      for (const uid of [SYDNEY, BURLEIGH]) {
        const got = await routed(uid, { method: "GET", path: `/v4/contacts/${shared.email}` });
        expect(got.ok ? got.status : got.code, uid).toBe(200);
      }
    });
  });

  it("in the whole run, no write made with Burleigh Heads' credential through the router touched another location's resource", () => {
    const routedAsBurleigh = h.sandbox.ledger().filter((e) => e.grantId === cs.ownerGrant.grantId && e.accessTokenId !== setupTokenId);
    expect(routedAsBurleigh.filter((e) => e.method !== "GET" && e.route !== "/oauth/token").length).toBeGreaterThan(40);
    expect(crossings(routedAsBurleigh, BURLEIGH, false)).toEqual([]);
  });

  /** Every page of a list routed as Burleigh Heads, following the router's cursors. */
  async function walk(path: string, paged: boolean): Promise<Json[]> {
    const items: Json[] = [];
    const sep = path.includes("?") ? "&" : "?";
    let next: string | undefined;
    for (let page = 0; page < 40; page++) {
      const url = paged ? `${path}${sep}limit=2${next === undefined ? "" : `&cursor=${enc(next)}`}` : path;
      const res = await routed(BURLEIGH, { method: "GET", path: url });
      expect(res.ok ? res.status : res.code, url).toBe(200);
      if (!res.ok) break;
      const body = JSON.parse(res.body) as { data: Json[]; metadata?: { nextCursor?: string | null; totalItems?: number | null } };
      items.push(...body.data);
      // A count of the organization's items would say how many other locations hold.
      if (body.metadata?.totalItems !== undefined) expect(body.metadata.totalItems, url).toBeNull();
      next = body.metadata?.nextCursor ?? undefined;
      if (!paged || next === undefined) break;
    }
    expect(next, `${path}: more than 40 pages`).toBeUndefined();
    return items;
  }
});

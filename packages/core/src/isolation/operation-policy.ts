/**
 * The isolation class of each of Podium's 86 v4 operations: how the router proves that a call routed for one
 * location touches only that location's data. One reviewed row per operation; `operation-policy.spec.ts` keeps
 * the table equal to the route table (and so to `../shared/podium-openapi`). A (method, path) without a row is
 * refused before anything is sent (deny by default).
 *
 * - `location`: the request names the location (path, query or body, at any depth); the guard checks it.
 * - `owned`: the path addresses a resource by id. Its owners are resolved with the location's own credential by
 *   the resource's own GET (`lookup`), whose answer names the location(s); the call goes on only when the routed
 *   location is among them.
 * - `list`: the router sends the routed location as Podium's filter where there is one (`filter`) and drops every
 *   item that names another location (or none) before the answer reaches the caller.
 * - `organization`: organization-level objects (organization, users list, tag and attribute definitions,
 *   products, payments, templates by id): refused unless the caller holds an organization grant.
 */
import { podiumRoutes, type PodiumRoute } from "./podium-routes.js";

export type IsolationClass = "location" | "owned" | "list" | "organization";

/** How the owners of a resource addressed by id are found. */
export interface OwnerLookup {
  /** The resource kind: the ownership cache key and the word errors use (`contact`, `campaign` …). */
  readonly kind: string;
  /** The path parameter holding the id (the parent's id for sub-resources: a conversation's messages). */
  readonly param: string;
  /** The resource's own GET, `{id}` standing for the id. */
  readonly get: string;
  /** Podium requires `?locationUid=` on that GET (invoices, refunds): the routed location is sent. */
  readonly locationQuery?: boolean;
}

export interface OperationPolicy {
  readonly class: IsolationClass;
  /** owned: how the owners are found. */
  readonly owner?: OwnerLookup;
  /** list: Podium's location filter, which the router always sends as the routed location. */
  readonly filter?: "locationUid" | "locationUids";
  /** The answer's objects are locations themselves, owned by their own `uid` (`/v4/locations` and `/v4/locations/{uid}`). */
  readonly itemIsLocation?: boolean;
  /**
   * The request makes the operation organization-level although its class says otherwise: a campaign created with
   * `locations: []`, a template with `accessLevel: organization`, a webhook naming `organizationUid`.
   */
  readonly organizationWhen?: (body: Record<string, unknown> | undefined) => boolean;
  /**
   * owned: the write lands at a location Podium picks among the resource's owners (a campaign's message is sent
   * from the campaign's first location, an organization-wide campaign's from the contact's first), so the routed
   * location must be the resource's only owner.
   */
  readonly soleOwner?: boolean;
}

const location: OperationPolicy = Object.freeze({ class: "location" });
/** The location's own object: its answer is owned by its own `uid`. */
const locationItself: OperationPolicy = Object.freeze({ class: "location", itemIsLocation: true });
const organization: OperationPolicy = Object.freeze({ class: "organization" });
const list = (filter?: "locationUid" | "locationUids", extra: Partial<OperationPolicy> = {}): OperationPolicy => Object.freeze({ class: "list", ...(filter ? { filter } : {}), ...extra });
const owned = (kind: string, param: string, get: string, locationQuery = false): OperationPolicy =>
  Object.freeze({ class: "owned", owner: Object.freeze(locationQuery ? { kind, param, get, locationQuery } : { kind, param, get }) });

const contact = owned("contact", "identifier", "/v4/contacts/{id}");
const campaign = owned("campaign", "uid", "/v4/campaigns/{id}");
const conversation = owned("conversation", "uid", "/v4/conversations/{id}");
const invoice = owned("invoice", "uid", "/v4/invoices/{id}", true);
const review = owned("review", "uid", "/v4/reviews/{id}");
const webhook = owned("webhook", "uid", "/v4/webhooks/{id}");

const emptyLocations = (body: Record<string, unknown> | undefined): boolean => Array.isArray(body?.["locations"]) && (body["locations"] as unknown[]).length === 0;
const organizationTemplate = (body: Record<string, unknown> | undefined): boolean => body?.["accessLevel"] === "organization";
const organizationWebhook = (body: Record<string, unknown> | undefined): boolean => body?.["organizationUid"] != null;

/**
 * Keyed by `METHOD template`, in the order of the appendix of podium-api.md. Decisions the documents leave open
 * are made the strict way and said here:
 * - templates have no GET by id, and their answer names only the first of their locations: by id they are
 *   organization-level;
 * - a payment's answer names no location (it belongs to an invoice the id does not say): organization-level;
 * - products are organization objects in Podium (their location fields only say where images go);
 * - site summaries sum reviews across locations and name none per row: organization-level;
 * - an opt-out clears the channel at every location of the organization: organization-level;
 * - the users list is the organization's staff; one user (`GET /v4/users/{uid}`) is owned by its locations.
 */
const table: Readonly<Record<string, OperationPolicy>> = Object.freeze({
  "GET /v4/locations": list(undefined, { itemIsLocation: true }),
  "GET /v4/locations/{uid}": locationItself,
  "PATCH /v4/locations/{uid}": locationItself,
  "GET /v4/organizations/{uid}": organization,
  "GET /v4/users": organization,
  "GET /v4/users/{uid}": owned("user", "uid", "/v4/users/{id}"),
  "POST /v4/appointments": location,
  "GET /v4/campaign_interactions": list("locationUid"),
  "GET /v4/campaigns": list(),
  "POST /v4/campaigns": Object.freeze({ class: "location", organizationWhen: emptyLocations }),
  "DELETE /v4/campaigns/{uid}": campaign,
  "GET /v4/campaigns/{uid}": campaign,
  "PUT /v4/campaigns/{uid}": campaign,
  "POST /v4/campaigns/{uid}/messages": Object.freeze({ ...campaign, soleOwner: true }),
  "GET /v4/contact_attributes": organization,
  "POST /v4/contact_attributes": organization,
  "DELETE /v4/contact_attributes/{uid}": organization,
  "GET /v4/contact_attributes/{uid}": organization,
  "PATCH /v4/contact_attributes/{uid}": organization,
  "GET /v4/contact_tags": organization,
  "POST /v4/contact_tags": organization,
  "GET /v4/contact_tags/{uid}": organization,
  "PATCH /v4/contact_tags/{uid}": organization,
  "GET /v4/contacts": list(),
  "POST /v4/contacts": location,
  "POST /v4/contacts/campaigns/opt_in": location,
  "POST /v4/contacts/campaigns/opt_out": organization,
  "DELETE /v4/contacts/{identifier}": contact,
  "GET /v4/contacts/{identifier}": contact,
  "PATCH /v4/contacts/{identifier}": contact,
  "DELETE /v4/contacts/{identifier}/attributes/{uid}": contact,
  "PATCH /v4/contacts/{identifier}/attributes/{uid}": contact,
  "POST /v4/contacts/{identifier}/attributes/{uid}": contact,
  "DELETE /v4/contacts/{identifier}/tags/{uid}": contact,
  "POST /v4/contacts/{identifier}/tags/{uid}": contact,
  "GET /v4/conversations": list("locationUid"),
  "GET /v4/conversations/{uid}": conversation,
  "PUT /v4/conversations/{uid}": conversation,
  "GET /v4/conversations/{uid}/assignees": conversation,
  "PUT /v4/conversations/{uid}/assignees": conversation,
  "POST /v4/conversations/{uid}/lead_writeback": conversation,
  "POST /v4/conversations/{uid}/notes": conversation,
  "GET /v4/feedback": list(),
  "POST /v4/feedback": location,
  "GET /v4/conversations/{conversation_uid}/messages": owned("conversation", "conversation_uid", "/v4/conversations/{id}"),
  "GET /v4/conversations/{conversation_uid}/messages/{uid}": owned("conversation", "conversation_uid", "/v4/conversations/{id}"),
  "POST /v4/import/messages": location,
  "POST /v4/messages": location,
  "POST /v4/messages/attachment": location,
  "GET /v4/templates": list("locationUid"),
  "POST /v4/templates": Object.freeze({ class: "location", organizationWhen: organizationTemplate }),
  "DELETE /v4/templates/{uid}": organization,
  "PUT /v4/templates/{uid}": organization,
  "GET /v4/invoices": list("locationUid"),
  "POST /v4/invoices": location,
  "GET /v4/invoices/{uid}": invoice,
  "POST /v4/invoices/{uid}/cancel": invoice,
  "POST /v4/invoices/{uid}/charge": invoice,
  "POST /v4/invoices/{uid}/refund": invoice,
  "POST /v4/invoices/{uid}/setup": invoice,
  "GET /v4/payments/{uid}": organization,
  "GET /v4/readers/{uid}": owned("reader", "uid", "/v4/readers/{id}"),
  "POST /v4/refunds": location,
  "GET /v4/refunds/{uid}": owned("refund", "uid", "/v4/refunds/{id}", true),
  "GET /v4/calls/{uid}": owned("call", "uid", "/v4/calls/{id}"),
  "GET /v4/products": organization,
  "GET /v4/products/{uid}": organization,
  "DELETE /v4/products/{uid}/delete_images": organization,
  "POST /v4/products/{uid}/upload_images": organization,
  "GET /v4/reviews": list(),
  "GET /v4/reviews/invites": list(),
  "POST /v4/reviews/invites": location,
  "GET /v4/reviews/invites/{uid}": owned("review_invite", "uid", "/v4/reviews/invites/{id}"),
  "GET /v4/reviews/sites/summary": organization,
  "GET /v4/reviews/summary": list("locationUids"),
  "PATCH /v4/reviews/{review_uid}/responses/{uid}": owned("review", "review_uid", "/v4/reviews/{id}"),
  "GET /v4/reviews/{uid}": review,
  "DELETE /v4/reviews/{uid}/attributions": review,
  "POST /v4/reviews/{uid}/attributions": review,
  "GET /v4/reviews/{uid}/responses": review,
  "POST /v4/reviews/{uid}/responses": review,
  "GET /v4/webhooks": list(),
  "POST /v4/webhooks": Object.freeze({ class: "location", organizationWhen: organizationWebhook }),
  "DELETE /v4/webhooks/{uid}": webhook,
  "GET /v4/webhooks/{uid}": webhook,
  "PUT /v4/webhooks/{uid}": webhook,
});

// Looked up once per route object, not per call: the hot path reads a Map keyed by the matched route.
const byRoute = new Map<PodiumRoute, OperationPolicy>();
for (const route of podiumRoutes) {
  const policy = table[`${route.method} ${route.template}`];
  if (policy !== undefined) byRoute.set(route, policy);
}

/** The policy of a route of the table; undefined only for a route the table lacks (a bug the spec catches). */
export function policyOf(route: PodiumRoute): OperationPolicy | undefined {
  return byRoute.get(route);
}

/** Every row, for the spec and the README's counts. */
export function policyRows(): readonly (readonly [string, OperationPolicy])[] {
  return Object.entries(table);
}

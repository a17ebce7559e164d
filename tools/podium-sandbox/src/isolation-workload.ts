/**
 * A random workload of Podium calls for one organization's locations, and the judge that says whether any of them
 * crossed locations: issue 10's property test (`packages/core/src/router/isolation-property.spec.ts`) and its soak
 * (`npm run soak:isolation`) run the same generator and the same judge.
 *
 * The generator turns a *choice* (a few non-negative integers: fast-check's in the property test, a seeded PRNG's in
 * the soak) into one call: any of the 86 operations (or a bad input: unknown route or method, an encoded path, a
 * forged, tampered or foreign paging cursor) routed as any location of coastal-smiles, by a caller with or without
 * an organization grant, on ids drawn from every location's resources (seeded, and those earlier calls created:
 * contacts sharing phone numbers and emails, conversations opened by sends, campaigns, invoices, review responses,
 * webhooks …), another organization's, and ids nobody has. It is deterministic for a given choice sequence and the
 * answers seen so far.
 *
 * The judge reads the sandbox's ledger (every request carries the call's request id as `X-Request-ID`) and the
 * answer the caller got:
 * - writes, from the ledger: a write routed as A may only touch resources A is among the owners of, before and
 *   after, never remove or add another owner, and a delete only takes resources A alone owns; an
 *   organization-level resource (owners `[]`) is written only under an organization grant. The router's own owner
 *   lookups are reads there and are not judged (a read is judged by what the caller received);
 * - answers, with the core's `ownersOf` (injected, since the sandbox imports no workspace package): no object
 *   returned (the `data` object, or each item of a `data` list) may name locations without naming A, nor another
 *   organization; a refusal's message never names another location the request did not name;
 * - bad inputs are refused and send nothing.
 * Organization-wide operations under an organization grant (the judge's own list, `ORGANIZATION_WIDE`, from
 * issue 10: deleting an attribute definition, opting a channel out everywhere, templates by id, the users list)
 * change or list every location by design; they are counted, not judged.
 *
 * Imports nothing but the sandbox's own fixture ids (like the rest of the sandbox, no workspace package).
 */
import { defaultFixtureIds } from "./fixtures/default-fixture-ids.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";
import type { Faults } from "./faults.js";
import type { LedgerEntry } from "./ledger.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const c = defaultResourceIds.coastalSmiles;
const h = defaultResourceIds.harbourAuto;

/** The isolation class of an operation as issue 10 names them, for the refusal counts (reporting only). */
export type WorkloadClass = "location-named" | "owned" | "list" | "organization" | "unknown route" | "unknown method" | "encoded path";

/** One call the workload makes. */
export interface WorkloadCall {
  /** Sequence number of the call in its run, from 0. */
  seq: number;
  /** `METHOD template` of the operation, or `bad: …` for a bad input. */
  op: string;
  class: WorkloadClass;
  locationUid: string;
  method: string;
  path: string;
  body?: string | undefined;
  /** Unique per run; the router sends it to Podium as `X-Request-ID`, so the ledger entries of the call carry it. */
  requestId: string;
  /** The caller's organization grants (`CallContext.organizations`). */
  organizations?: readonly string[] | undefined;
}

/** What the caller got: the router's answer, or its refusal. */
export type WorkloadAnswer = { ok: true; status: number; body: string } | { ok: false; code: string; message: string };

/** A crossing: what was seen, in words, with the call that did it. */
export interface Crossing {
  call: WorkloadCall;
  what: string;
}

/** The core's `ownersOf` (packages/core/src/isolation/owners-of.ts), injected. */
export type OwnersOfFn = (value: unknown, itemIsLocation?: boolean) => { readonly kind: "locations"; readonly uids: readonly string[]; readonly organizationUid: string | undefined } | { readonly kind: "organization"; readonly organizationUid: string | undefined } | { readonly kind: "none" };

/** The routing core as the workload calls it (`LocationRouter.call`). */
export interface WorkloadRouter {
  call(call: { locationUid: string; method: string; path: string; body?: string | undefined; requestId?: string | undefined }, ctx?: { caller?: string; organizations?: readonly string[] | undefined; deadline?: number }): Promise<{ status: number; body: string }>;
}

/** coastal-smiles, the organization the workload routes for. */
export const WORKLOAD_ORG = Object.freeze({
  slug: cs.slug,
  organizationUid: cs.organizationUid,
  locations: Object.freeze([cs.locations.sydney, cs.locations.burleighHeads, cs.locations.newcastle, cs.locations.byronBay]),
});

/**
 * Operations whose documented effect, under an organization grant, is organization-wide: their writes reach every
 * location's resources and their answers list them. The judge's own list (issue 10's "organization-level"), not
 * the router's table.
 */
export const ORGANIZATION_WIDE: ReadonlySet<string> = new Set([
  "DELETE /v4/contact_attributes/{uid}",
  "POST /v4/contacts/campaigns/opt_out",
  "PUT /v4/templates/{uid}",
  "DELETE /v4/templates/{uid}",
  "GET /v4/users",
]);

/**
 * The sandbox switch settings the workload runs under (the property test and the soak alike): the worst case, then
 * each alternative Podium's documents leave open.
 */
export const WORKLOAD_SWITCH_SETTINGS: readonly (readonly [string, Faults])[] = Object.freeze([
  ["the worst case (the sandbox's defaults)", {}],
  ["contactLocationsPatch: merge", { contactLocationsPatch: "merge" }],
  ["cursorIgnoresFilters: false", { cursorIgnoresFilters: false }],
  ["listFilters: ignored", { listFilters: "ignored" }],
  ["foreignResourceIds: rejected", { foreignResourceIds: "rejected" }],
] as const);

/** How many integers one choice holds. */
export const CHOICE_LENGTH = 8;
/** A choice: CHOICE_LENGTH integers in [0, 2^31). */
export type Choice = readonly number[];

/** A small seeded PRNG (mulberry32): the soak's source of choices. */
export function seededChoices(seed: number): () => Choice {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0x7fffffff;
  };
  return () => Array.from({ length: CHOICE_LENGTH }, next);
}

interface ContactRef {
  uid?: string;
  phone?: string;
  email?: string;
  conversationUid?: string;
}

const NOBODY = "c0a57a15-5e11-4fff-a000-000000000000";
/** Phone numbers and emails that several locations' contacts may be created with (upserts collide on them). */
const SHARED_PHONES = ["+61400109901", "+61400109902", "+61400109903", "+61400109904"];
const SHARED_EMAILS = ["pat.shared@patients.example", "lee.shared@patients.example", "kim.shared@patients.example"];

const contactRef = (x: { uid: string; phoneNumber: string; email: string; conversationUid: string }): ContactRef => ({ uid: x.uid, phone: x.phoneNumber, email: x.email, conversationUid: x.conversationUid });
const vals = (o: object): string[] => Object.values(o) as string[];

/** The id pools, per kind, that ids are drawn from. */
interface Pools {
  contacts: ContactRef[];
  conversations: string[];
  messages: [string, string][];
  reviews: string[];
  responses: [string, string][];
  invites: string[];
  invoices: string[];
  payments: string[];
  refunds: string[];
  readers: string[];
  calls: string[];
  campaigns: string[];
  templates: string[];
  webhooks: string[];
  products: string[];
  images: [string, string][];
  tags: string[];
  attributes: string[];
  users: string[];
  phones: string[];
  emails: string[];
  /** Paging cursors the router handed out: the route's path, the cursor, the location it was listed for. */
  cursors: { path: string; cursor: string; locationUid: string }[];
}

function seedPools(): Pools {
  return {
    contacts: [...Object.values(c.contacts).map(contactRef), ...Object.values(h.contacts).map(contactRef), { uid: NOBODY, phone: "+61400109999", email: "nobody@patients.example" }],
    conversations: [...vals(c.conversations), ...vals(h.conversations), NOBODY],
    messages: [
      [c.conversations.sydney, c.messages.sydney],
      [c.conversations.burleighHeads, c.messages.burleighHeads],
      [c.conversations.sharedAtSydney, c.messages.sharedAtSydney],
      [c.conversations.sharedAtBurleighHeads, c.messages.sharedAtBurleighHeads],
      [c.conversations.newcastle, c.messages.newcastle],
      [h.conversations.fremantle, h.messages.fremantle],
      [c.conversations.sydney, c.messages.burleighHeads],
    ],
    reviews: [...vals(c.reviews), ...vals(h.reviews), NOBODY],
    responses: [
      [c.reviews.sydney, c.reviewResponses.sydney],
      [h.reviews.fremantle, h.reviewResponses.fremantle],
      [c.reviews.burleighHeads, c.reviewResponses.sydney],
    ],
    invites: [...vals(c.reviewInvites), ...vals(h.reviewInvites), NOBODY],
    invoices: [...vals(c.invoices), ...vals(h.invoices), NOBODY],
    payments: [...vals(c.payments), ...vals(h.payments), NOBODY],
    refunds: [...vals(c.refunds), ...vals(h.refunds), NOBODY],
    readers: [...vals(c.readers), ...vals(h.readers), NOBODY],
    calls: [...vals(c.calls), ...vals(h.calls), NOBODY],
    campaigns: [...vals(c.campaigns), ...vals(h.campaigns), NOBODY],
    templates: [...vals(c.templates), ...vals(h.templates), NOBODY],
    webhooks: [...vals(c.webhooks), ...vals(h.webhooks), NOBODY],
    products: [...vals(c.products), ...vals(h.products), NOBODY],
    images: [
      [c.products.whitening, c.productImages.whitening],
      [c.products.whitening, c.productImages.whiteningAfter],
      [h.products.service, h.productImages.service],
    ],
    tags: [...vals(c.contactTags), ...vals(h.contactTags), NOBODY],
    attributes: [...vals(c.contactAttributes), ...vals(h.contactAttributes), NOBODY],
    users: [...vals(cs.users), ...vals(ha.users), NOBODY],
    phones: [...Object.values(c.contacts).map((x) => x.phoneNumber), ...Object.values(h.contacts).map((x) => x.phoneNumber), ...SHARED_PHONES],
    emails: [...Object.values(c.contacts).map((x) => x.email), ...Object.values(h.contacts).map((x) => x.email), ...SHARED_EMAILS],
    cursors: [],
  };
}

/** What the builder of one operation is given. */
interface Ctx {
  /** The routed location. */
  L: string;
  /** The location the body or query names: usually L, sometimes omitted (undefined), another location or another org's. */
  named: string | undefined;
  pools: Pools;
  /** Picks from a pool with the choice's integers. */
  pick<T>(pool: readonly T[], slot?: number): T;
  /** A contact identifier (uid, phone, email or conversation uid) of a pool contact. */
  contactId(): string;
  /** A number from the choice, for variants. */
  n(slot: number, mod: number): number;
  seq: number;
}

interface OpRow {
  op: string;
  class: WorkloadClass;
  /** Path (with query) and body. */
  build(x: Ctx): { path: string; body?: unknown };
}

const enc = encodeURIComponent;
/** `{locationUid: named}` when the choice names one, else nothing (the router fills what Podium requires). */
const at = (x: Ctx): Record<string, unknown> => (x.named === undefined ? {} : { locationUid: x.named });
const atQuery = (x: Ctx, key = "locationUid"): string => (x.named === undefined ? "" : `${key}=${enc(x.named)}`);
const withQuery = (path: string, ...parts: string[]): string => {
  const q = parts.filter((p) => p !== "").join("&");
  return q === "" ? path : `${path}?${q}`;
};
/** A list path, sometimes with a cursor some location was handed for it (its own, another's), or a forged one. */
function listPath(x: Ctx, path: string, ...parts: string[]): string {
  const mode = x.n(7, 8);
  if (mode < 5) return withQuery(path, ...parts);
  const mine = x.pools.cursors.filter((k) => k.path === path);
  if (mode < 7 && mine.length > 0) return withQuery(path, ...parts, `cursor=${enc(x.pick(mine, 3).cursor)}`);
  // A forged cursor: Podium's own shape (base64url JSON), or a router cursor with one character changed.
  const any = x.pools.cursors.length > 0 ? x.pick(x.pools.cursors, 3).cursor : "prc1.eyJvIjoxMH0.AAAAAAAAAAAAAAAAAAAAAA";
  const forged = x.n(6, 2) === 0 ? Buffer.from(JSON.stringify({ offset: 10, list: path }), "utf8").toString("base64url") : `${any.slice(0, -2)}${any.endsWith("A") ? "B" : "A"}${any.slice(-1)}`;
  return withQuery(path, ...parts, `cursor=${enc(forged)}`);
}

const ROWS: readonly OpRow[] = [
  { op: "GET /v4/locations", class: "list", build: (x) => ({ path: listPath(x, "/v4/locations") }) },
  { op: "GET /v4/locations/{uid}", class: "location-named", build: (x) => ({ path: `/v4/locations/${x.named ?? x.L}` }) },
  { op: "PATCH /v4/locations/{uid}", class: "location-named", build: (x) => ({ path: `/v4/locations/${x.named ?? x.L}`, body: { displayName: `Clinic ${x.seq}` } }) },
  { op: "GET /v4/organizations/{uid}", class: "organization", build: (x) => ({ path: `/v4/organizations/${x.n(5, 4) === 0 ? ha.organizationUid : cs.organizationUid}` }) },
  { op: "GET /v4/users", class: "organization", build: (x) => ({ path: listPath(x, "/v4/users") }) },
  { op: "GET /v4/users/{uid}", class: "owned", build: (x) => ({ path: `/v4/users/${x.pick(x.pools.users)}` }) },
  { op: "POST /v4/appointments", class: "location-named", build: (x) => { const k = x.pick(x.pools.contacts); return { path: "/v4/appointments", body: { contactName: `Patient ${x.seq}`, contactPhoneNumber: k.phone ?? x.pick(x.pools.phones), datetime: "2026-07-01T09:00:00Z", ...at(x) } }; } },
  { op: "GET /v4/campaign_interactions", class: "list", build: (x) => ({ path: listPath(x, "/v4/campaign_interactions", atQuery(x)) }) },
  { op: "GET /v4/campaigns", class: "list", build: (x) => ({ path: listPath(x, "/v4/campaigns") }) },
  { op: "POST /v4/campaigns", class: "location-named", build: (x) => ({ path: "/v4/campaigns", body: { name: `Campaign ${x.seq}`, status: "DRAFT", ...(x.n(5, 6) === 0 ? { locations: [] } : x.named === undefined ? {} : { locations: [x.named] }) } }) },
  { op: "DELETE /v4/campaigns/{uid}", class: "owned", build: (x) => ({ path: `/v4/campaigns/${x.pick(x.pools.campaigns)}` }) },
  { op: "GET /v4/campaigns/{uid}", class: "owned", build: (x) => ({ path: `/v4/campaigns/${x.pick(x.pools.campaigns)}` }) },
  { op: "PUT /v4/campaigns/{uid}", class: "owned", build: (x) => ({ path: `/v4/campaigns/${x.pick(x.pools.campaigns)}`, body: { name: `Renamed ${x.seq}`, status: "ACTIVE", ...(x.named === undefined ? {} : { locations: [x.named] }) } }) },
  { op: "POST /v4/campaigns/{uid}/messages", class: "owned", build: (x) => ({ path: `/v4/campaigns/${x.pick(x.pools.campaigns)}/messages`, body: { channelIdentifier: x.pick(x.pools.phones, 3) } }) },
  { op: "GET /v4/contact_attributes", class: "organization", build: (x) => ({ path: listPath(x, "/v4/contact_attributes") }) },
  { op: "POST /v4/contact_attributes", class: "organization", build: (x) => ({ path: "/v4/contact_attributes", body: { dataType: "STRING", label: `Attribute ${x.seq}`, ownerResourceType: "ORGANIZATION" } }) },
  { op: "DELETE /v4/contact_attributes/{uid}", class: "organization", build: (x) => ({ path: `/v4/contact_attributes/${x.pick(x.pools.attributes)}` }) },
  { op: "GET /v4/contact_attributes/{uid}", class: "organization", build: (x) => ({ path: `/v4/contact_attributes/${x.pick(x.pools.attributes)}` }) },
  { op: "PATCH /v4/contact_attributes/{uid}", class: "organization", build: (x) => ({ path: `/v4/contact_attributes/${x.pick(x.pools.attributes)}`, body: { label: `Label ${x.seq}` } }) },
  { op: "GET /v4/contact_tags", class: "organization", build: (x) => ({ path: listPath(x, "/v4/contact_tags") }) },
  { op: "POST /v4/contact_tags", class: "organization", build: (x) => ({ path: "/v4/contact_tags", body: { label: `Tag ${x.seq}`, description: "made by the workload" } }) },
  { op: "GET /v4/contact_tags/{uid}", class: "organization", build: (x) => ({ path: `/v4/contact_tags/${x.pick(x.pools.tags)}` }) },
  { op: "PATCH /v4/contact_tags/{uid}", class: "organization", build: (x) => ({ path: `/v4/contact_tags/${x.pick(x.pools.tags)}`, body: { description: `Described ${x.seq}` } }) },
  { op: "GET /v4/contacts", class: "list", build: (x) => ({ path: listPath(x, "/v4/contacts", x.n(5, 3) === 0 ? "limit=100" : "") }) },
  {
    op: "POST /v4/contacts",
    class: "location-named",
    build: (x) => {
      const which = x.n(5, 4);
      const phone = which !== 1 ? { phoneNumber: x.pick(x.pools.phones, 3) } : {};
      const email = which !== 0 ? { email: x.pick(x.pools.emails, 4) } : {};
      return { path: "/v4/contacts", body: { name: `Customer ${x.seq}`, ...phone, ...email, ...(x.named === undefined ? {} : { locations: [x.named] }) } };
    },
  },
  { op: "POST /v4/contacts/campaigns/opt_in", class: "location-named", build: (x) => ({ path: "/v4/contacts/campaigns/opt_in", body: { channel: { identifier: x.pick(x.pools.phones, 3), type: "PHONE" }, ...at(x) } }) },
  { op: "POST /v4/contacts/campaigns/opt_out", class: "organization", build: (x) => ({ path: "/v4/contacts/campaigns/opt_out", body: { channel: { identifier: x.pick(x.pools.phones, 3), type: "PHONE" } } }) },
  { op: "DELETE /v4/contacts/{identifier}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}` }) },
  { op: "GET /v4/contacts/{identifier}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}` }) },
  {
    op: "PATCH /v4/contacts/{identifier}",
    class: "owned",
    build: (x) => {
      const v = x.n(5, 3);
      const locations = v === 0 ? {} : v === 1 ? { locations: [x.named ?? x.L] } : { locations: [] };
      // Sometimes a phone number or email (Podium adds it to the contact, taking it from another one).
      const w = x.n(6, 6);
      const identifier = w === 0 ? { phoneNumber: x.pick(x.pools.phones, 3) } : w === 1 ? { email: x.pick(x.pools.emails, 3) } : {};
      return { path: `/v4/contacts/${enc(x.contactId())}`, body: { name: `Renamed ${x.seq}`, ...identifier, ...locations } };
    },
  },
  { op: "DELETE /v4/contacts/{identifier}/attributes/{uid}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}/attributes/${x.pick(x.pools.attributes, 4)}` }) },
  { op: "PATCH /v4/contacts/{identifier}/attributes/{uid}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}/attributes/${x.pick(x.pools.attributes, 4)}`, body: { value: `Dr ${x.seq}` } }) },
  { op: "POST /v4/contacts/{identifier}/attributes/{uid}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}/attributes/${x.pick(x.pools.attributes, 4)}`, body: { value: `Dr ${x.seq}` } }) },
  { op: "DELETE /v4/contacts/{identifier}/tags/{uid}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}/tags/${x.pick(x.pools.tags, 4)}` }) },
  { op: "POST /v4/contacts/{identifier}/tags/{uid}", class: "owned", build: (x) => ({ path: `/v4/contacts/${enc(x.contactId())}/tags/${x.pick(x.pools.tags, 4)}` }) },
  { op: "GET /v4/conversations", class: "list", build: (x) => ({ path: listPath(x, "/v4/conversations", atQuery(x)) }) },
  { op: "GET /v4/conversations/{uid}", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}` }) },
  { op: "PUT /v4/conversations/{uid}", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}`, body: { closed: x.n(5, 2) === 0, assignedUserUid: x.pick([cs.users.owner, cs.users.sydneyFrontDesk], 4) } }) },
  { op: "GET /v4/conversations/{uid}/assignees", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}/assignees` }) },
  { op: "PUT /v4/conversations/{uid}/assignees", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}/assignees`, body: { assigneeUids: [x.pick([cs.users.owner, cs.users.sydneyFrontDesk], 4)] } }) },
  { op: "POST /v4/conversations/{uid}/lead_writeback", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}/lead_writeback` }) },
  { op: "POST /v4/conversations/{uid}/notes", class: "owned", build: (x) => ({ path: `/v4/conversations/${x.pick(x.pools.conversations)}/notes`, body: { body: `Note ${x.seq}`, senderName: "Workload" } }) },
  { op: "GET /v4/feedback", class: "list", build: (x) => ({ path: listPath(x, "/v4/feedback") }) },
  { op: "POST /v4/feedback", class: "location-named", build: (x) => ({ path: "/v4/feedback", body: { customerName: `Customer ${x.seq}`, phoneNumber: x.pick(x.pools.phones, 3), ...at(x) } }) },
  { op: "GET /v4/conversations/{conversation_uid}/messages", class: "owned", build: (x) => ({ path: listPath(x, `/v4/conversations/${x.pick(x.pools.conversations)}/messages`) }) },
  { op: "GET /v4/conversations/{conversation_uid}/messages/{uid}", class: "owned", build: (x) => { const [conv, msg] = x.pick(x.pools.messages); return { path: `/v4/conversations/${conv}/messages/${msg}` }; } },
  {
    op: "POST /v4/import/messages",
    class: "location-named",
    build: (x) => ({ path: "/v4/import/messages", body: { body: `Imported ${x.seq}`, channel: { type: "phone", identifier: x.pick(x.pools.phones, 3) }, contactName: `Imported ${x.seq}`, direction: "inbound", publishedAt: "2026-01-05T10:00:00Z", ...at(x) } }),
  },
  {
    op: "POST /v4/messages",
    class: "location-named",
    build: (x) => {
      const email = x.n(5, 4) === 0;
      const channel = email ? { type: "email", identifier: x.pick(x.pools.emails, 3) } : { type: "phone", identifier: x.pick(x.pools.phones, 3) };
      return { path: "/v4/messages", body: { body: `Hello ${x.seq}`, channel, ...(x.n(6, 3) === 0 ? { contactName: `Named ${x.seq}` } : {}), ...at(x) } };
    },
  },
  // Multipart in Podium; the router passes JSON bodies, so the JSON form with `data` is what it is asked to route.
  { op: "POST /v4/messages/attachment", class: "location-named", build: (x) => ({ path: "/v4/messages/attachment", body: { data: { body: `Attachment ${x.seq}`, channel: { type: "phone", identifier: x.pick(x.pools.phones, 3) }, ...at(x) } } }) },
  { op: "GET /v4/templates", class: "list", build: (x) => ({ path: listPath(x, "/v4/templates", atQuery(x)) }) },
  {
    op: "POST /v4/templates",
    class: "location-named",
    build: (x) => ({ path: "/v4/templates", body: x.n(5, 5) === 0 ? { accessLevel: "organization", text: "Hello all", title: `Org ${x.seq}`, type: "custom" } : { accessLevel: "location", ...(x.named === undefined ? {} : { locationUids: [x.named] }), text: "Hello", title: `T ${x.seq}`, type: "custom" } }),
  },
  { op: "DELETE /v4/templates/{uid}", class: "organization", build: (x) => ({ path: `/v4/templates/${x.pick(x.pools.templates)}` }) },
  { op: "PUT /v4/templates/{uid}", class: "organization", build: (x) => ({ path: `/v4/templates/${x.pick(x.pools.templates)}`, body: { accessLevel: "location", locationUids: [x.named ?? x.L], text: `Again ${x.seq}`, title: "Hi", type: "custom" } }) },
  { op: "GET /v4/invoices", class: "list", build: (x) => ({ path: listPath(x, "/v4/invoices", atQuery(x)) }) },
  {
    op: "POST /v4/invoices",
    class: "location-named",
    build: (x) => ({ path: "/v4/invoices", body: { channelIdentifier: x.pick(x.pools.phones, 3), customerName: `Customer ${x.seq}`, invoiceNumber: `W-${x.seq}`, lineItems: [{ amount: 1000 + x.n(5, 9000), description: "Care" }], ...at(x) } }),
  },
  { op: "GET /v4/invoices/{uid}", class: "owned", build: (x) => ({ path: withQuery(`/v4/invoices/${x.pick(x.pools.invoices)}`, atQuery(x)) }) },
  { op: "POST /v4/invoices/{uid}/cancel", class: "owned", build: (x) => ({ path: `/v4/invoices/${x.pick(x.pools.invoices)}/cancel`, body: { note: "Duplicate", ...at(x) } }) },
  { op: "POST /v4/invoices/{uid}/charge", class: "owned", build: (x) => ({ path: `/v4/invoices/${x.pick(x.pools.invoices)}/charge`, body: { paymentMethodId: "pm_card_visa", idempotencyUid: `idem-${x.n(5, 50)}`, ...at(x) } }) },
  { op: "POST /v4/invoices/{uid}/refund", class: "owned", build: (x) => ({ path: `/v4/invoices/${x.pick(x.pools.invoices)}/refund`, body: { amount: 100, paymentUid: x.pick(x.pools.payments, 4), reason: "requested_by_customer", ...at(x) } }) },
  { op: "POST /v4/invoices/{uid}/setup", class: "owned", build: (x) => ({ path: `/v4/invoices/${x.pick(x.pools.invoices)}/setup`, body: { ...at(x) } }) },
  { op: "GET /v4/payments/{uid}", class: "organization", build: (x) => ({ path: `/v4/payments/${x.pick(x.pools.payments)}` }) },
  { op: "GET /v4/readers/{uid}", class: "owned", build: (x) => ({ path: `/v4/readers/${x.pick(x.pools.readers)}` }) },
  {
    op: "POST /v4/refunds",
    class: "location-named",
    build: (x) => ({ path: "/v4/refunds", body: { amount: 700, channelIdentifier: x.pick(x.pools.phones, 3), customerName: `Customer ${x.seq}`, readerUid: x.pick(x.pools.readers, 4), reason: "duplicate", ...at(x) } }),
  },
  { op: "GET /v4/refunds/{uid}", class: "owned", build: (x) => ({ path: withQuery(`/v4/refunds/${x.pick(x.pools.refunds)}`, atQuery(x)) }) },
  { op: "GET /v4/calls/{uid}", class: "owned", build: (x) => ({ path: `/v4/calls/${x.pick(x.pools.calls)}` }) },
  { op: "GET /v4/products", class: "organization", build: (x) => ({ path: listPath(x, "/v4/products", atQuery(x)) }) },
  { op: "GET /v4/products/{uid}", class: "organization", build: (x) => ({ path: `/v4/products/${x.pick(x.pools.products)}` }) },
  { op: "DELETE /v4/products/{uid}/delete_images", class: "organization", build: (x) => { const [p, i] = x.pick(x.pools.images); return { path: `/v4/products/${p}/delete_images`, body: { uids: [i], ...at(x) } }; } },
  { op: "POST /v4/products/{uid}/upload_images", class: "organization", build: (x) => ({ path: `/v4/products/${x.pick(x.pools.products)}/upload_images`, body: { images: [{ data: "aGVsbG8=", isPrimary: false }], ...at(x) } }) },
  { op: "GET /v4/reviews", class: "list", build: (x) => ({ path: listPath(x, "/v4/reviews") }) },
  { op: "GET /v4/reviews/invites", class: "list", build: (x) => ({ path: listPath(x, "/v4/reviews/invites") }) },
  { op: "POST /v4/reviews/invites", class: "location-named", build: (x) => ({ path: "/v4/reviews/invites", body: { phoneNumber: x.pick(x.pools.phones, 3), ...at(x) } }) },
  { op: "GET /v4/reviews/invites/{uid}", class: "owned", build: (x) => ({ path: `/v4/reviews/invites/${x.pick(x.pools.invites)}` }) },
  { op: "GET /v4/reviews/sites/summary", class: "organization", build: (x) => ({ path: withQuery("/v4/reviews/sites/summary", atQuery(x, "locationUids[]")) }) },
  { op: "GET /v4/reviews/summary", class: "list", build: (x) => ({ path: withQuery("/v4/reviews/summary", atQuery(x, "locationUids[]")) }) },
  { op: "PATCH /v4/reviews/{review_uid}/responses/{uid}", class: "owned", build: (x) => { const [r, s] = x.pick(x.pools.responses); return { path: `/v4/reviews/${r}/responses/${s}`, body: { body: `Thanks ${x.seq}` } }; } },
  { op: "GET /v4/reviews/{uid}", class: "owned", build: (x) => ({ path: `/v4/reviews/${x.pick(x.pools.reviews)}` }) },
  { op: "DELETE /v4/reviews/{uid}/attributions", class: "owned", build: (x) => ({ path: `/v4/reviews/${x.pick(x.pools.reviews)}/attributions`, body: { userUid: x.pick([cs.users.owner, cs.users.sydneyFrontDesk], 4) } }) },
  { op: "POST /v4/reviews/{uid}/attributions", class: "owned", build: (x) => ({ path: `/v4/reviews/${x.pick(x.pools.reviews)}/attributions`, body: { userUid: x.pick([cs.users.owner, cs.users.sydneyFrontDesk], 4), ...at(x) } }) },
  { op: "GET /v4/reviews/{uid}/responses", class: "owned", build: (x) => ({ path: `/v4/reviews/${x.pick(x.pools.reviews)}/responses` }) },
  { op: "POST /v4/reviews/{uid}/responses", class: "owned", build: (x) => ({ path: `/v4/reviews/${x.pick(x.pools.reviews)}/responses`, body: { body: `Response ${x.seq}` } }) },
  { op: "GET /v4/webhooks", class: "list", build: (x) => ({ path: listPath(x, "/v4/webhooks") }) },
  {
    op: "POST /v4/webhooks",
    class: "location-named",
    build: (x) => ({ path: "/v4/webhooks", body: { url: `https://hooks.example/w${x.seq}`, eventTypes: ["message.received"], ...(x.n(5, 5) === 0 ? { organizationUid: x.n(6, 4) === 0 ? ha.organizationUid : cs.organizationUid } : at(x)) } }),
  },
  { op: "DELETE /v4/webhooks/{uid}", class: "owned", build: (x) => ({ path: `/v4/webhooks/${x.pick(x.pools.webhooks)}` }) },
  { op: "GET /v4/webhooks/{uid}", class: "owned", build: (x) => ({ path: `/v4/webhooks/${x.pick(x.pools.webhooks)}` }) },
  { op: "PUT /v4/webhooks/{uid}", class: "owned", build: (x) => ({ path: `/v4/webhooks/${x.pick(x.pools.webhooks)}`, body: { disabled: x.n(5, 2) === 0, url: `https://hooks.example/u${x.seq}` } }) },
];

/** Every operation the workload makes (86), `METHOD template`. */
export const WORKLOAD_OPERATIONS: readonly string[] = ROWS.map((r) => r.op);

/** Bad inputs: each must be refused with nothing sent. */
const BAD: readonly OpRow[] = [
  { op: "bad: unknown route", class: "unknown route", build: (x) => ({ path: x.pick(["/v4/secrets", "/v4/contacts/x/y/z", "/v4/locations/all/contacts", "/v5/contacts", "/v4/organizations"], 3) }) },
  { op: "bad: unknown method", class: "unknown method", build: (x) => ({ path: x.pick(["/v4/reviews", "/v4/locations", "/v4/contacts"], 3) }) },
  {
    op: "bad: encoded path",
    class: "encoded path",
    build: (x) => ({
      path: x.pick([
        `/v4/%6Cocations/${x.pick(WORKLOAD_ORG.locations, 4)}`,
        `/v4/contacts/%2e%2e/locations/${x.pick(WORKLOAD_ORG.locations, 4)}`,
        `/v4/locations/${x.L}/../${x.pick(WORKLOAD_ORG.locations, 4)}`,
        `/v4/c%6Fntacts`,
        `/v4/campaigns/${c.campaigns.sydney}%2F..%2F${c.campaigns.shared}`,
      ], 3),
    }),
  },
];

/** The generator: a choice in, one call out; `observe` grows the id pools from the answers. */
export interface IsolationWorkload {
  next(choice: Choice): WorkloadCall;
  observe(call: WorkloadCall, answer: WorkloadAnswer): void;
}

/**
 * A workload over `locations` (default: coastal-smiles' four). `organizationGrantOneIn`: one call in this many is
 * made by a caller holding coastal-smiles' organization grant (0: never).
 */
export function createIsolationWorkload(opts: { locations?: readonly string[]; organizationGrantOneIn?: number; runId?: string } = {}): IsolationWorkload {
  const locations = opts.locations ?? WORKLOAD_ORG.locations;
  const grantOneIn = opts.organizationGrantOneIn ?? 6;
  const runId = opts.runId ?? "w";
  const pools = seedPools();
  /** Which location created an id (from the answers): a hint that biases picks toward the routed location's own. */
  const createdBy = new Map<string, string>();
  let seq = 0;

  return {
    next(choice) {
      const at = (i: number): number => choice[i % choice.length] ?? 0;
      const s = seq++;
      const L = locations[at(1) % locations.length] as string;
      // 1 in 40 calls is a bad input; the rest are spread over the 86 operations.
      const badPick = at(0) % 40 === 0;
      const row = badPick ? (BAD[at(2) % BAD.length] as OpRow) : (ROWS[at(0) % ROWS.length] as OpRow);
      const v = at(4) % 12;
      const others = [...locations.filter((u) => u !== L), ...WORKLOAD_ORG.locations.filter((u) => u !== L && !locations.includes(u))];
      const named = v < 8 ? L : v < 10 ? undefined : v === 10 ? (others[at(3) % Math.max(1, others.length)] ?? L) : ha.locations.fremantle;
      const x: Ctx = {
        L,
        named,
        pools,
        seq: s,
        pick: <T>(pool: readonly T[], slot = 2) => {
          // Half the time, an id the routed location is likely to own (seeded at it, or created by it).
          if (slot === 2 && at(5) % 2 === 0) {
            const own = pool.filter((item) => likelyOwner(keyOf(item), createdBy)?.includes(L) === true);
            if (own.length > 0) return own[at(slot) % own.length] as T;
          }
          return pool[at(slot) % pool.length] as T;
        },
        contactId() {
          const refs = at(5) % 2 === 0 ? pools.contacts.filter((r) => likelyOwner(keyOf(r), createdBy)?.includes(L) === true) : [];
          const from = refs.length > 0 ? refs : pools.contacts;
          const ref = from[at(2) % from.length] as ContactRef;
          // Emails also in upper case: Podium matches them whatever the case.
          const forms = [ref.uid, ref.phone, ref.email, ref.conversationUid, at(6) % 3 === 0 ? ref.email?.toUpperCase() : undefined].filter((f): f is string => f !== undefined);
          return forms[at(3) % forms.length] ?? NOBODY;
        },
        n: (slot, mod) => at(slot) % mod,
      };
      const built = row.build(x);
      let method = row.op.startsWith("bad:") ? "GET" : row.op.slice(0, row.op.indexOf(" "));
      if (row.op === "bad: unknown method") method = x.pick(["PATCH", "PUT", "DELETE"], 5);
      const organizations = grantOneIn > 0 && at(6) % grantOneIn === 0 ? [WORKLOAD_ORG.slug] : undefined;
      return {
        seq: s,
        op: row.op,
        class: row.class,
        locationUid: L,
        method,
        path: built.path,
        body: built.body === undefined ? undefined : JSON.stringify(built.body),
        requestId: `${runId}-${s}`,
        organizations,
      };
    },

    observe(call, answer) {
      if (!answer.ok || answer.status >= 300 || answer.body === "") return;
      let parsed: { data?: unknown; metadata?: { nextCursor?: unknown } };
      try {
        parsed = JSON.parse(answer.body) as typeof parsed;
      } catch {
        return;
      }
      const cursor = parsed.metadata?.nextCursor;
      if (typeof cursor === "string" && cursor !== "") {
        pools.cursors.push({ path: call.path.split("?")[0] as string, cursor, locationUid: call.locationUid });
        if (pools.cursors.length > 64) pools.cursors.shift();
      }
      const data = parsed.data;
      if (typeof data !== "object" || data === null || Array.isArray(data)) return;
      const d = data as Record<string, unknown>;
      const uid = typeof d["uid"] === "string" ? d["uid"] : undefined;
      if (call.method === "POST") {
        for (const id of [uid, d["identifier"], (d["conversation"] as { uid?: unknown } | undefined)?.uid]) {
          if (typeof id === "string" && !createdBy.has(id)) createdBy.set(id, call.locationUid);
        }
        if (createdBy.size > 5000) createdBy.clear();
      }
      const add = (pool: string[], id: string | undefined) => {
        if (id !== undefined && !pool.includes(id)) {
          pool.push(id);
          if (pool.length > 80) pool.splice(8, 1);
        }
      };
      switch (call.op) {
        case "POST /v4/contacts": {
          const body = JSON.parse(call.body ?? "{}") as { phoneNumber?: string; email?: string };
          const identifier = typeof d["identifier"] === "string" ? d["identifier"] : undefined;
          pools.contacts.push({ ...(identifier ? { conversationUid: identifier } : {}), ...(body.phoneNumber ? { phone: body.phoneNumber } : {}), ...(body.email ? { email: body.email } : {}) });
          if (pools.contacts.length > 60) pools.contacts.splice(7, 1);
          break;
        }
        case "POST /v4/messages":
        case "POST /v4/import/messages":
        case "POST /v4/messages/attachment": {
          const conv = (d["conversation"] as { uid?: unknown } | undefined)?.uid ?? d["conversationUid"];
          if (typeof conv === "string") {
            add(pools.conversations, conv);
            if (uid !== undefined) pools.messages.push([conv, uid]);
            if (pools.messages.length > 80) pools.messages.splice(7, 1);
          }
          break;
        }
        case "POST /v4/reviews/{uid}/responses": {
          const review = call.path.split("/")[3] as string;
          if (uid !== undefined) pools.responses.push([review, uid]);
          if (pools.responses.length > 60) pools.responses.splice(3, 1);
          break;
        }
        case "POST /v4/invoices/{uid}/charge": {
          const payment = (d["payment"] as { uid?: unknown } | undefined)?.uid;
          if (typeof payment === "string") add(pools.payments, payment);
          break;
        }
        default: {
          const pool = CREATED_POOLS[call.op];
          if (pool !== undefined) add(pools[pool], uid);
          break;
        }
      }
    },
  };
}

/** The creates whose answer's `data.uid` is kept in a pool of plain ids, for later calls to aim at. */
const CREATED_POOLS: Readonly<Record<string, "campaigns" | "templates" | "webhooks" | "invoices" | "invites" | "tags" | "attributes" | "refunds">> = {
  "POST /v4/campaigns": "campaigns",
  "POST /v4/templates": "templates",
  "POST /v4/webhooks": "webhooks",
  "POST /v4/invoices": "invoices",
  "POST /v4/reviews/invites": "invites",
  "POST /v4/contact_tags": "tags",
  "POST /v4/contact_attributes": "attributes",
  "POST /v4/refunds": "refunds",
};

/** The id an item of a pool is known by: the string, a pair's first (its parent), a contact's conversation uid or uid. */
function keyOf(item: unknown): string | undefined {
  if (typeof item === "string") return item;
  if (Array.isArray(item)) return typeof item[0] === "string" ? item[0] : undefined;
  const ref = item as ContactRef;
  return ref.conversationUid ?? ref.uid;
}

const TAIL_OWNERS: Readonly<Record<string, readonly string[]>> = {
  "1": [cs.locations.sydney],
  "2": [cs.locations.burleighHeads],
  "3": [cs.locations.newcastle],
  e: [cs.locations.sydney, cs.locations.burleighHeads],
};

/** Who probably owns an id: its creator, or for a seeded coastal-smiles id the owner its tail names (`…0LN`). */
function likelyOwner(id: string | undefined, createdBy: ReadonlyMap<string, string>): readonly string[] | undefined {
  if (id === undefined) return undefined;
  const creator = createdBy.get(id);
  if (creator !== undefined) return [creator];
  if (!id.startsWith("c0a57a15-5e11-4") || id.startsWith("c0a57a15-5e11-4000")) return undefined;
  return TAIL_OWNERS[id.charAt(id.length - 2)];
}

const LOCATION_ROUTES = new Set(["GET /v4/locations", "GET /v4/locations/{uid}", "PATCH /v4/locations/{uid}"]);

/**
 * Judges one call: its ledger entries (those carrying its request id) and what the caller got. `allLocations` are
 * every location uid of the organization and of others the fixture has (for the refusal-message check).
 */
export function judgeCall(call: WorkloadCall, answer: WorkloadAnswer, entries: readonly LedgerEntry[], ownersOf: OwnersOfFn, allLocations: readonly string[]): Crossing[] {
  const out: Crossing[] = [];
  const A = call.locationUid;
  const org = WORKLOAD_ORG.organizationUid;
  const granted = call.organizations?.includes(WORKLOAD_ORG.slug) === true;
  const orgWide = granted && ORGANIZATION_WIDE.has(call.op);
  const cross = (what: string) => out.push({ call, what });

  if (call.op.startsWith("bad:")) {
    if (answer.ok) cross(`a bad input was answered ${answer.status} instead of refused`);
    if (entries.length > 0) cross(`a bad input sent ${entries.length} request(s) to Podium (${entries.map((e) => `${e.method} ${e.path}`).join(", ")})`);
  }

  // Writes, from the ledger.
  for (const e of entries) {
    for (const r of e.resources) {
      if (r.access === "read") continue;
      const what = `${r.access} of ${r.kind} ${r.id} (owners ${JSON.stringify(r.owners)}${r.ownersAfter ? ` → ${JSON.stringify(r.ownersAfter)}` : ""}) by ${e.method} ${e.route}`;
      if (r.organizationUid !== org) {
        cross(`${what}: another organization's resource`);
        continue;
      }
      if (orgWide) continue;
      const before = r.owners;
      const after = r.access === "delete" ? before : (r.ownersAfter ?? before);
      if (before.length === 0 || after.length === 0) {
        if (!granted) cross(`${what}: an organization-level write without an organization grant`);
      }
      if (before.length === 0) {
        if (after.some((u) => u !== A)) cross(`${what}: an organization-level resource given to another location`);
        continue;
      }
      if (!before.includes(A)) {
        cross(`${what}: the routed location is not among its owners`);
        continue;
      }
      if (r.access === "delete" && before.some((u) => u !== A)) cross(`${what}: deleted from other locations too`);
      if (after.length > 0 && !after.includes(A)) cross(`${what}: the routed location is not among its owners after`);
      if (after.length > 0 && before.some((u) => u !== A && !after.includes(u))) cross(`${what}: another owner removed`);
      if (after.length === 0 && before.some((u) => u !== A)) cross(`${what}: made organization-level, taking it from other locations`);
      if (after.some((u) => u !== A && !before.includes(u))) cross(`${what}: another location added as owner`);
    }
  }

  // What the caller received.
  if (answer.ok && answer.status < 300 && answer.body !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      parsed = undefined;
    }
    const data = typeof parsed === "object" && parsed !== null ? (parsed as { data?: unknown }).data : undefined;
    const items = Array.isArray(data) ? data : data === undefined ? [] : [data];
    const itemIsLocation = LOCATION_ROUTES.has(call.op);
    for (const item of items) {
      const view = ownersOf(item, itemIsLocation);
      if (view.kind === "none") continue;
      if (view.organizationUid !== undefined && view.organizationUid !== org) cross(`the answer returned an object of organization ${view.organizationUid}`);
      if (view.kind === "locations" && !view.uids.includes(A) && !orgWide) cross(`the answer returned an object of ${JSON.stringify(view.uids)}`);
    }
  } else if (!answer.ok) {
    const asked = `${call.path} ${call.body ?? ""}`;
    for (const uid of allLocations) {
      if (uid !== A && answer.message.includes(uid) && !asked.includes(uid)) cross(`the refusal ${answer.code} names ${uid}, which the request did not`);
    }
  }
  return out;
}

/** Refusals, answers and crossings of a run. */
export interface WorkloadStats {
  calls: number;
  /** Answered 2xx. */
  answered: number;
  /** Podium's own non-2xx answers passed through, by status. */
  upstreamStatus: Record<string, number>;
  /** Refused by the router, by `class code`. */
  refused: Record<string, number>;
  /** Operations made at least once. */
  operations: Set<string>;
  crossings: number;
  /** The first crossings (at most 50). */
  examples: Crossing[];
  /** Organization-wide operations under a grant, counted rather than judged. */
  organizationWide: number;
  /** Calls whose ledger entries could not all be read (the ledger's ring buffer moved past them). */
  ledgerGaps: number;
}

export function emptyStats(): WorkloadStats {
  return { calls: 0, answered: 0, upstreamStatus: {}, refused: {}, operations: new Set(), crossings: 0, examples: [], organizationWide: 0, ledgerGaps: 0 };
}

/** The sandbox as the runner needs it. */
export interface WorkloadLedger {
  ledger(sinceSeq?: number): LedgerEntry[];
}

export interface RunOptions {
  router: WorkloadRouter;
  sandbox: WorkloadLedger;
  workload: IsolationWorkload;
  ownersOf: OwnersOfFn;
  /** The choices, one per call, until it returns undefined. */
  choices: () => Choice | undefined;
  stats?: WorkloadStats;
  /** Every known location uid (refusal-message check); default: both organizations of the default fixture. */
  allLocations?: readonly string[];
  /** Called after each call (progress). */
  onCall?: (stats: WorkloadStats) => void;
  /**
   * Calls in flight at once. @default 1: one after another, so a run is reproducible. More finds races (an owner
   * checked, then changed by another call before the write is sent), at the price of reproducibility.
   */
  concurrency?: number;
}

const DEFAULT_ALL_LOCATIONS = [...Object.values(cs.locations), ...Object.values(ha.locations)];

/**
 * Runs calls through the router (one after another unless `concurrency`), judging each from its ledger entries and its answer; returns
 * the stats (crossings counted, the first examples kept). A failure that is not a router refusal (`ERR_LOC_…`) is
 * thrown.
 */
export async function runIsolationWorkload(opts: RunOptions): Promise<WorkloadStats> {
  const stats = opts.stats ?? emptyStats();
  const all = opts.allLocations ?? DEFAULT_ALL_LOCATIONS;
  let since = opts.sandbox.ledger().at(-1)?.seq ?? 0;
  // The ledger entries of the calls in flight, by request id (with several in flight, one call's read may take in
  // another's entries).
  const inFlight = new Map<string, LedgerEntry[]>();
  const drain = (call: WorkloadCall): void => {
    const fresh = opts.sandbox.ledger(since);
    if (fresh.length === 0) return;
    if ((fresh[0] as LedgerEntry).seq !== since + 1) stats.ledgerGaps++;
    since = (fresh.at(-1) as LedgerEntry).seq;
    for (const e of fresh) {
      const mine = e.requestId === undefined ? undefined : inFlight.get(e.requestId);
      if (mine !== undefined) mine.push(e);
      else if (e.resources.some((r) => r.access !== "read")) record(stats, { call, what: `a write no workload call made: ${e.method} ${e.path} (request id ${e.requestId ?? "none"})` });
    }
  };
  const worker = async (): Promise<void> => {
    for (let choice = opts.choices(); choice !== undefined; choice = opts.choices()) {
      const call = opts.workload.next(choice);
      inFlight.set(call.requestId, []);
      let answer: WorkloadAnswer;
      try {
        const res = await opts.router.call(
          { locationUid: call.locationUid, method: call.method, path: call.path, body: call.body, requestId: call.requestId },
          { caller: "isolation-workload", organizations: call.organizations, deadline: Date.now() + 30_000 },
        );
        answer = { ok: true, status: res.status, body: res.body };
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code !== "string" || !code.startsWith("ERR_LOC_")) throw err;
        answer = { ok: false, code, message: String((err as Error).message) };
      }
      // The sandbox records a request before it answers it: every entry of this call is in the ledger now.
      drain(call);
      const mine = inFlight.get(call.requestId) ?? [];
      inFlight.delete(call.requestId);
      stats.calls++;
      stats.operations.add(call.op);
      if (call.organizations !== undefined && ORGANIZATION_WIDE.has(call.op)) stats.organizationWide++;
      if (answer.ok) {
        if (answer.status < 300) stats.answered++;
        else stats.upstreamStatus[answer.status] = (stats.upstreamStatus[answer.status] ?? 0) + 1;
      } else {
        const key = `${call.class} ${answer.code}`;
        stats.refused[key] = (stats.refused[key] ?? 0) + 1;
      }
      for (const crossing of judgeCall(call, answer, mine, opts.ownersOf, all)) record(stats, crossing);
      opts.workload.observe(call, answer);
      opts.onCall?.(stats);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  return stats;
}

function record(stats: WorkloadStats, crossing: Crossing): void {
  stats.crossings++;
  if (stats.examples.length < 50) stats.examples.push(crossing);
}

/** A crossing in one line, for test failures and the soak's printout. */
export function describeCrossing(x: Crossing): string {
  const { call } = x;
  return `#${call.seq} ${call.method} ${call.path}${call.body ? ` ${call.body}` : ""} routed as ${call.locationUid}${call.organizations ? " (organization grant)" : ""}: ${x.what}`;
}

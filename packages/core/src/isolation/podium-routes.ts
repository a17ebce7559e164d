/**
 * The 86 operations of Podium's v4 OpenAPI files (version 2021.04.01), with the fields that name a
 * location, as data. `podium-routes.spec.ts` checks this table against `../shared/podium-openapi/*.json`.
 */

/** HTTP methods Podium's v4 operations use. HEAD is matched against GET routes. */
export type PodiumMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Where Podium REQUIRES a location field (the OpenAPI `required` list) that the router fills with the
 * routed location when the caller leaves it out: `locationUid: uid`, `locations: [uid]`, or
 * `?locationUid=uid` (GET /v4/invoices/{uid} and /v4/refunds/{uid} require it in the query).
 */
export type LocationFill = "body.locationUid" | "body.locations" | "query.locationUid";

/** One Podium v4 operation. */
export interface PodiumRoute {
  readonly method: PodiumMethod;
  /** OpenAPI path template, e.g. `/v4/contacts/{identifier}`; also the audit line's `endpoint`. */
  readonly template: string;
  /** The OAuth scope Podium requires; `"none"` when none; null when it depends on the webhook's event types. */
  readonly scope: string | null;
  /** The documented success status. */
  readonly successStatus: 200 | 202;
  /** Query parameters and top-level body properties named locationUid, locationUids, locations or organizationUid. */
  readonly locationFields: { readonly query: readonly string[]; readonly body: readonly string[] };
  /** Set when Podium requires a location field; see `LocationFill`. */
  readonly fill?: LocationFill;
}

/** What `matchRoute()` found: the operation and the raw (still percent-encoded) path parameters. */
export interface RouteMatch {
  route: PodiumRoute;
  params: Record<string, string>;
}

type Row = readonly [PodiumMethod, string, string | null, 200 | 202, string];

// [method, template, scope, success status, location fields ("!" = required by Podium)], in the order of
// the appendix of podium-api.md (the OpenAPI files in name order).
const rows: readonly Row[] = [
  ["GET", "/v4/locations", "read_locations", 200, ""],
  ["GET", "/v4/locations/{uid}", "read_locations", 200, ""],
  ["PATCH", "/v4/locations/{uid}", "write_locations", 200, ""],
  ["GET", "/v4/organizations/{uid}", "read_organizations", 200, ""],
  ["GET", "/v4/users", "read_users", 200, ""],
  ["GET", "/v4/users/{uid}", "read_users", 200, ""],
  ["POST", "/v4/appointments", "write_appointments", 200, "body.locationUid!"],
  ["GET", "/v4/campaign_interactions", "read_campaigns", 200, "query.locationUid"],
  ["GET", "/v4/campaigns", "read_campaigns", 200, ""],
  ["POST", "/v4/campaigns", "write_campaigns", 200, "body.locations!"],
  ["DELETE", "/v4/campaigns/{uid}", "write_campaigns", 200, ""],
  ["GET", "/v4/campaigns/{uid}", "read_campaigns", 200, ""],
  ["PUT", "/v4/campaigns/{uid}", "write_campaigns", 200, "body.locations!"],
  ["POST", "/v4/campaigns/{uid}/messages", "write_campaign_messages", 200, ""],
  ["GET", "/v4/contact_attributes", "read_contacts", 200, ""],
  ["POST", "/v4/contact_attributes", "write_contacts", 200, ""],
  ["DELETE", "/v4/contact_attributes/{uid}", "write_contacts", 200, ""],
  ["GET", "/v4/contact_attributes/{uid}", "read_contacts", 200, ""],
  ["PATCH", "/v4/contact_attributes/{uid}", "write_contacts", 200, ""],
  ["GET", "/v4/contact_tags", "read_contacts", 200, ""],
  ["POST", "/v4/contact_tags", "write_contacts", 200, ""],
  ["GET", "/v4/contact_tags/{uid}", "read_contacts", 200, ""],
  ["PATCH", "/v4/contact_tags/{uid}", "write_contacts", 200, ""],
  ["GET", "/v4/contacts", "read_contacts", 200, ""],
  ["POST", "/v4/contacts", "write_contacts", 202, "body.locations!"],
  ["POST", "/v4/contacts/campaigns/opt_in", "write_contacts", 200, "body.locationUid!"],
  ["POST", "/v4/contacts/campaigns/opt_out", "write_contacts", 200, ""],
  ["DELETE", "/v4/contacts/{identifier}", "write_contacts", 202, ""],
  ["GET", "/v4/contacts/{identifier}", "read_contacts", 200, ""],
  ["PATCH", "/v4/contacts/{identifier}", "write_contacts", 202, "body.locations"],
  ["DELETE", "/v4/contacts/{identifier}/attributes/{uid}", "write_contacts", 202, ""],
  ["PATCH", "/v4/contacts/{identifier}/attributes/{uid}", "write_contacts", 202, ""],
  ["POST", "/v4/contacts/{identifier}/attributes/{uid}", "write_contacts", 202, ""],
  ["DELETE", "/v4/contacts/{identifier}/tags/{uid}", "write_contacts", 202, ""],
  ["POST", "/v4/contacts/{identifier}/tags/{uid}", "write_contacts", 202, ""],
  ["GET", "/v4/conversations", "read_messages", 200, "query.locationUid"],
  ["GET", "/v4/conversations/{uid}", "read_messages", 200, ""],
  ["PUT", "/v4/conversations/{uid}", "write_messages", 200, ""],
  ["GET", "/v4/conversations/{uid}/assignees", "read_messages", 200, ""],
  ["PUT", "/v4/conversations/{uid}/assignees", "write_messages", 200, ""],
  ["POST", "/v4/conversations/{uid}/lead_writeback", "write_writebacks", 200, ""],
  ["POST", "/v4/conversations/{uid}/notes", "write_messages", 200, ""],
  ["GET", "/v4/feedback", "read_feedback", 200, ""],
  ["POST", "/v4/feedback", "write_feedback", 202, "body.locationUid!"],
  ["GET", "/v4/conversations/{conversation_uid}/messages", "read_messages", 200, ""],
  ["GET", "/v4/conversations/{conversation_uid}/messages/{uid}", "read_messages", 200, ""],
  ["POST", "/v4/import/messages", "write_messages", 200, "body.locationUid!"],
  ["POST", "/v4/messages", "write_messages", 200, "body.locationUid!"],
  ["POST", "/v4/messages/attachment", "write_messages", 200, ""],
  ["GET", "/v4/templates", "read_templates", 200, "query.locationUid"],
  ["POST", "/v4/templates", "write_templates", 200, "body.locationUids"],
  ["DELETE", "/v4/templates/{uid}", "write_templates", 200, ""],
  ["PUT", "/v4/templates/{uid}", "write_templates", 200, "body.locationUids"],
  ["GET", "/v4/invoices", "read_payments", 200, "query.locationUid"],
  ["POST", "/v4/invoices", "write_payments", 200, "body.locationUid!"],
  ["GET", "/v4/invoices/{uid}", "read_payments", 200, "query.locationUid!"],
  ["POST", "/v4/invoices/{uid}/cancel", "write_payments", 200, "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/charge", "write_payments", 200, "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/refund", "write_payments", 200, "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/setup", "write_payments", 200, "body.locationUid!"],
  ["GET", "/v4/payments/{uid}", "read_payments", 200, ""],
  ["GET", "/v4/readers/{uid}", "read_payments", 200, ""],
  ["POST", "/v4/refunds", "write_payments", 200, "body.locationUid!"],
  ["GET", "/v4/refunds/{uid}", "read_payments", 200, "query.locationUid!"],
  ["GET", "/v4/calls/{uid}", "read_phones", 200, ""],
  ["GET", "/v4/products", "read_products", 200, "query.locationUid"],
  ["GET", "/v4/products/{uid}", "read_products", 200, ""],
  ["DELETE", "/v4/products/{uid}/delete_images", "write_products", 200, "body.locationUid!"],
  ["POST", "/v4/products/{uid}/upload_images", "write_products", 202, "body.locationUid!"],
  ["GET", "/v4/reviews", "read_reviews", 200, ""],
  ["GET", "/v4/reviews/invites", "read_reviews", 200, ""],
  ["POST", "/v4/reviews/invites", "write_reviews", 200, "body.locationUid!"],
  ["GET", "/v4/reviews/invites/{uid}", "read_reviews", 200, ""],
  ["GET", "/v4/reviews/sites/summary", "read_reviews", 200, "query.locationUids"],
  ["GET", "/v4/reviews/summary", "read_reviews", 200, "query.locationUids"],
  ["PATCH", "/v4/reviews/{review_uid}/responses/{uid}", "write_reviews", 200, ""],
  ["GET", "/v4/reviews/{uid}", "read_reviews", 200, ""],
  ["DELETE", "/v4/reviews/{uid}/attributions", "write_reviews", 200, ""],
  ["POST", "/v4/reviews/{uid}/attributions", "write_reviews", 200, "body.locationUid!"],
  ["GET", "/v4/reviews/{uid}/responses", "read_reviews", 200, ""],
  ["POST", "/v4/reviews/{uid}/responses", "write_reviews", 200, ""],
  ["GET", "/v4/webhooks", "none", 200, ""],
  ["POST", "/v4/webhooks", null, 200, "body.locationUid,body.organizationUid"],
  ["DELETE", "/v4/webhooks/{uid}", "none", 200, ""],
  ["GET", "/v4/webhooks/{uid}", "none", 200, ""],
  ["PUT", "/v4/webhooks/{uid}", null, 200, ""],
];

function toRoute([method, template, scope, successStatus, fields]: Row): PodiumRoute {
  const query: string[] = [];
  const body: string[] = [];
  let fill: LocationFill | undefined;
  for (const field of fields === "" ? [] : fields.split(",")) {
    const required = field.endsWith("!");
    const name = required ? field.slice(0, -1) : field;
    const [where, key] = name.split(".") as ["query" | "body", string];
    (where === "query" ? query : body).push(key);
    if (required) fill = name as LocationFill;
  }
  const locationFields = Object.freeze({ query: Object.freeze(query), body: Object.freeze(body) });
  return Object.freeze(fill ? { method, template, scope, successStatus, locationFields, fill } : { method, template, scope, successStatus, locationFields });
}

/** Every Podium v4 operation the router knows; calls to other `/v4/` paths pass through, location-checked. */
export const podiumRoutes: readonly PodiumRoute[] = Object.freeze(rows.map(toRoute));

interface CompiledRoute {
  route: PodiumRoute;
  /** Per segment after the leading "/": the literal text, or null for a `{param}`. */
  literals: (string | null)[];
  paramNames: (string | undefined)[];
}

// Routes indexed by method, then by segment count, each list ordered so that at the first position where
// two templates differ, a literal segment comes before a `{param}`: `/v4/reviews/invites` beats
// `/v4/reviews/{uid}`, and the first template that matches is the most specific one.
const index = new Map<string, CompiledRoute[][]>();
for (const route of podiumRoutes) {
  const segs = route.template.slice(1).split("/");
  const compiled: CompiledRoute = {
    route,
    literals: segs.map((s) => (s.startsWith("{") ? null : s)),
    paramNames: segs.map((s) => (s.startsWith("{") ? s.slice(1, -1) : undefined)),
  };
  const byCount = index.get(route.method) ?? [];
  index.set(route.method, byCount);
  (byCount[segs.length] ??= []).push(compiled);
}
for (const byCount of index.values()) for (const list of byCount) list?.sort(bySpecificity);

function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.literals.length; i++) {
    const la = a.literals[i] === null;
    const lb = b.literals[i] === null;
    if (la !== lb) return la ? 1 : -1;
  }
  return 0;
}

/**
 * Finds the Podium operation for a method and a pathname (no query string), most specific template
 * first; HEAD matches GET routes. Returns undefined for paths Podium's OpenAPI files do not list.
 */
export function matchRoute(method: string, pathname: string): RouteMatch | undefined {
  const byCount = index.get(method === "HEAD" ? "GET" : method);
  if (byCount === undefined || pathname.charCodeAt(0) !== 0x2f) return undefined;
  const segs = pathname.slice(1).split("/");
  const candidates = byCount[segs.length];
  if (candidates === undefined) return undefined;
  next: for (const c of candidates) {
    for (let i = 0; i < segs.length; i++) {
      const lit = c.literals[i];
      if (lit === null ? segs[i] === "" : lit !== segs[i]) continue next;
    }
    const params: Record<string, string> = {};
    for (let i = 0; i < segs.length; i++) {
      const name = c.paramNames[i];
      if (name !== undefined) params[name] = segs[i] as string;
    }
    return { route: c.route, params };
  }
  return undefined;
}

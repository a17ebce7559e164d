/**
 * The sandbox's table of Podium v4 operations, derived from the appendix of podium-api.md ("every v4 operation
 * in Podium's OpenAPI files"), plus which of each operation's fields must be present (from the OpenAPI
 * `required` lists). Kept as data so one spec can prove every OpenAPI operation is routed.
 */

/** HTTP methods Podium's v4 API uses. */
export type PodiumMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A top-level query parameter or body property that names a location or organization. */
export interface LocationField {
  in: "query" | "body";
  name: "locationUid" | "locationUids" | "locations" | "organizationUid";
  /** The OpenAPI marks it required; absent → 400 invalid_request_values. */
  required: boolean;
}

/** One v4 operation as the sandbox serves it. */
export interface SandboxRoute {
  method: PodiumMethod;
  /** OpenAPI path template, e.g. `/v4/contacts/{identifier}`. */
  template: string;
  /** Success status Podium documents (200 or 202). */
  status: 200 | 202;
  /** Required OAuth scope; null when the operation needs none. */
  scope: string | null;
  /** Webhook create/update: the scope follows the subscribed event types instead of a fixed one. */
  eventScoped: boolean;
  locationFields: readonly LocationField[];
  /** Names of the template's `{params}`, in order. */
  params: readonly string[];
}

/** `!` marks a required field; `event` in the scope column means "the scope of each subscribed event type". */
type Row = readonly [PodiumMethod, string, 200 | 202, string, string?];

// One row per OpenAPI operation, in the appendix's order (86 operations).
const rows: readonly Row[] = [
  ["GET", "/v4/locations", 200, "read_locations"],
  ["GET", "/v4/locations/{uid}", 200, "read_locations"],
  ["PATCH", "/v4/locations/{uid}", 200, "write_locations"],
  ["GET", "/v4/organizations/{uid}", 200, "read_organizations"],
  ["GET", "/v4/users", 200, "read_users"],
  ["GET", "/v4/users/{uid}", 200, "read_users"],
  ["POST", "/v4/appointments", 200, "write_appointments", "body.locationUid!"],
  ["GET", "/v4/campaign_interactions", 200, "read_campaigns", "query.locationUid"],
  ["GET", "/v4/campaigns", 200, "read_campaigns"],
  ["POST", "/v4/campaigns", 200, "write_campaigns", "body.locations!"],
  ["DELETE", "/v4/campaigns/{uid}", 200, "write_campaigns"],
  ["GET", "/v4/campaigns/{uid}", 200, "read_campaigns"],
  ["PUT", "/v4/campaigns/{uid}", 200, "write_campaigns", "body.locations!"],
  ["POST", "/v4/campaigns/{uid}/messages", 200, "write_campaign_messages"],
  ["GET", "/v4/contact_attributes", 200, "read_contacts"],
  ["POST", "/v4/contact_attributes", 200, "write_contacts"],
  ["DELETE", "/v4/contact_attributes/{uid}", 200, "write_contacts"],
  ["GET", "/v4/contact_attributes/{uid}", 200, "read_contacts"],
  ["PATCH", "/v4/contact_attributes/{uid}", 200, "write_contacts"],
  ["GET", "/v4/contact_tags", 200, "read_contacts"],
  ["POST", "/v4/contact_tags", 200, "write_contacts"],
  ["GET", "/v4/contact_tags/{uid}", 200, "read_contacts"],
  ["PATCH", "/v4/contact_tags/{uid}", 200, "write_contacts"],
  ["GET", "/v4/contacts", 200, "read_contacts"],
  ["POST", "/v4/contacts", 202, "write_contacts", "body.locations!"],
  ["POST", "/v4/contacts/campaigns/opt_in", 200, "write_contacts", "body.locationUid!"],
  ["POST", "/v4/contacts/campaigns/opt_out", 200, "write_contacts"],
  ["DELETE", "/v4/contacts/{identifier}", 202, "write_contacts"],
  ["GET", "/v4/contacts/{identifier}", 200, "read_contacts"],
  ["PATCH", "/v4/contacts/{identifier}", 202, "write_contacts", "body.locations"],
  ["DELETE", "/v4/contacts/{identifier}/attributes/{uid}", 202, "write_contacts"],
  ["PATCH", "/v4/contacts/{identifier}/attributes/{uid}", 202, "write_contacts"],
  ["POST", "/v4/contacts/{identifier}/attributes/{uid}", 202, "write_contacts"],
  ["DELETE", "/v4/contacts/{identifier}/tags/{uid}", 202, "write_contacts"],
  ["POST", "/v4/contacts/{identifier}/tags/{uid}", 202, "write_contacts"],
  ["GET", "/v4/conversations", 200, "read_messages", "query.locationUid"],
  ["GET", "/v4/conversations/{uid}", 200, "read_messages"],
  ["PUT", "/v4/conversations/{uid}", 200, "write_messages"],
  ["GET", "/v4/conversations/{uid}/assignees", 200, "read_messages"],
  ["PUT", "/v4/conversations/{uid}/assignees", 200, "write_messages"],
  ["POST", "/v4/conversations/{uid}/lead_writeback", 200, "write_writebacks"],
  ["POST", "/v4/conversations/{uid}/notes", 200, "write_messages"],
  ["GET", "/v4/feedback", 200, "read_feedback"],
  ["POST", "/v4/feedback", 202, "write_feedback", "body.locationUid!"],
  ["GET", "/v4/conversations/{conversation_uid}/messages", 200, "read_messages"],
  ["GET", "/v4/conversations/{conversation_uid}/messages/{uid}", 200, "read_messages"],
  ["POST", "/v4/import/messages", 200, "write_messages", "body.locationUid!"],
  ["POST", "/v4/messages", 200, "write_messages", "body.locationUid!"],
  ["POST", "/v4/messages/attachment", 200, "write_messages"],
  ["GET", "/v4/templates", 200, "read_templates", "query.locationUid"],
  ["POST", "/v4/templates", 200, "write_templates", "body.locationUids"],
  ["DELETE", "/v4/templates/{uid}", 200, "write_templates"],
  ["PUT", "/v4/templates/{uid}", 200, "write_templates", "body.locationUids"],
  ["GET", "/v4/invoices", 200, "read_payments", "query.locationUid"],
  ["POST", "/v4/invoices", 200, "write_payments", "body.locationUid!"],
  ["GET", "/v4/invoices/{uid}", 200, "read_payments", "query.locationUid!"],
  ["POST", "/v4/invoices/{uid}/cancel", 200, "write_payments", "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/charge", 200, "write_payments", "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/refund", 200, "write_payments", "body.locationUid!"],
  ["POST", "/v4/invoices/{uid}/setup", 200, "write_payments", "body.locationUid!"],
  ["GET", "/v4/payments/{uid}", 200, "read_payments"],
  ["GET", "/v4/readers/{uid}", 200, "read_payments"],
  ["POST", "/v4/refunds", 200, "write_payments", "body.locationUid!"],
  ["GET", "/v4/refunds/{uid}", 200, "read_payments", "query.locationUid!"],
  ["GET", "/v4/calls/{uid}", 200, "read_phones"],
  ["GET", "/v4/products", 200, "read_products", "query.locationUid"],
  ["GET", "/v4/products/{uid}", 200, "read_products"],
  ["DELETE", "/v4/products/{uid}/delete_images", 200, "write_products", "body.locationUid!"],
  ["POST", "/v4/products/{uid}/upload_images", 202, "write_products", "body.locationUid!"],
  ["GET", "/v4/reviews", 200, "read_reviews"],
  ["GET", "/v4/reviews/invites", 200, "read_reviews"],
  ["POST", "/v4/reviews/invites", 200, "write_reviews", "body.locationUid!"],
  ["GET", "/v4/reviews/invites/{uid}", 200, "read_reviews"],
  ["GET", "/v4/reviews/sites/summary", 200, "read_reviews", "query.locationUids"],
  ["GET", "/v4/reviews/summary", 200, "read_reviews", "query.locationUids"],
  ["PATCH", "/v4/reviews/{review_uid}/responses/{uid}", 200, "write_reviews"],
  ["GET", "/v4/reviews/{uid}", 200, "read_reviews"],
  ["DELETE", "/v4/reviews/{uid}/attributions", 200, "write_reviews"],
  ["POST", "/v4/reviews/{uid}/attributions", 200, "write_reviews", "body.locationUid!"],
  ["GET", "/v4/reviews/{uid}/responses", 200, "read_reviews"],
  ["POST", "/v4/reviews/{uid}/responses", 200, "write_reviews"],
  ["GET", "/v4/webhooks", 200, "none"],
  ["POST", "/v4/webhooks", 200, "event", "body.locationUid body.organizationUid"],
  ["DELETE", "/v4/webhooks/{uid}", 200, "none"],
  ["GET", "/v4/webhooks/{uid}", 200, "none"],
  ["PUT", "/v4/webhooks/{uid}", 200, "event"],
];

function toRoute([method, template, status, scope, fields]: Row): SandboxRoute {
  const locationFields = (fields ?? "")
    .split(" ")
    .filter((f) => f !== "")
    .map((f): LocationField => {
      const [where, rawName] = f.split(".") as ["query" | "body", string];
      const required = rawName.endsWith("!");
      return { in: where, name: rawName.replace("!", "") as LocationField["name"], required };
    });
  const params = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const fixedScope = scope === "none" || scope === "event" ? null : scope;
  return { method, template, status, scope: fixedScope, eventScoped: scope === "event", locationFields, params };
}

/** Every v4 operation the sandbox answers (86, as in Podium's OpenAPI files). */
export const sandboxRoutes: readonly SandboxRoute[] = rows.map(toRoute);

/** A matched route with its decoded path parameters. */
export interface RouteMatch {
  route: SandboxRoute;
  params: Record<string, string>;
}

interface CompiledRoute {
  route: SandboxRoute;
  /** Literal segment text, or null for a parameter. */
  segments: readonly (string | null)[];
}

// Index by "METHOD segmentCount" so a lookup scans a handful of candidates, literal segments first
// (e.g. /v4/reviews/invites must win over /v4/reviews/{uid}).
const index = new Map<string, CompiledRoute[]>();
for (const route of sandboxRoutes) {
  const segments = route.template.split("/").map((s) => (s.startsWith("{") ? null : s));
  const key = `${route.method} ${segments.length}`;
  const list = index.get(key) ?? [];
  list.push({ route, segments });
  index.set(key, list);
}
for (const list of index.values()) {
  list.sort((a, b) => specificity(b.segments).localeCompare(specificity(a.segments)));
}
function specificity(segments: readonly (string | null)[]): string {
  return segments.map((s) => (s === null ? "0" : "1")).join("");
}

/**
 * Find the operation for a method and a pathname (no query). HEAD matches as GET. Returns undefined when no
 * route matches, or when a path parameter is not valid percent-encoding.
 */
export function matchSandboxRoute(method: string, pathname: string): RouteMatch | undefined {
  const m = method === "HEAD" ? "GET" : method;
  const parts = pathname.split("/");
  // Tolerate one trailing slash, as Kong's default path handling does.
  if (parts.length > 2 && parts[parts.length - 1] === "") parts.pop();
  const candidates = index.get(`${m} ${parts.length}`);
  if (candidates === undefined) return undefined;
  outer: for (const candidate of candidates) {
    for (let i = 0; i < parts.length; i++) {
      const literal = candidate.segments[i];
      if (literal !== null && literal !== parts[i]) continue outer;
      if (literal === null && parts[i] === "") continue outer;
    }
    const params: Record<string, string> = {};
    let p = 0;
    for (let i = 0; i < parts.length; i++) {
      if (candidate.segments[i] !== null) continue;
      const name = candidate.route.params[p++] as string;
      try {
        params[name] = decodeURIComponent(parts[i] as string);
      } catch {
        return undefined;
      }
    }
    return { route: candidate.route, params };
  }
  return undefined;
}

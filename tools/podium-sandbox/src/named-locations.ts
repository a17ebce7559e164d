import type { SandboxRoute } from "./podium-routes.js";
import { PodiumHttpError } from "./podium-error.js";

/** The locations and organizations a request names, wherever it names them. */
export interface NamedScope {
  /** Deduplicated, in order of appearance: path, query, body. */
  locationUids: string[];
  organizationUids: string[];
}

function addAll(out: string[], seen: Set<string>, value: unknown): void {
  if (typeof value === "string") {
    // Query arrays arrive as repeated params or comma-separated; split either way.
    for (const part of value.split(",")) {
      const v = part.trim();
      if (v !== "" && !seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === "string") addAll(out, seen, item);
      else if (typeof item === "object" && item !== null && typeof (item as { uid?: unknown }).uid === "string") addAll(out, seen, (item as { uid: string }).uid);
    }
  }
}

/**
 * Collect every location uid the request names (path `/v4/locations/{uid}`, query `locationUid(s)`, body
 * `locationUid`/`locationUids`/`locations`, also inside a top-level `data` object) and every organization uid (path `/v4/organizations/{uid}`, query
 * or body `organizationUid`). Every route is searched, not only those the OpenAPI lists, so a stray field
 * cannot slip a foreign location past the checks.
 */
export function collectNamedScope(route: SandboxRoute | undefined, params: Record<string, string>, query: URLSearchParams | null, body: unknown): NamedScope {
  const locationUids: string[] = [];
  const organizationUids: string[] = [];
  const seenL = new Set<string>();
  const seenO = new Set<string>();
  if (route !== undefined && route.template.startsWith("/v4/locations/{uid}")) addAll(locationUids, seenL, params["uid"]);
  if (route !== undefined && route.template === "/v4/organizations/{uid}") addAll(organizationUids, seenO, params["uid"]);
  if (query !== null) {
    for (const name of ["locationUid", "locationUids", "locationUids[]"]) for (const v of query.getAll(name)) addAll(locationUids, seenL, v);
    for (const v of query.getAll("organizationUid")) addAll(organizationUids, seenO, v);
  }
  const collect = (b: Record<string, unknown>): void => {
    addAll(locationUids, seenL, b["locationUid"]);
    addAll(locationUids, seenL, b["locationUids"]);
    addAll(locationUids, seenL, b["locations"]);
    addAll(organizationUids, seenO, b["organizationUid"]);
  };
  if (isObject(body)) {
    collect(body);
    // The `data` part of /v4/messages/attachment carries the send body, locationUid included.
    if (isObject(body["data"])) collect(body["data"]);
  }
  return { locationUids, organizationUids };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function present(value: unknown): boolean {
  if (typeof value === "string") return value !== "";
  // An empty array is present: `locations: []` makes an organization-wide campaign.
  if (Array.isArray(value)) return true;
  return value !== undefined && value !== null;
}

/** Refuse (400 invalid_request_values) a request missing a location field its operation requires. */
export function checkRequiredFields(route: SandboxRoute, query: URLSearchParams | null, body: unknown): void {
  const b = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (body !== undefined && b === undefined && route.method !== "GET") {
    throw new PodiumHttpError("invalid_request_values", "The request body must be a JSON object");
  }
  for (const field of route.locationFields) {
    if (!field.required) continue;
    const ok = field.in === "query" ? query !== null && (query.get(field.name) ?? "") !== "" : present(b?.[field.name]);
    if (!ok) throw new PodiumHttpError("invalid_request_values", `${field.name} is required`);
  }
}

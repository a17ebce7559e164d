/**
 * A Podium webhook document, `{"data": {...}, "metadata": {"event_type": "...", "version": "..."}}`: parsed and
 * checked, identified for deduplication, and the locations its object names.
 */
import { createHash } from "node:crypto";
import { EventMalformedError, type CoreErrorContext } from "@podium-router/errors";
import { PODIUM_EVENT_TYPES } from "../settings/index.js";
import { isJsonObject } from "../util/index.js";

const EVENT_TYPES = new Set(PODIUM_EVENT_TYPES);

/** A checked event document. */
export interface EventDocument {
  eventType: string;
  data: Record<string, unknown>;
  /**
   * Podium documents no event id, so the id is the SHA-256 (hex) of the document in canonical JSON (keys sorted,
   * no white space): a retry of one event carries the same document and so the same id, whatever its key order
   * or spacing; two different events differ at least in their object (uids, timestamps).
   */
  eventId: string;
}

/** True for one of Podium's 26 webhook event types. */
export function isPodiumEventType(t: unknown): t is string {
  return typeof t === "string" && EVENT_TYPES.has(t);
}

/** Parses and checks a webhook body; throws EventMalformedError saying what is wrong (never quoting the body). */
export function parseEventDocument(body: string, context: CoreErrorContext = {}): EventDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new EventMalformedError(context, "the body is not JSON");
  }
  if (!isJsonObject(doc)) throw new EventMalformedError(context, "the body is not a JSON object");
  const { data, metadata } = doc;
  if (!isJsonObject(metadata)) throw new EventMalformedError(context, "metadata is missing");
  if (!isPodiumEventType(metadata["event_type"])) throw new EventMalformedError(context, "metadata.event_type is not one of Podium's 26 event types");
  if (!isJsonObject(data)) throw new EventMalformedError(context, "data is not an object");
  return { eventType: metadata["event_type"], data, eventId: createHash("sha256").update(canonicalJson(doc)).digest("hex") };
}

/**
 * The location uids an event's object names, where Podium's objects name them (second appendix of
 * podium-api.md): `locationUid`, `locationUids[]`, `location.uid` and `locations[]` (uids or `{uid}`) at the top of
 * `data`. A contact or a review shared by several locations names each of them.
 */
export function eventLocations(data: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === "string" && v !== "") out.add(v);
    else if (isJsonObject(v) && typeof v["uid"] === "string" && v["uid"] !== "") out.add(v["uid"]);
  };
  add(data["locationUid"]);
  add(data["location"]);
  for (const key of ["locations", "locationUids"]) {
    const list = data[key];
    if (Array.isArray(list)) for (const v of list.slice(0, 1000)) add(v);
  }
  return [...out];
}

/** JSON with object keys sorted at every depth and no white space. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

import { describe, expect, it } from "vitest";
import { canonicalJson, eventLocations, parseEventDocument } from "./event-document.js";

const S = "c0a57a15-5e11-4000-8000-000000000001";
const B = "c0a57a15-5e11-4000-8000-000000000002";
const doc = (eventType: string, data: unknown) => JSON.stringify({ data, metadata: { event_type: eventType, version: "2021.04.01" } });

describe("parseEventDocument()", () => {
  it("reads Podium's {data, metadata: {event_type, version}} document", () => {
    const d = parseEventDocument(doc("contact.created", { uid: "c1", locations: [{ uid: S }] }));
    expect(d.eventType).toBe("contact.created");
    expect(d.data).toEqual({ uid: "c1", locations: [{ uid: S }] });
    expect(d.eventId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives one event the same id whatever its key order or spacing, and different events different ids", () => {
    const a = parseEventDocument('{"data":{"uid":"c1","name":"Ada"},"metadata":{"event_type":"contact.created","version":"2021.04.01"}}');
    const b = parseEventDocument('{ "metadata": {"version":"2021.04.01", "event_type":"contact.created"},\n "data": {"name":"Ada","uid":"c1"} }');
    const c = parseEventDocument(doc("contact.updated", { uid: "c1", name: "Ada" }));
    expect(a.eventId).toBe(b.eventId);
    expect(c.eventId).not.toBe(a.eventId);
  });

  it.each([
    ["not JSON", "{oops", "the body is not JSON"],
    ["an array", "[]", "the body is not a JSON object"],
    ["no metadata", JSON.stringify({ data: {} }), "metadata is missing"],
    ["an unknown event type", doc("contact.exploded", {}), "metadata.event_type is not one of Podium's 26 event types"],
    ["Podium's test event", doc("test.event", {}), "not one of Podium's 26"],
    ["data that is not an object", doc("contact.created", [1]), "data is not an object"],
  ])("refuses %s with ERR_LOC_EVENT_MALFORMED, never quoting the body", (_what, body, message) => {
    let err: unknown;
    try {
      parseEventDocument(body);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "ERR_LOC_EVENT_MALFORMED", message: expect.stringContaining(message) });
    expect((err as Error).message).not.toContain("exploded");
  });
});

describe("eventLocations()", () => {
  it("finds the location wherever Podium's objects name it (appendix 2 of podium-api.md)", () => {
    expect(eventLocations({ locations: [{ uid: S }, { uid: B }], organization: { uid: "org" } })).toEqual([S, B]); // contact, review
    expect(eventLocations({ location: { uid: S, organizationUid: "org" } })).toEqual([S]); // message, invoice, review invite
    expect(eventLocations({ locationUid: S, organizationUid: "org" })).toEqual([S]); // call
    expect(eventLocations({ locationUids: [S, S] })).toEqual([S]);
    expect(eventLocations({ locations: [S] })).toEqual([S]);
  });

  it("finds nothing where the object names no location (the router then refuses the event)", () => {
    expect(eventLocations({ uid: "x", organization: { uid: "org" } })).toEqual([]);
    expect(eventLocations({ location: null, locations: "S", locationUid: 7 })).toEqual([]);
  });
});

describe("canonicalJson()", () => {
  it("sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "x" })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
  });
});

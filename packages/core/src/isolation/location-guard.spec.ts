import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import type { CoreErrorCode } from "@podium-router/errors";
import { guardRequest, MAX_PATH_LENGTH } from "./location-guard.js";
import type { GuardCall, GuardLocation } from "./location-guard.js";

const UID = "b405e23a-1111-4aaa-8bbb-000000000001";
const OTHER = "b405e23a-1111-4aaa-8bbb-000000000002";
const ORG = "0f0f0f0f-2222-4ccc-9ddd-000000000001";
const OTHER_ORG = "0f0f0f0f-2222-4ccc-9ddd-000000000002";
const LOC: GuardLocation = { locationUid: UID, organizationUid: ORG };
const OPTS = { maxBodyBytes: 1024 };

function guard(call: GuardCall, location: GuardLocation = LOC, opts = OPTS) {
  return guardRequest(call, location, opts);
}

/** The thrown core error, or a failure if none was thrown. */
function refusal(call: GuardCall, location: GuardLocation = LOC, opts = OPTS): { code: CoreErrorCode; message: string } {
  try {
    guard(call, location, opts);
  } catch (err) {
    if (isCoreError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`guardRequest accepted ${call.method} ${call.path}`);
}

const BAD: CoreErrorCode = "ERR_LOC_BAD_REQUEST";
const MISMATCH: CoreErrorCode = "ERR_LOC_MISMATCH";

describe("guardRequest()", () => {
  describe("refuses malformed calls", () => {
    const cases: Array<[string, GuardCall, CoreErrorCode]> = [
      // methods
      ["a lower-case method", { method: "get", path: "/v4/contacts" }, BAD],
      ["OPTIONS", { method: "OPTIONS", path: "/v4/contacts" }, BAD],
      ["TRACE", { method: "TRACE", path: "/v4/contacts" }, BAD],
      ["CONNECT", { method: "CONNECT", path: "/v4/contacts" }, BAD],
      ["an empty method", { method: "", path: "/v4/contacts" }, BAD],
      // paths
      ["an empty path", { method: "GET", path: "" }, BAD],
      ["a relative path", { method: "GET", path: "v4/contacts" }, BAD],
      ["a path outside /v4/", { method: "GET", path: "/v3/contacts" }, BAD],
      ["the bare /v4", { method: "GET", path: "/v4" }, BAD],
      ["the OAuth endpoint", { method: "POST", path: "/oauth/token" }, BAD],
      ["a sandbox admin path", { method: "GET", path: "/_sandbox/fixture" }, BAD],
      ["a scheme and host", { method: "GET", path: "http://evil.example/v4/contacts" }, BAD],
      ["an https URL", { method: "GET", path: "https://api.podium.com/v4/contacts" }, BAD],
      ["a protocol-relative host", { method: "GET", path: "//evil.example/v4/contacts" }, BAD],
      ["a .. segment", { method: "GET", path: "/v4/contacts/../locations" }, BAD],
      ["a trailing .. segment", { method: "GET", path: "/v4/contacts/.." }, BAD],
      ["a . segment", { method: "GET", path: "/v4/./contacts" }, BAD],
      ["an encoded dot segment %2e%2e", { method: "GET", path: "/v4/contacts/%2e%2e/locations" }, BAD],
      ["an upper-case encoded dot %2E", { method: "GET", path: "/v4/contacts/%2E%2E/x" }, BAD],
      ["a half-encoded dot segment .%2e", { method: "GET", path: "/v4/contacts/.%2e/x" }, BAD],
      ["an encoded slash %2f", { method: "GET", path: "/v4/contacts/a%2fb" }, BAD],
      ["an upper-case encoded slash %2F", { method: "GET", path: "/v4/contacts%2F..%2Flocations" }, BAD],
      ["an encoded backslash %5c", { method: "GET", path: "/v4/contacts/a%5cb" }, BAD],
      ["an upper-case encoded backslash %5C", { method: "GET", path: "/v4/contacts/a%5Cb" }, BAD],
      ["a double-encoded dot %252e", { method: "GET", path: "/v4/contacts/%252e%252e/x" }, BAD],
      ["a double-encoded slash %252F", { method: "GET", path: "/v4/contacts/a%252Fb" }, BAD],
      ["an encoded NUL", { method: "GET", path: "/v4/contacts/a%00" }, BAD],
      ["a malformed percent-encoding", { method: "GET", path: "/v4/contacts/a%zz" }, BAD],
      ["a truncated percent-encoding", { method: "GET", path: "/v4/contacts/a%2" }, BAD],
      ["a double slash", { method: "GET", path: "/v4//contacts" }, BAD],
      ["a trailing slash", { method: "GET", path: "/v4/contacts/" }, BAD],
      ["a backslash", { method: "GET", path: "/v4/contacts\\..\\locations" }, BAD],
      ["a backslash in the query", { method: "GET", path: "/v4/contacts?x=a\\b" }, BAD],
      ["a space", { method: "GET", path: "/v4/contacts/a b" }, BAD],
      ["a tab", { method: "GET", path: "/v4/contacts\t" }, BAD],
      ["a CR LF (request splitting)", { method: "GET", path: "/v4/contacts\r\nHost: evil" }, BAD],
      ["a NUL", { method: "GET", path: "/v4/contacts\u0000" }, BAD],
      ["DEL", { method: "GET", path: "/v4/contacts\u007f" }, BAD],
      ["non-ASCII", { method: "GET", path: "/v4/contacts/é" }, BAD],
      ["a fullwidth solidus", { method: "GET", path: "/v4/contacts\uff0f..\uff0flocations" }, BAD],
      ["a # fragment", { method: "GET", path: "/v4/contacts#frag" }, BAD],
      ["a # fragment after a query", { method: "GET", path: "/v4/contacts?a=1#x" }, BAD],
      ["an over-long path", { method: "GET", path: `/v4/contacts/${"a".repeat(MAX_PATH_LENGTH)}` }, BAD],
      ["a path segment that is not UTF-8", { method: "GET", path: "/v4/locations/%C3%28" }, BAD],
      // bodies
      ["a body on GET", { method: "GET", path: "/v4/contacts", body: "{}" }, BAD],
      ["a body on HEAD", { method: "HEAD", path: "/v4/contacts", body: "{}" }, BAD],
      ["a body that is not JSON", { method: "POST", path: "/v4/contacts", body: "{name: 'x'}" }, BAD],
      ["a truncated JSON body", { method: "POST", path: "/v4/messages", body: '{"body":"hi"' }, BAD],
      ["a JSON array body on POST", { method: "POST", path: "/v4/contacts", body: "[]" }, BAD],
      ["a JSON string body on PUT", { method: "PUT", path: "/v4/webhooks/w-1", body: '"x"' }, BAD],
      ["a JSON null body on PATCH", { method: "PATCH", path: "/v4/contacts/c-1", body: "null" }, BAD],
      ["a body over the limit", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "x".repeat(1100) }) }, BAD],
      ["a body over the limit in UTF-8 bytes only", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "é".repeat(600) }) }, BAD],
      // location values that are not uids
      ["a numeric body.locationUid", { method: "POST", path: "/v4/messages", body: '{"locationUid":42}' }, BAD],
      ["an object body.locationUid", { method: "POST", path: "/v4/messages", body: '{"locationUid":{"uid":"x"}}' }, BAD],
      ["a number in body.locations", { method: "POST", path: "/v4/contacts", body: '{"name":"a","locations":[1]}' }, BAD],
      ["an object without uid in body.locations", { method: "POST", path: "/v4/contacts", body: '{"name":"a","locations":[{"id":"x"}]}' }, BAD],
      ["a boolean body.organizationUid", { method: "POST", path: "/v4/webhooks", body: '{"organizationUid":true}' }, BAD],
      // mismatches
      ["another location in the path", { method: "GET", path: `/v4/locations/${OTHER}` }, MISMATCH],
      ["another location under a path sub-route", { method: "GET", path: `/v4/locations/${OTHER}/anything` }, MISMATCH],
      ["an encoded letter of another location in the path", { method: "PATCH", path: `/v4/locations/${encodeURIComponent(OTHER).replace("b", "%62")}`, body: "{}" }, BAD],
      ["an encoded letter in a literal segment", { method: "GET", path: `/v4/%6Cocations/${OTHER}` }, BAD],
      ["an encoded digit, dash, underscore or tilde", { method: "GET", path: "/v4/contacts/%31%2D%5F%7E" }, BAD],
      ["an unknown /v4 route", { method: "GET", path: "/v4/not-in-openapi/x" }, BAD],
      ["an unknown method for a known path", { method: "PUT", path: "/v4/contacts" }, BAD],
      ["a sub-route of a location", { method: "GET", path: `/v4/locations/${UID}/anything` }, BAD],
      ["another location nested in the body", { method: "POST", path: "/v4/messages/attachment", body: JSON.stringify({ data: { locationUid: OTHER, body: "hi" } }) }, MISMATCH],
      ["another location deep in a body list", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "a", attributes: [{ x: { locations: [OTHER] } }] }) }, MISMATCH],
      ["the location uid in another case", { method: "GET", path: `/v4/locations/${UID.toUpperCase()}` }, MISMATCH],
      ["another organization in the path", { method: "GET", path: `/v4/organizations/${OTHER_ORG}` }, MISMATCH],
      ["another query.locationUid", { method: "GET", path: `/v4/conversations?locationUid=${OTHER}` }, MISMATCH],
      ["an encoded query parameter name", { method: "GET", path: `/v4/conversations?location%55id=${OTHER}` }, MISMATCH],
      ["an empty query.locationUid", { method: "GET", path: "/v4/conversations?locationUid=" }, MISMATCH],
      ["a repeated query.locationUid", { method: "GET", path: `/v4/conversations?locationUid=${UID}&locationUid=${OTHER}` }, MISMATCH],
      ["a comma-separated query.locationUids", { method: "GET", path: `/v4/reviews/summary?locationUids=${UID},${OTHER}` }, MISMATCH],
      ["query.locationUids[]", { method: "GET", path: `/v4/reviews/summary?locationUids[]=${UID}&locationUids[]=${OTHER}` }, MISMATCH],
      ["an encoded query.locationUids%5B%5D", { method: "GET", path: `/v4/reviews/summary?locationUids%5B%5D=${OTHER}` }, MISMATCH],
      ["a snake_case query.location_uid", { method: "GET", path: `/v4/conversations?location_uid=${OTHER}` }, MISMATCH],
      ["another query.organizationUid", { method: "GET", path: `/v4/webhooks?organizationUid=${OTHER_ORG}` }, MISMATCH],
      ["another body.locationUid", { method: "POST", path: "/v4/messages", body: JSON.stringify({ body: "hi", locationUid: OTHER }) }, MISMATCH],
      ["a body.locationUid on an unknown route", { method: "POST", path: "/v4/future/thing", body: JSON.stringify({ locationUid: OTHER }) }, MISMATCH],
      ["a snake_case body.location_uid", { method: "POST", path: "/v4/messages", body: JSON.stringify({ location_uid: OTHER }) }, MISMATCH],
      ["another uid in body.locations", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "a", locations: [UID, OTHER] }) }, MISMATCH],
      ["another {uid} in body.locations", { method: "PATCH", path: "/v4/contacts/c-1", body: JSON.stringify({ locations: [{ uid: OTHER }] }) }, MISMATCH],
      ["another uid in body.locationUids", { method: "POST", path: "/v4/templates", body: JSON.stringify({ locationUids: [OTHER] }) }, MISMATCH],
      ["another body.organizationUid", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: OTHER_ORG }) }, MISMATCH],
      ["a body.locationUid on DELETE", { method: "DELETE", path: "/v4/products/p-1/delete_images", body: JSON.stringify({ locationUid: OTHER }) }, MISMATCH],
    ];

    it("has at least 30 cases", () => {
      expect(cases.length).toBeGreaterThanOrEqual(30);
    });

    it.each(cases)("%s → %s", (_label, call, expected) => {
      expect(refusal(call).code).toBe(expected);
    });
  });

  describe("passes well-formed calls for the routed location", () => {
    it("returns the pathname, search, route template and the body text unchanged", () => {
      const body = '{ "body": "hi",  "locationUid": "' + UID + '", "channel": {"type":"phone","identifier":"+18015550100"} }';
      expect(guard({ method: "POST", path: "/v4/messages", body })).toMatchObject({
        method: "POST",
        pathname: "/v4/messages",
        search: "",
        route: "/v4/messages",
        params: {},
        parsed: JSON.parse(body),
        body,
      });
    });

    it.each([
      ["its own path uid", { method: "GET", path: `/v4/locations/${UID}` }, "/v4/locations/{uid}"],
      ["its own organization", { method: "GET", path: `/v4/organizations/${ORG}` }, "/v4/organizations/{uid}"],
      ["its own query uid", { method: "GET", path: `/v4/conversations?locationUid=${UID}&limit=10` }, "/v4/conversations"],
      ["its own uid repeated and comma-separated", { method: "GET", path: `/v4/reviews/summary?locationUids=${UID},${UID}&locationUids[]=${UID}` }, "/v4/reviews/summary"],
      ["a HEAD", { method: "HEAD", path: "/v4/contacts" }, "/v4/contacts"],
      ["an encoded identifier", { method: "GET", path: "/v4/contacts/%2B18015550100" }, "/v4/contacts/{identifier}"],
      ["an email identifier", { method: "GET", path: "/v4/contacts/a@b.example" }, "/v4/contacts/{identifier}"],
      ["an encoded slash in the query", { method: "GET", path: "/v4/contacts?cursor=MDAw%2Fx%3D%3D" }, "/v4/contacts"],
      ["an empty body on POST", { method: "POST", path: "/v4/contact_tags", body: "" }, "/v4/contact_tags"],
      ["a non-object body on DELETE", { method: "DELETE", path: "/v4/contacts/c-1", body: "[]" }, "/v4/contacts/{identifier}"],
      ["null location fields", { method: "PUT", path: "/v4/templates/t-1", body: '{"locationUids":null,"organizationUid":null}' }, "/v4/templates/{uid}"],
      ["its own uid in {uid} objects", { method: "PATCH", path: "/v4/contacts/c-1", body: JSON.stringify({ locations: [{ uid: UID }, UID] }) }, "/v4/contacts/{identifier}"],
      ["its own organization in a webhook", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ url: "https://x", eventTypes: [], organizationUid: ORG }) }, "/v4/webhooks"],
      ["a body of exactly the limit", { method: "POST", path: "/v4/contact_tags", body: JSON.stringify({ label: "x".repeat(1024 - 12) }) }, "/v4/contact_tags"],
      ["a path of exactly the limit", { method: "GET", path: `/v4/contacts/${"a".repeat(MAX_PATH_LENGTH - 13)}` }, "/v4/contacts/{identifier}"],
    ] as Array<[string, GuardCall, string | undefined]>)("accepts %s", (_label, call, route) => {
      const out = guard(call);
      expect(out.route).toBe(route);
      expect(out.method).toBe(call.method);
      expect(`${out.pathname}${out.search}`).toBe(call.path);
      expect(out.body).toBe(call.body === "" ? undefined : call.body);
    });
  });

  describe("fills the location field Podium requires when the caller left it out", () => {
    it("adds body.locationUid to POST /v4/messages, keeping the other fields", () => {
      const out = guard({ method: "POST", path: "/v4/messages", body: '{"body":"hi","channel":{"type":"phone","identifier":"+18015550100"}}' });
      expect(JSON.parse(out.body ?? "")).toEqual({ body: "hi", channel: { type: "phone", identifier: "+18015550100" }, locationUid: UID });
    });

    it("adds body.locationUid to POST /v4/reviews/invites", () => {
      expect(JSON.parse(guard({ method: "POST", path: "/v4/reviews/invites", body: '{"email":"a@b.example"}' }).body ?? "")).toEqual({
        email: "a@b.example",
        locationUid: UID,
      });
    });

    it("adds body.locations to POST /v4/contacts", () => {
      expect(JSON.parse(guard({ method: "POST", path: "/v4/contacts", body: '{"name":"Ada"}' }).body ?? "")).toEqual({ name: "Ada", locations: [UID] });
    });

    it("replaces a null required field and fills a call sent without a body", () => {
      expect(JSON.parse(guard({ method: "POST", path: "/v4/feedback", body: '{"locationUid":null}' }).body ?? "")).toEqual({ locationUid: UID });
      expect(JSON.parse(guard({ method: "POST", path: "/v4/invoices/i-1/setup" }).body ?? "")).toEqual({ locationUid: UID });
    });

    it("appends query.locationUid where Podium requires it in the query", () => {
      expect(guard({ method: "GET", path: "/v4/invoices/i-1" }).search).toBe(`?locationUid=${UID}`);
      expect(guard({ method: "GET", path: "/v4/refunds/r-1?x=1" }).search).toBe(`?x=1&locationUid=${UID}`);
      expect(guard({ method: "GET", path: `/v4/refunds/r-1?locationUid=${UID}` }).search).toBe(`?locationUid=${UID}`);
    });

    it.each([
      ["a duplicate key", `{"locationUid":"${OTHER}","body":"hi","locationUid":"${UID}"}`],
      ["an escaped duplicate key", `{"location\\u0055id":"${OTHER}","locationUid":"${UID}"}`],
      ["a duplicate list", `{"name":"a","locations":["${OTHER}"],"locations":["${UID}"]}`],
    ])("sends exactly what it checked when %s could be read two ways", (_label, body) => {
      const path = body.includes("locations") ? "/v4/contacts" : "/v4/messages";
      const out = guard({ method: "POST", path, body });
      expect(out.body).not.toBe(body);
      expect(out.body).not.toContain(OTHER);
      expect(JSON.parse(out.body ?? "")).toEqual(JSON.parse(body));
    });

    it("leaves a body that already names the location untouched, byte for byte", () => {
      const body = `{"name":"Ada",   "locations":["${UID}"]}`;
      expect(guard({ method: "POST", path: "/v4/contacts", body }).body).toBe(body);
    });

    it("fills nothing where Podium does not require a location (webhooks, templates, contact updates)", () => {
      for (const [method, path] of [["POST", "/v4/webhooks"], ["POST", "/v4/templates"], ["PATCH", "/v4/contacts/c-1"]]) {
        expect(guard({ method: method as string, path: path as string, body: '{"a":1}' }).body).toBe('{"a":1}');
      }
    });
  });

  describe("organizationUid", () => {
    it.each([
      ["the location's own organization in the body", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: ORG }) }, LOC, null],
      ["the location's own organization in the query", { method: "GET", path: `/v4/webhooks?organizationUid=${ORG}` }, LOC, null],
      ["another organization in the body", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: OTHER_ORG }) }, LOC, MISMATCH],
      ["an organization while the location's is unknown", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: ORG }) }, { locationUid: UID }, MISMATCH],
      ["an organization path while the location's is unknown", { method: "GET", path: `/v4/organizations/${ORG}` }, { locationUid: UID }, MISMATCH],
      ["the organization in another case", { method: "GET", path: `/v4/webhooks?organizationUid=${ORG.toUpperCase()}` }, LOC, MISMATCH],
      ["a snake_case organization_uid", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organization_uid: OTHER_ORG }) }, LOC, MISMATCH],
    ] as Array<[string, GuardCall, GuardLocation, CoreErrorCode | null]>)("%s", (_label, call, location, expected) => {
      if (expected === null) expect(() => guard(call, location)).not.toThrow();
      else expect(refusal(call, location).code).toBe(expected);
    });
  });

  describe("error messages", () => {
    it("name the offending field and the routed uid, never the body's other values", () => {
      const { message } = refusal({ method: "POST", path: "/v4/messages", body: JSON.stringify({ body: "secret note", locationUid: OTHER }) });
      expect(message).toContain("body.locationUid");
      expect(message).toContain(UID);
      expect(message).not.toContain(OTHER);
      expect(message).not.toContain("secret note");
    });

    it("do not quote an invalid JSON body", () => {
      const { message } = refusal({ method: "POST", path: "/v4/messages", body: '{"token":"sk-live-123", oops}' });
      expect(message).toContain("not valid JSON");
      expect(message).not.toContain("sk-live-123");
    });

    it("name the query parameter and the path template", () => {
      expect(refusal({ method: "GET", path: `/v4/reviews/summary?locationUids%5Bx%0Ay%5D=${OTHER}` }).message).toContain("query.locationUids[] names another location");
      expect(refusal({ method: "GET", path: `/v4/conversations?locationUid=${OTHER}` }).message).toContain("query.locationUid names another location");
      expect(refusal({ method: "GET", path: `/v4/locations/${OTHER}` }).message).toContain("path /v4/locations/{uid} names another location");
    });

    it("name the list index for body.locations", () => {
      expect(refusal({ method: "POST", path: "/v4/contacts", body: JSON.stringify({ locations: [UID, { uid: OTHER }] }) }).message).toContain("body.locations[1]");
    });

    it("do not echo the path, which may hold a contact's email or phone", () => {
      const { message } = refusal({ method: "GET", path: "/v4/contacts/jane@example.com/../x" });
      expect(message).not.toContain("jane@example.com");
    });
  });

  describe("on arbitrary input", () => {
    // Paths built from the pieces attacks are made of, so the generator reaches the interesting cases.
    const piece = fc.constantFrom("/", "//", ".", "..", "%2e", "%2E", "%2f", "%5c", "%25", "%2525", "%", "%zz", "%C3%28", "\\", "?", "#", "&", "=",
      ",", " ", "v4", "locations", "organizations", "contacts", "locationUid", "locationUids[]", "location_uid", UID, OTHER, ORG, "\u0000", "é", "http:", "a");
    const pathArb = fc.oneof(
      fc.string(),
      fc.array(piece, { maxLength: 12 }).map((xs) => xs.join("")),
      fc.array(piece, { maxLength: 10 }).map((xs) => `/v4/${xs.join("")}`),
    );
    const bodyArb = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.json(),
      fc.constantFrom(JSON.stringify({ locationUid: OTHER }), JSON.stringify({ locations: [UID, OTHER] }), JSON.stringify({ name: "x" })),
    );
    const methodArb = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "get", "TRACE");
    // Byte-wise, so a test helper never throws on encodings that are not UTF-8.
    const decodeBytes = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

    it("either refuses with a core error, or returns a normalised /v4/ path naming only the routed location", () => {
      fc.assert(
        fc.property(methodArb, pathArb, bodyArb, (method, path, body) => {
          let out;
          try {
            out = guard({ method, path, body });
          } catch (err) {
            expect(isCoreError(err) && ["ERR_LOC_BAD_REQUEST", "ERR_LOC_MISMATCH"].includes(err.code)).toBe(true);
            return;
          }
          expect(out.pathname.startsWith("/v4/")).toBe(true);
          expect(out.pathname).not.toMatch(/%2[eEfF]|%5[cC]|%25|[\\#?]|[^\x21-\x7e]/);
          for (const seg of decodeBytes(out.pathname).split("/").slice(1)) expect(["", ".", ".."]).not.toContain(seg);
          for (const [name, value] of new URLSearchParams(out.search)) {
            if (/^location_?uids?(\[|$)/i.test(name)) for (const part of value.split(",")) expect(part).toBe(UID);
          }
          if (out.body !== undefined) {
            const parsed: unknown = JSON.parse(out.body);
            if (typeof parsed === "object" && parsed !== null && "locationUid" in parsed) expect(parsed.locationUid).toBe(UID);
          }
        }),
        { numRuns: 3000 },
      );
    });
  });
});

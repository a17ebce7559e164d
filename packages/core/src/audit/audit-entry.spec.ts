import { describe, it, expect } from "vitest";
import { AUDIT_GENESIS_HASH, chainAuditLine } from "./audit-chain.js";
import { AUDIT_ANY_LOCATION, AUDIT_INVALID_VALUE, buildAuditRecord, MAX_AUDIT_LINE_BYTES, type AuditEntry } from "./audit-entry.js";
import { auditLine } from "./audit-record.js";

const UID = "c0a57a15-5e11-4000-8000-000000000001";
const HUGE = "x".repeat(400_000);

/** The line as the log writes it: canonical record plus its hash, with the newline. */
const writtenLine = (entry: AuditEntry): string => chainAuditLine(AUDIT_GENESIS_HASH, auditLine(buildAuditRecord(entry))).line;

describe("buildAuditRecord()", () => {
  it("writes a caller's value only when it follows its rule; anything else as {invalid}", () => {
    const r = buildAuditRecord({
      subject: { kind: "call", method: "GET Zelda +61499988877", path: "/v4/contacts" },
      locationUid: `loc-${HUGE}`,
      orgSlug: "Not A Slug",
      requestId: `r ${HUGE}`,
      errorCode: "ERR_LOC_BAD_REQUEST",
    });
    expect(r).toMatchObject({ location_uid: AUDIT_INVALID_VALUE, org_slug: AUDIT_INVALID_VALUE, endpoint: AUDIT_INVALID_VALUE, method: AUDIT_INVALID_VALUE, request_id: AUDIT_INVALID_VALUE });
    expect(JSON.stringify(r)).not.toContain("Zelda");
    expect(JSON.stringify(r)).not.toContain("61499988877");
  });

  it("keeps valid values, the any-location mark and an empty request id as they are", () => {
    const r = buildAuditRecord({ subject: { kind: "call", method: "POST", path: "/v4/contacts?x=1" }, locationUid: UID, orgSlug: "coastal-smiles", requestId: "req-1", status: 202 });
    expect(r).toMatchObject({ location_uid: UID, org_slug: "coastal-smiles", endpoint: "/v4/contacts", method: "POST", request_id: "req-1", status: 202 });
    expect(buildAuditRecord({ subject: { kind: "rpc", rpc: "ListLocations" }, locationUid: AUDIT_ANY_LOCATION, requestId: "" })).toMatchObject({ location_uid: "*", request_id: "" });
  });

  it("writes one method value, RPC, for every router operation", () => {
    expect(buildAuditRecord({ subject: { kind: "rpc", rpc: "RemoveLocation" }, locationUid: UID, requestId: "a", errorCode: "ERR_LOC_PERMISSION_DENIED" })).toMatchObject({
      endpoint: "router:RemoveLocation",
      method: "RPC",
    });
    expect(buildAuditRecord({ subject: { kind: "rpc", rpc: "Remove Location; rm" }, locationUid: UID, requestId: "a" }).endpoint).toBe(`router:${AUDIT_INVALID_VALUE}`);
  });

  it(`never makes a line longer than ${MAX_AUDIT_LINE_BYTES} bytes, whatever each field holds`, () => {
    const worst: AuditEntry = {
      subject: { kind: "call", method: HUGE, path: `/v4/${HUGE}` },
      locationUid: HUGE,
      orgSlug: HUGE,
      requestId: HUGE,
      caller: "\u20ac\"".repeat(200_000),
      errorCode: `ERR_LOC_${HUGE}`,
      status: 2 ** 31,
    };
    expect(Buffer.byteLength(writtenLine(worst), "utf8")).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
    // The longest valid values: 128-character uid and request id, a 63-character slug, a 64-character caller name.
    const longestValid: AuditEntry = {
      subject: { kind: "call", method: "DELETE", path: "/v4/contacts/x/attributes/y", route: "/v4/contacts/{identifier}/attributes/{uid}" },
      locationUid: `L${"u".repeat(127)}`,
      orgSlug: `o${"s".repeat(62)}`,
      requestId: "r".repeat(128),
      caller: "\u20ac".repeat(64),
      errorCode: "ERR_LOC_UPSTREAM_UNAVAILABLE",
      status: 503,
      startedAt: -1e12,
    };
    expect(Buffer.byteLength(writtenLine(longestValid), "utf8")).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
    expect(buildAuditRecord(longestValid).caller).toBe("\u20ac".repeat(64));
  });

  it("writes a caller name without control or bidi characters", () => {
    expect(buildAuditRecord({ subject: { kind: "rpc", rpc: "Call" }, locationUid: UID, requestId: "a", caller: "ops\u202e\n\u0000" }).caller).toBe("ops???");
  });
});

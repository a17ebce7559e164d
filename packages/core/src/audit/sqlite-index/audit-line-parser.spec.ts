import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newIndexedLine, parseIndexedLine } from "./audit-line-parser.js";
import type { AuditRecord } from "../audit-record.js";
import { chainRecords } from "../../testing/audit-fixtures.js";

const recordArb: fc.Arbitrary<AuditRecord> = fc
  .record({
    t: fc.integer({ min: -1e12, max: 4e12 }),
    location_uid: fc.string(),
    org_slug: fc.string(),
    endpoint: fc.string(),
    method: fc.string({ maxLength: 8 }),
    status: fc.oneof(fc.integer({ min: 0, max: 599 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
    request_id: fc.oneof(fc.uuid(), fc.string()),
    latency_ms: fc.double({ noNaN: true, noDefaultInfinity: true }),
    caller: fc.option(fc.string(), { nil: undefined }),
    error_code: fc.option(fc.string(), { nil: undefined }),
    phase: fc.option(fc.constant("sent" as const), { nil: undefined }),
  })
  .map(({ t, caller, error_code, phase, ...r }) => ({
    ...r,
    ts: new Date(t).toISOString(),
    ...(caller === undefined ? {} : { caller }),
    ...(error_code === undefined ? {} : { error_code }),
    ...(phase === undefined ? {} : { phase }),
  }));

describe("parseIndexedLine()", () => {
  it("reads every written line as JSON.parse would, through the fast path or the JSON one", () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const line = chainRecords([r]).lines[0]!.slice(0, -1);
        const out = newIndexedLine();
        expect(parseIndexedLine(line, out)).toBeUndefined();
        const j = JSON.parse(line) as AuditRecord;
        expect(out).toEqual({
          ts: Date.parse(j.ts),
          tsText: undefined,
          loc: j.location_uid,
          org: j.org_slug,
          endpoint: j.endpoint,
          method: j.method,
          status: j.status,
          rid: j.request_id,
          lat: j.latency_ms,
          caller: j.caller,
          err: j.error_code,
          phase: j.phase,
          unknownFields: 0,
        });
      }),
      { numRuns: 300 },
    );
  });

  it("reads the fields in any order, counts unknown ones, and keeps a ts toISOString() would not write back", () => {
    const out = newIndexedLine();
    const line = JSON.stringify({ latency_ms: 3, status: 200, method: "GET", endpoint: "/e", org_slug: "o", location_uid: "l", request_id: "r", ts: "2026-03-01T10:00:00+02:00", x: 1, caller: 5 });
    expect(parseIndexedLine(line, out)).toBeUndefined();
    expect(out).toMatchObject({ ts: Date.UTC(2026, 2, 1, 8), tsText: "2026-03-01T10:00:00+02:00", loc: "l", caller: undefined, unknownFields: 2 });
  });

  it("says why a line is not a record", () => {
    const out = newIndexedLine();
    expect(parseIndexedLine("nope", out)).toBe("not JSON");
    expect(parseIndexedLine('{"ts":"2026-01-01T00:00:00.000Z"', out)).toBe("not JSON");
    expect(parseIndexedLine('{"ts":"2026-01-01T00:00:00.000Z"}', out)).toBe("JSON but not an audit record");
    const bad = chainRecords([{ ts: "2026-13-01T00:00:00.000Z", location_uid: "l", org_slug: "", endpoint: "", method: "GET", status: 1, request_id: "r", latency_ms: 1 }]).lines[0]!;
    expect(parseIndexedLine(bad.slice(0, -1), out)).toBe("its ts is not a date");
  });
});

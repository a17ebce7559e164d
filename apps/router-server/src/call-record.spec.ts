import { describe, it, expect } from "vitest";
import { createContextValues } from "@connectrpc/connect";
import { callContextValues, createCallRecord, isConfidentialCall } from "./call-record.js";

describe("createCallRecord()", () => {
  it("counts TLS and this host's addresses as confidential, every other peer as not", () => {
    const confidential = (socket: { remoteAddress?: string; encrypted?: boolean } | undefined) => createCallRecord(socket).confidential;
    for (const remoteAddress of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(confidential({ remoteAddress }), remoteAddress).toBe(true);
    for (const remoteAddress of ["192.0.2.2", "10.0.0.1", "::ffff:192.0.2.2", "fd00::2", "1127.0.0.1", ""]) expect(confidential({ remoteAddress }), remoteAddress).toBe(false);
    expect(confidential({ remoteAddress: "192.0.2.2", encrypted: true })).toBe(true);
    // A socket already gone proves nothing.
    expect(confidential(undefined)).toBe(false);
  });
});

describe("isConfidentialCall()", () => {
  it("reads the request's record; a request without one came through an in-process transport", () => {
    expect(isConfidentialCall(callContextValues(createCallRecord({ remoteAddress: "192.0.2.2" })))).toBe(false);
    expect(isConfidentialCall(callContextValues(createCallRecord({ remoteAddress: "127.0.0.1" })))).toBe(true);
    expect(isConfidentialCall(createContextValues())).toBe(true);
  });
});

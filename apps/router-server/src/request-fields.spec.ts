import { describe, it, expect } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { checkCount, checkFields, fieldRules, OPTIONAL, REQUIRED, type FieldCheck } from "./request-fields.js";

/** The refusal's message, or "ok". */
function verdict(fields: FieldCheck[]): string {
  try {
    checkFields({ requestId: "r-1" }, fields);
    return "ok";
  } catch (e) {
    if (isCoreError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
}

describe("checkFields()", () => {
  it("accepts values that follow their rule, and empty optional ones", () => {
    expect(
      verdict([
        ["location_uid", "c0a57a15-5e11-4000-8000-000000000001", fieldRules.locationUid, REQUIRED],
        ["method", "PATCH", fieldRules.method, REQUIRED],
        ["path", "/v4/contacts/+61400000001?limit=5", fieldRules.path, REQUIRED],
        ["request_id", "", fieldRules.requestId, OPTIONAL],
        ["org_slug", "coastal-smiles", fieldRules.orgSlug, REQUIRED],
        ["refresh_token", "sbx-rt-coastal-owner-0001", fieldRules.secretToken, OPTIONAL],
        ["scopes[0]", "read_contacts", fieldRules.scope, REQUIRED],
        ["state", "x".repeat(43), fieldRules.authorizationState, REQUIRED],
        ["method", "rpc", fieldRules.auditMethod, OPTIONAL],
        ["status_class", "4xx", fieldRules.statusClass, OPTIONAL],
      ]),
    ).toBe("ok");
  });

  it("refuses the first bad field as ERR_LOC_BAD_REQUEST, naming the field and the rule, quoting a short prefix", () => {
    const said = verdict([
      ["location_uid", "c0a57a15", fieldRules.locationUid, REQUIRED],
      ["method", `GET Zelda +61499988877 ${"M".repeat(400_000)}`, fieldRules.method, REQUIRED],
      ["path", "", fieldRules.path, REQUIRED],
    ]);
    expect(said).toMatch(/^ERR_LOC_BAD_REQUEST .*method must be one of GET, HEAD, POST, PUT, PATCH, DELETE \(upper case\); got "GET Zelda \+61499988877 MMMMMMMMM…" \(400023 characters\)\. /);
    expect(said.length).toBeLessThan(400);
  });

  it("refuses an empty required field, and a secret without quoting it", () => {
    expect(verdict([["path", "", fieldRules.path, REQUIRED]])).toMatch(/path must be .*; it is empty\./);
    const secret = verdict([["refresh_token", "secret-token value", fieldRules.secretToken, OPTIONAL]]);
    expect(secret).toMatch(/refresh_token must be 1-4096 printable ASCII characters without spaces; the value is not shown\./);
    expect(secret).not.toContain("secret-token");
    expect(verdict([["path", `/v4/${"p".repeat(2_045)}`, fieldRules.path, REQUIRED]])).toMatch(/path must be a \/v4\/\.\.\. path of 1-2048/);
  });
});

describe("checkCount()", () => {
  it("refuses a repeated field over its cap", () => {
    expect(() => checkCount({}, "scopes", 64, 64)).not.toThrow();
    expect(() => checkCount({}, "scopes", 65, 64)).toThrow(/scopes may list at most 64 values; got 65/);
  });
});

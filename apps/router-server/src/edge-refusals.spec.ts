import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { MAX_AUDIT_LINE_BYTES } from "@podium-router/core";
import { OPS_KEY, REAL_BURLEIGH, REAL_SYDNEY, SYDNEY_ONLY_KEY, startRealRouter, type AuditLine, type RealRouter } from "../test/real-router.js";
import { wireClients, type RpcName, type Seen } from "../test/wire-clients.js";

// Issue 11 items 3, 4, 6 and 10 over the wire, on a real server, core and sandbox, with every client library:
// each refusal has its code and ErrorDetail reason, leaves one audit line with the ErrorDetail's request id and
// only validated values, and sends nothing upstream.

const PII_METHOD = "GET Zelda +61499988877";
const UNKNOWN_UID = "00000000-0000-4000-8000-00000000beef";

for (const engine of ["grpc-js", "connect"] as const) {
  describe(`refusals at the edge (grpc_engine ${engine})`, () => {
    let r: RealRouter;

    beforeAll(async () => {
      r = await startRealRouter({ grpc_engine: engine, max_request_bytes: 1024 * 1024 });
    });
    afterAll(async () => {
      await r?.close();
    });

    /** The one audit line carrying `requestId`, once the log has written it. */
    async function lineFor(name: string, requestId: string | undefined): Promise<AuditLine> {
      expect(requestId, name).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      let found: AuditLine[] = [];
      await vi.waitFor(() => {
        found = r.auditLines().filter((l) => l.request_id === requestId);
        expect(found, name).toHaveLength(1);
      });
      return found[0]!;
    }

    /** Calls `rpc` with every client; each must see `code` and `reason` and leave one audit line like `line`. */
    async function expectRefused(rpc: RpcName, req: Record<string, unknown>, key: string, code: string, reason: string, line: Partial<AuditLine>): Promise<Seen[]> {
      const seq = r.lastSeq();
      const seen: Seen[] = [];
      for (const [name, call] of Object.entries(wireClients(r.port, r.url))) {
        const s = await call(rpc, req, key);
        expect([name, s.code, s.reason], s.message).toEqual([name, code, reason]);
        expect(await lineFor(name, s.requestId), name).toMatchObject({ status: 0, error_code: reason, ...line });
        seen.push(s);
      }
      expect(r.upstreamSince(seq)).toEqual([]);
      for (const text of r.auditLineTexts()) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
      return seen;
    }

    describe("item 3: every string field is checked for shape and length before the core, an error or the audit", () => {
      it("a method outside the fixed set is refused, and its audit line says {invalid}, never the caller's text", async () => {
        for (const method of [PII_METHOD, "get", "M".repeat(400_000)]) {
          const seen = await expectRefused("call", { locationUid: REAL_SYDNEY, method, path: "/v4/contacts" }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", {
            location_uid: REAL_SYDNEY,
            method: "{invalid}",
            endpoint: "{invalid}",
            caller: "ops",
          });
          for (const s of seen) expect(s.message).toMatch(/method must be one of GET/);
        }
        const trail = r.auditLineTexts().join("\n");
        expect(trail).not.toContain("Zelda");
        expect(trail).not.toContain("61499988877");
        expect(trail).not.toContain("M".repeat(100));
      });

      it("a path over the guard's limit and a location uid breaking the id rule are refused with only validated values audited", async () => {
        await expectRefused("call", { locationUid: REAL_SYDNEY, method: "GET", path: `/v4/contacts/${"p".repeat(2_048)}` }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", {
          location_uid: REAL_SYDNEY,
          method: "GET",
          endpoint: "{invalid}",
        });
        await expectRefused("call", { locationUid: `Zelda +61499988877 ${"u".repeat(400_000)}`, method: "GET", path: "/v4/contacts" }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", {
          location_uid: "{invalid}",
          method: "GET",
          endpoint: "/v4/contacts",
        });
        expect(r.auditLineTexts().join("\n")).not.toContain("Zelda");
      });

      it("the other RPCs' fields: org slug, audit filters, consent state and scopes, onboarding's refresh token", async () => {
        const bad = "InvalidArgument";
        const reason = "ERR_LOC_BAD_REQUEST";
        await expectRefused("listLocations", { orgSlug: "Coastal Smiles!" }, OPS_KEY, bad, reason, { location_uid: "*", endpoint: "router:ListLocations", method: "RPC" });
        await expectRefused("verifyLocation", { locationUid: "../etc/passwd" }, OPS_KEY, bad, reason, { location_uid: "{invalid}", endpoint: "router:VerifyLocation" });
        for (const filter of [{ method: "DROP TABLE" }, { statusClass: "9xx" }, { requestId: "r ".repeat(100) }, { locationUid: "x".repeat(129) }]) {
          await expectRefused("queryAudit", filter, OPS_KEY, bad, reason, { endpoint: "router:QueryAudit", method: "RPC" });
        }
        await expectRefused("awaitAuthorization", { state: "s".repeat(100_000) }, OPS_KEY, bad, reason, { location_uid: "*", endpoint: "router:AwaitAuthorization" });
        const consent = { locationUid: REAL_SYDNEY, orgSlug: "coastal-smiles", oauthApp: "coastal-smiles" };
        await expectRefused("beginAuthorization", { ...consent, scopes: ["read_contacts", "read contacts; drop"] }, OPS_KEY, bad, reason, { location_uid: REAL_SYDNEY, endpoint: "router:BeginAuthorization" });
        await expectRefused("beginAuthorization", { ...consent, scopes: Array.from({ length: 65 }, (_, i) => `scope_${i}`) }, OPS_KEY, bad, reason, { location_uid: REAL_SYDNEY });
        await expectRefused("beginAuthorization", { ...consent, orgSlug: "Coastal Smiles" }, OPS_KEY, bad, reason, { location_uid: REAL_SYDNEY });
        // A refresh token is a secret: refused for its form without a character of it in the message.
        const token = `sbx-rt-${"s".repeat(40)}\u0000\u202e`;
        const onboard = { locationUid: "new-location-1", orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshToken: token };
        const seen = await expectRefused("onboardLocations", { locations: [onboard] }, OPS_KEY, bad, reason, { location_uid: "new-location-1", endpoint: "router:OnboardLocations" });
        for (const s of seen) {
          expect(s.message).toMatch(/refresh_token must be 1-4096 printable ASCII characters without spaces/);
          expect(s.message).toMatch(/the value is not shown/);
          expect(s.message).not.toContain("sbx-rt-");
        }
      });
    });

    describe("item 4: a refused call's audit line and its ErrorDetail carry the same request id", () => {
      it("a malformed request_id: the router assigns one id and uses it in both", async () => {
        const seen = await expectRefused("call", { locationUid: REAL_SYDNEY, method: "GET", path: "/v4/contacts", requestId: "not an id!" }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", {
          location_uid: REAL_SYDNEY,
          endpoint: "/v4/contacts",
        });
        // One fresh id per call, never the caller's text and never empty.
        expect(new Set(seen.map((s) => s.requestId)).size).toBe(seen.length);
        expect(r.auditLines().filter((l) => l.request_id === "" || l.request_id.includes(" "))).toEqual([]);
      });

      it("a refusal without a request id of the caller's, by the edge and by the core", async () => {
        await expectRefused("call", { locationUid: REAL_BURLEIGH, method: "GET", path: "/v4/contacts" }, SYDNEY_ONLY_KEY, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED", {
          location_uid: REAL_BURLEIGH,
          caller: "sydney-app",
        });
        await expectRefused("call", { locationUid: UNKNOWN_UID, method: "GET", path: "/v4/contacts" }, OPS_KEY, "NotFound", "ERR_LOC_UNKNOWN", { location_uid: UNKNOWN_UID, caller: "ops" });
      });
    });

    describe("item 6: a body nested deeper than upstream.max_request_body_depth", () => {
      it("5,000 levels is ERR_LOC_BAD_REQUEST, not INTERNAL, and nothing is sent", async () => {
        const body = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`;
        const seen = await expectRefused("call", { locationUid: REAL_SYDNEY, method: "POST", path: "/v4/contacts", body }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", {
          location_uid: REAL_SYDNEY,
          method: "POST",
          endpoint: "/v4/contacts",
        });
        for (const s of seen) expect(s.message).toMatch(/more than 64 levels deep/);
        expect(r.logText()).not.toMatch(/"level":50/);
      });
    });

    describe("item 10: every refused RPC is audited; admin RPCs carry one method value", () => {
      it("a refused ListLocations leaves an audit line, unauthenticated or without the grant", async () => {
        await expectRefused("listLocations", {}, "pr_not_a_key", "Unauthenticated", "ERR_LOC_UNAUTHENTICATED", { location_uid: "*", endpoint: "router:ListLocations", method: "RPC" });
        await expectRefused("listLocations", {}, SYDNEY_ONLY_KEY, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED", {
          location_uid: "*",
          endpoint: "router:ListLocations",
          method: "RPC",
          caller: "sydney-app",
        });
      });

      it("a denied admin RPC is audited with the same method as an allowed one", async () => {
        const [deniedSeen] = await expectRefused("removeLocation", { locationUid: REAL_SYDNEY }, SYDNEY_ONLY_KEY, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED", {
          location_uid: REAL_SYDNEY,
          endpoint: "router:RemoveLocation",
          caller: "sydney-app",
        });
        // Allowed, and refused by the core (nothing registered under that uid): the core writes this line.
        const [allowedSeen] = await expectRefused("removeLocation", { locationUid: UNKNOWN_UID }, OPS_KEY, "NotFound", "ERR_LOC_UNKNOWN", { endpoint: "router:RemoveLocation", caller: "ops" });
        const denied = r.auditLines().find((l) => l.request_id === deniedSeen?.requestId);
        const allowed = r.auditLines().find((l) => l.request_id === allowedSeen?.requestId);
        expect(denied?.method).toBe("RPC");
        expect(allowed?.method).toBe(denied?.method);
      });

      it("refusals the core makes for RPCs it does not audit itself are audited by the server", async () => {
        await expectRefused("verifyLocation", { locationUid: UNKNOWN_UID }, OPS_KEY, "NotFound", "ERR_LOC_UNKNOWN", { location_uid: UNKNOWN_UID, endpoint: "router:VerifyLocation", caller: "ops" });
        await expectRefused("getLocationStatus", { locationUid: UNKNOWN_UID }, OPS_KEY, "NotFound", "ERR_LOC_UNKNOWN", { location_uid: UNKNOWN_UID, endpoint: "router:GetLocationStatus" });
        await expectRefused("awaitAuthorization", { state: "a".repeat(43) }, OPS_KEY, "InvalidArgument", "ERR_LOC_BAD_REQUEST", { location_uid: "*", endpoint: "router:AwaitAuthorization" });
        await expectRefused("queryAudit", {}, SYDNEY_ONLY_KEY, "PermissionDenied", "ERR_LOC_PERMISSION_DENIED", { location_uid: "*", endpoint: "router:QueryAudit" });
      });
    });
  });
}

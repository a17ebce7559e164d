import fc from "fast-check";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { codeOf, createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A harness with Sydney and Burleigh Heads registered under the coastal-smiles owner grant. */
async function coastal(opts: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  h = await createHarness(opts);
  const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
  await h.register(SYDNEY, owner, "coastal-smiles", cs.organizationUid);
  await h.register(BURLEIGH, owner, "coastal-smiles", cs.organizationUid);
  await h.restart();
  return h;
}


const writes = (hh: Harness) => hh.sandbox.ledger().filter((e) => e.route !== "/oauth/token" && e.route !== "/v4/locations");

describe("createLocationRouter()", () => {
  describe("failure 1: a write never lands on the wrong location", () => {
    it("refuses a body naming another location and sends nothing", async () => {
      const hh = await coastal();
      const body = JSON.stringify({ body: "hi", channel: { type: "phone", identifier: "+61400000000" }, locationUid: BURLEIGH });
      expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/messages", body }))).toBe("ERR_LOC_MISMATCH");
      expect(hh.sandbox.ledger()).toEqual([]);
    });

    it("fills in the routed location where Podium requires one and the caller left it out", async () => {
      const hh = await coastal();
      const res = await hh.router.call({
        locationUid: SYDNEY,
        method: "POST",
        path: "/v4/contacts",
        body: JSON.stringify({ name: "Jo Citizen", phoneNumber: "+61400000001" }),
      });
      expect(res.status).toBe(202);
      // Before the create, the router looked the phone number up (Podium's create is an upsert on it).
      const sent = writes(hh);
      expect(sent.map((e) => `${e.method} ${e.route}`)).toEqual(["GET /v4/contacts/{identifier}", "POST /v4/contacts"]);
      expect(sent[1]?.locationUids).toEqual([SYDNEY]);
    });

    it("refuses a hard-coded path to another location", async () => {
      const hh = await coastal();
      expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path: `/v4/locations/${BURLEIGH}` }))).toBe("ERR_LOC_MISMATCH");
      expect(hh.sandbox.ledger()).toEqual([]);
    });
  });

  describe("failure 2: one location's credential is never used for another's call", () => {
    it("sends every call of 24 locations with the credential registered for that location", async () => {
      h = await createHarness();
      const hh = h;
      // 24 users of one org, each consenting over ALL 24 locations: a per-org credential would
      // still be accepted upstream, so only the ledger's grant ids can tell the difference.
      const base = hh.sandbox.addGrant({ orgSlug: "iso-org", locations: 24 });
      const names = base.locations.map((l) => l.name);
      const grantOf = new Map<string, string>();
      for (const loc of base.locations) {
        const g = hh.sandbox.addGrant({ orgSlug: "iso-org", locations: names, clientId: base.clientId });
        grantOf.set(loc.uid, g.grantId);
        await hh.register(loc.uid, { ...g, clientSecret: g.clientSecret }, "iso-org", loc.organizationUid);
      }
      await hh.restart();
      const uids = [...grantOf.keys()];
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom(...uids), { minLength: 10, maxLength: 60 }), async (batch) => {
          hh.sandbox.clearLedger();
          await Promise.all(
            batch.map((uid) =>
              hh.router.call({ locationUid: uid, method: "POST", path: "/v4/messages", body: JSON.stringify({ body: "x", channel: { type: "phone", identifier: "+61400000002" } }) }),
            ),
          );
          for (const e of hh.sandbox.ledger()) {
            if (e.route === "/oauth/token") continue;
            if (e.route === "/v4/messages") {
              expect(e.locationUids).toHaveLength(1);
              expect(e.grantId).toBe(grantOf.get(e.locationUids[0] as string));
            }
          }
          expect(hh.sandbox.ledger().filter((e) => e.route === "/v4/messages")).toHaveLength(batch.length);
        }),
        { numRuns: 8 },
      );
    });
  });

  describe("failure 3: every call leaves exactly one audit line naming its location", () => {
    it("writes one line per call, refusals included, with the route template and no query or PII", async () => {
      const hh = await coastal();
      const err = await hh.router.call(
        { locationUid: SYDNEY, method: "GET", path: "/v4/contacts/+61400000003?limit=5", requestId: "req-audit-1" },
        { caller: "crm-sync" },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "ERR_LOC_NOT_OWNED", requestId: "req-audit-1" });
      await codeOf(hh.router.call({ locationUid: "not-registered", method: "GET", path: "/v4/contacts" }));
      // An unknown route whose first segment is an identifier: refused (deny by default), the template must not keep it.
      expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/+61400000009" }))).toBe("ERR_LOC_BAD_REQUEST");
      const lines = await hh.auditLines();
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatchObject({ endpoint: "{invalid}", status: 0, error_code: "ERR_LOC_BAD_REQUEST" });
      expect(JSON.stringify(lines)).not.toContain("61400000009");
      expect(Object.keys(lines[0] as object)).toEqual(["ts", "location_uid", "org_slug", "endpoint", "method", "status", "request_id", "latency_ms", "caller", "error_code", "hash"]);
      // Podium knows no such contact: its owner cannot be proven, so the call is refused after the owner lookup.
      expect(lines[0]).toMatchObject({ location_uid: SYDNEY, org_slug: "coastal-smiles", endpoint: "/v4/contacts/{identifier}", method: "GET", status: 0, request_id: "req-audit-1", caller: "crm-sync", error_code: "ERR_LOC_NOT_OWNED" });
      expect(lines[1]).toMatchObject({ location_uid: "not-registered", status: 0, error_code: "ERR_LOC_UNKNOWN" });
      const text = JSON.stringify(lines);
      expect(text).not.toContain("+61400000003");
      expect(text).not.toContain("limit=5");
      // The request id went upstream as X-Request-ID.
      expect(hh.sandbox.ledger().some((e) => e.requestId === "req-audit-1" && e.route === "/v4/contacts/{identifier}")).toBe(true);
    });

    it("refuses a malformed request id under an id of its own, named by the error and the line alike; writes no caller text (issue 11 items 3, 4)", async () => {
      const hh = await coastal();
      const err = await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts", requestId: "not an id +61400000003" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "ERR_LOC_BAD_REQUEST" });
      const refusedId = (err as { requestId?: string }).requestId;
      expect(refusedId).toMatch(/^[0-9a-f-]{36}$/);
      await hh.router.call({ locationUid: SYDNEY, method: "GET Zelda", path: "/v4/contacts" }).catch(() => undefined);
      const lines = await hh.auditLines();
      expect(lines[0]).toMatchObject({ request_id: refusedId, error_code: "ERR_LOC_BAD_REQUEST", method: "GET" });
      expect(lines[1]).toMatchObject({ method: "{invalid}", endpoint: "{invalid}", error_code: "ERR_LOC_BAD_REQUEST" });
      expect(JSON.stringify(lines)).not.toMatch(/61400000003|Zelda/);
    });

    it("adds no line for the refresh-and-retry inside one call", async () => {
      const hh = await coastal();
      await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" });
      hh.sandbox.setFaults({ expireAllTokens: true });
      const res = await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" });
      expect(res.status).toBe(200);
      expect(hh.sandbox.ledger().filter((e) => e.route === "/v4/reviews").map((e) => e.status)).toEqual([200, 401, 200]);
      expect(await hh.auditLines()).toHaveLength(2);
    });
  });

  describe("failure 4: onboarding never leaves a half-registered location", () => {
    it("persists nothing for a location that fails verification, and a re-run does exactly the rest", async () => {
      h = await createHarness();
      const hh = h;
      const sydneyOnly = fixtureGrant(hh.sandbox, cs.sydneyGrant.grantId);
      const owner = fixtureGrant(hh.sandbox, cs.ownerGrant.grantId);
      const { writeFile } = await import("node:fs/promises");
      const rt = `${hh.dir}/rt-sydney-only`;
      await writeFile(rt, sydneyOnly.refreshToken, { mode: 0o600 });
      const rtOwner = `${hh.dir}/rt-owner`;
      await writeFile(rtOwner, owner.refreshToken, { mode: 0o600 });
      await writeFile(`${hh.dir}/secret`, owner.clientSecret, { mode: 0o600 });
      const input = (uid: string, file: string) => ({
        locationUid: uid,
        orgSlug: "coastal-smiles",
        clientIdRef: `file:${hh.dir}/cid`,
        clientSecretRef: `file:${hh.dir}/secret`,
        refreshTokenFile: file,
      });
      await writeFile(`${hh.dir}/cid`, owner.clientId, { mode: 0o600 });
      const first = [];
      // Burleigh Heads with the Sydney-only credential: not in scope, must leave no record.
      for await (const r of hh.router.onboardLocations([input(SYDNEY, rt), input(BURLEIGH, rt)])) first.push(r);
      expect(first.map((r) => [r.locationUid, r.outcome, r.errorCode]).sort()).toEqual(
        [
          [BURLEIGH, "failed", "ERR_LOC_NOT_IN_SCOPE"],
          [SYDNEY, "onboarded", undefined],
        ].sort(),
      );
      expect((await hh.router.store.list()).map((r) => r.locationUid)).toEqual([SYDNEY]);
      expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/reviews" }))).toBe("ERR_LOC_UNKNOWN");

      const second = [];
      for await (const r of hh.router.onboardLocations([input(SYDNEY, rt), input(BURLEIGH, rtOwner)])) second.push(r);
      expect(Object.fromEntries(second.map((r) => [r.locationUid, r.outcome]))).toEqual({ [SYDNEY]: "skipped_existing", [BURLEIGH]: "onboarded" });
      expect((await hh.router.store.list()).map((r) => r.locationUid).sort()).toEqual([SYDNEY, BURLEIGH].sort());
      // Live at once, and it survives a restart.
      expect((await hh.router.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/reviews" })).status).toBe(200);
      await hh.restart();
      expect((await hh.router.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/reviews" })).status).toBe(200);
    });

    it("changes nothing on a dry run", async () => {
      h = await createHarness();
      const hh = h;
      const owner = fixtureGrant(hh.sandbox, cs.ownerGrant.grantId);
      const { writeFile } = await import("node:fs/promises");
      await writeFile(`${hh.dir}/rt`, owner.refreshToken, { mode: 0o600 });
      const results = [];
      for await (const r of hh.router.onboardLocations(
        [{ locationUid: SYDNEY, orgSlug: "coastal-smiles", clientIdRef: "env:NOPE_UNSET", clientSecretRef: "env:NOPE_UNSET", refreshTokenFile: `${hh.dir}/rt` }],
        { dryRun: true },
      )) results.push(r);
      expect(results[0]).toMatchObject({ outcome: "failed", errorCode: "ERR_LOC_CREDENTIAL" });
      expect(await hh.router.store.list()).toEqual([]);
    });
  });

  describe("failure 5: a location outside the token's scope is refused loudly", () => {
    it("refuses before any write is sent, and logs it", async () => {
      const logged: string[] = [];
      const logger = { info() {}, warn() {}, error: (o: Record<string, unknown>) => void logged.push(String(o["error_code"])) };
      h = await createHarness({ deps: { logger } });
      const hh = h;
      // Burleigh Heads registered with the Sydney front desk's credential, which does not reach it.
      await hh.register(BURLEIGH, fixtureGrant(hh.sandbox, cs.sydneyGrant.grantId), "coastal-smiles", cs.organizationUid);
      await hh.restart();
      const body = JSON.stringify({ name: "Jo", locations: [BURLEIGH] });
      expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/contacts", body }))).toBe("ERR_LOC_NOT_IN_SCOPE");
      expect(writes(hh).filter((e) => e.route !== "/v4/locations/{uid}")).toEqual([]);
      expect(logged).toContain("ERR_LOC_NOT_IN_SCOPE");
      const status = await hh.router.getLocationStatus(BURLEIGH);
      expect(status.verificationState).toBe("not_in_scope");
    });

    it("marks a location Podium deleted and sends nothing more for it", async () => {
      const hh = await coastal();
      await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" });
      hh.sandbox.setFaults({ deletedLocations: [SYDNEY] });
      await hh.router.verifyLocation(SYDNEY, { force: true }).catch(() => undefined);
      hh.sandbox.clearLedger();
      expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" }))).toBe("ERR_LOC_DELETED");
      expect(hh.sandbox.ledger()).toEqual([]);
      expect((await hh.router.store.get(SYDNEY))?.state).toBe("deleted");
    });
  });

  describe("failure 6: one location's burst never starves another", () => {
    it("admits every call of B at its normal rate while A sends ten times its budget", async () => {
      const hh = await coastal({
        settings: { budgets: { location: { rate_per_minute: 600, burst: 5 }, upstream: { rate_per_minute: 1200, burst: 10 }, max_wait_ms: 50 } },
      });
      await hh.router.verifyLocation(SYDNEY);
      await hh.router.verifyLocation(BURLEIGH);
      const flood = Array.from({ length: 100 }, () =>
        hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" }).then(() => "ok", (e: unknown) => (isCoreError(e) ? e.code : "other")),
      );
      const bResults: string[] = [];
      for (let i = 0; i < 5; i++) {
        bResults.push(await hh.router.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/reviews" }).then(() => "ok", (e: unknown) => (isCoreError(e) ? e.code : "other")));
        await new Promise((r) => setTimeout(r, 110));
      }
      const aResults = await Promise.all(flood);
      expect(bResults).toEqual(["ok", "ok", "ok", "ok", "ok"]);
      expect(aResults.filter((r) => r === "ERR_LOC_RATE_LIMITED").length).toBeGreaterThan(50);
    });

    it("pauses the location after Podium's 429 instead of sending more", async () => {
      const hh = await coastal();
      await hh.router.verifyLocation(SYDNEY);
      hh.sandbox.setFaults({ rateLimitStorm: { retryAfterSeconds: 30 } });
      const err = await hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" }).catch((e: unknown) => e);
      expect(isCoreError(err) && err.code).toBe("ERR_LOC_RATE_LIMITED");
      expect(isCoreError(err) && err.retryAfterMs).toBeGreaterThan(20_000);
      hh.sandbox.clearLedger();
      expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/reviews" }))).toBe("ERR_LOC_RATE_LIMITED");
      expect(hh.sandbox.ledger()).toEqual([]);
    });
  });

  describe("unknown locations", () => {
    it("refuses any uid that is not registered: no default credential, no fallback, nothing sent", async () => {
      const hh = await coastal();
      for (const uid of ["", "unknown", cs.locations.newcastle, SYDNEY.toUpperCase()]) {
        expect(await codeOf(hh.router.call({ locationUid: uid, method: "GET", path: "/v4/reviews" }))).toBe("ERR_LOC_UNKNOWN");
      }
      expect(hh.sandbox.ledger()).toEqual([]);
    });
  });

  describe("malformed calls", () => {
    const S = SYDNEY;
    const cases: Array<[string, { locationUid?: string; method: string; path: string; body?: string }, string]> = [
      ["dot-dot segment", { method: "GET", path: "/v4/../oauth/token" }, "ERR_LOC_BAD_REQUEST"],
      ["encoded dot", { method: "GET", path: "/v4/%2e%2e/locations" }, "ERR_LOC_BAD_REQUEST"],
      ["encoded slash", { method: "GET", path: "/v4/contacts%2F..%2Foauth" }, "ERR_LOC_BAD_REQUEST"],
      ["double-encoded dot", { method: "GET", path: "/v4/%252e%252e/x" }, "ERR_LOC_BAD_REQUEST"],
      ["double slash", { method: "GET", path: "/v4//contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["backslash", { method: "GET", path: "/v4\\contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["absolute URL", { method: "GET", path: "http://evil.example/v4/contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["protocol-relative", { method: "GET", path: "//evil.example/v4/contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["control character", { method: "GET", path: "/v4/contacts\r\nX-Injected: 1" }, "ERR_LOC_BAD_REQUEST"],
      ["not under /v4", { method: "GET", path: "/oauth/token" }, "ERR_LOC_BAD_REQUEST"],
      ["fragment", { method: "GET", path: "/v4/contacts#x" }, "ERR_LOC_BAD_REQUEST"],
      ["relative path", { method: "GET", path: "v4/contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["unknown method", { method: "TRACE", path: "/v4/contacts" }, "ERR_LOC_BAD_REQUEST"],
      ["body not JSON", { method: "POST", path: "/v4/contacts", body: "{name:" }, "ERR_LOC_BAD_REQUEST"],
      ["body on GET", { method: "GET", path: "/v4/contacts", body: "{}" }, "ERR_LOC_BAD_REQUEST"],
      ["body is an array", { method: "POST", path: "/v4/contacts", body: "[1,2]" }, "ERR_LOC_BAD_REQUEST"],
      ["body too large", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "x".repeat(2_000_000), locations: [S] }) }, "ERR_LOC_BAD_REQUEST"],
      ["body names another location", { method: "POST", path: "/v4/messages", body: JSON.stringify({ locationUid: BURLEIGH, body: "x" }) }, "ERR_LOC_MISMATCH"],
      ["body locations include another", { method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "x", locations: [S, BURLEIGH] }) }, "ERR_LOC_MISMATCH"],
      ["body locationUids", { method: "POST", path: "/v4/templates", body: JSON.stringify({ locationUids: [BURLEIGH] }) }, "ERR_LOC_MISMATCH"],
      ["query locationUid", { method: "GET", path: `/v4/conversations?locationUid=${BURLEIGH}` }, "ERR_LOC_MISMATCH"],
      ["query locationUids", { method: "GET", path: `/v4/reviews/summary?locationUids=${S},${BURLEIGH}` }, "ERR_LOC_MISMATCH"],
      ["path names another location", { method: "PATCH", path: `/v4/locations/${BURLEIGH}`, body: "{}" }, "ERR_LOC_MISMATCH"],
      ["foreign organizationUid", { method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: defaultFixtureIds.harbourAuto.organizationUid, url: "https://x", eventTypes: [] }) }, "ERR_LOC_MISMATCH"],
      ["non-string locationUid", { method: "POST", path: "/v4/messages", body: JSON.stringify({ locationUid: 42 }) }, "ERR_LOC_BAD_REQUEST"],
      ["unknown uid", { locationUid: "nope", method: "GET", path: "/v4/reviews" }, "ERR_LOC_UNKNOWN"],
      ["empty uid", { locationUid: "", method: "GET", path: "/v4/reviews" }, "ERR_LOC_UNKNOWN"],
      ["uid with traversal", { locationUid: "../etc", method: "GET", path: "/v4/reviews" }, "ERR_LOC_UNKNOWN"],
    ];

    it.each(cases)("refuses %s with its code and sends nothing", async (_name, call, code) => {
      const hh = h ?? (await coastal());
      const before = hh.sandbox.ledger().length;
      const err = await hh.router.call({ locationUid: call.locationUid ?? S, method: call.method, path: call.path, body: call.body }).catch((e: unknown) => e);
      expect(isCoreError(err) ? err.code : err).toBe(code);
      expect(hh.sandbox.ledger().length).toBe(before);
      const lines = await hh.auditLines();
      expect(lines.at(-1)?.error_code).toBe(code);
    });
  });
});

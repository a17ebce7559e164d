/**
 * Under audit.fsync: always a write waits until its intent line is durable before it is sent. A disk slow to sync
 * must not send the write after its caller stopped waiting: past the deadline nothing is sent, and the trail
 * closes the intent with the code. The real audit log, its flush held back until released.
 */
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { verifyAuditChain, type AuditLog } from "../audit/index.js";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { createRouterAuditLog } from "./router-audit.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The router's audit log with flush() held until `release()`: a disk whose fsync takes as long as the test wants. */
function slowToSync(real: AuditLog): { audit: AuditLog; release(): void } {
  let open: () => void = () => undefined;
  let gate: Promise<void> | undefined = new Promise<void>((r) => (open = r));
  const audit = new Proxy(real, {
    get(target, prop) {
      if (prop === "flush") return async () => {
        if (gate !== undefined) await gate;
        return target.flush();
      };
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    audit,
    release() {
      gate = undefined;
      open();
    },
  };
}

describe("a write's intent line under audit.fsync: always", () => {
  it("is waited for no longer than the caller's deadline: past it the write is refused and never sent", async () => {
    h = await createHarness({ settings: { audit: { fsync: "always" } } });
    await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.ownerGrant.grantId), cs.slug, cs.organizationUid);
    const slow = slowToSync(await createRouterAuditLog(h.settings, {}, undefined));
    const router = await h.restart({ audit: slow.audit });
    const body = JSON.stringify({ name: "Slow Disk", phoneNumber: "+61400000777", locations: [SYDNEY] });

    let code = "OK";
    try {
      await router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body, requestId: "slow-disk-1" }, { deadline: Date.now() + 300 });
    } catch (err) {
      code = isCoreError(err) ? `${err.code}: ${err.message}` : String(err);
    }
    expect(code).toMatch(/^ERR_LOC_DEADLINE_EXCEEDED: .*intent line durable; nothing was sent/);
    expect(h.sandbox.ledger().filter((e) => e.method === "POST" && e.route === "/v4/contacts")).toEqual([]);

    // The disk catches up: the next write goes through, and the trail closes the refused one's intent.
    slow.release();
    const ok = await router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body, requestId: "slow-disk-2" }, { deadline: Date.now() + 10_000 });
    expect(ok.status).toBe(202);
    const lines = (await h.auditLines()).filter((l) => l.request_id.startsWith("slow-disk-"));
    expect(lines.map((l) => [l.request_id, l.phase ?? "", l.status, l.error_code ?? ""])).toEqual([
      ["slow-disk-1", "sent", 0, ""],
      ["slow-disk-1", "", 0, "ERR_LOC_DEADLINE_EXCEEDED"],
      ["slow-disk-2", "sent", 0, ""],
      ["slow-disk-2", "", 202, ""],
    ]);
    expect(await verifyAuditChain({ path: h.settings.audit.path })).toMatchObject({ ok: true, outcomeUnknown: [] });
  });
});

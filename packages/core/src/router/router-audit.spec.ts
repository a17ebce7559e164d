import { execFileSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { verifyAuditChain } from "../audit/index.js";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { canMount, fill, mountSmallDisk, type SmallDisk } from "../testing/small-disk.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;

const mountable = await canMount();

describe.skipIf(!mountable)(`the router when the audit disk refuses lines${mountable ? "" : " [skipped: cannot mount a tmpfs]"}`, () => {
  let h: Harness | undefined;
  let disk: SmallDisk | undefined;
  afterEach(async () => {
    disk?.remount("rw");
    await h?.close();
    await disk?.close();
    h = undefined;
    disk = undefined;
  });

  /** What the router logged and counted: the error line and the failure metric must say so. */
  let logged: { level: string; msg: string; err?: unknown }[] = [];
  let failures = 0;
  const logger = {
    info: (obj: Record<string, unknown>, msg: string) => void logged.push({ level: "info", msg, err: obj["err"] }),
    warn: (obj: Record<string, unknown>, msg: string) => void logged.push({ level: "warn", msg, err: obj["err"] }),
    error: (obj: Record<string, unknown>, msg: string) => void logged.push({ level: "error", msg, err: obj["err"] }),
  };

  async function setUp(audit: Record<string, unknown>): Promise<{ h: Harness; path: string; disk: SmallDisk }> {
    logged = [];
    failures = 0;
    disk = await mountSmallDisk(256);
    const path = join(disk.dir, "audit", "audit.jsonl");
    h = await createHarness({
      // Both budget levels open: the bound test reads a few hundred times, which Podium's 300/min would pace at 5/s.
      settings: { audit: { path, fsync: "always", ...audit }, budgets: { location: { rate_per_minute: 100000, burst: 10000 }, upstream: { rate_per_minute: 100000, burst: 10000 } } },
      deps: { logger, observer: { auditWriteFailure: () => void failures++ } },
    });
    await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.ownerGrant.grantId), "coastal-smiles", cs.organizationUid);
    await h.restart();
    // A line on the disk first, so the log exists when the disk fills.
    await h.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/locations/" + SYDNEY });
    await h.router.audit.flush();
    return { h, path, disk };
  }

  const post = (hh: Harness, n: string) =>
    hh.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: `Disk ${n}`, phoneNumber: "+61400000999", locations: [SYDNEY] }), requestId: `disk-${n}` });
  const get = (hh: Harness, n: string) => hh.router.call({ locationUid: SYDNEY, method: "GET", path: "/v4/contacts", requestId: `read-${n}` });
  const failure = async (p: Promise<unknown>): Promise<{ code: string; retryAfterMs?: number | undefined }> => {
    try {
      await p;
    } catch (err) {
      if (isCoreError(err)) return { code: err.code, retryAfterMs: err.retryAfterMs };
      throw err;
    }
    return { code: "OK" };
  };
  /**
   * Writes until the full disk refuses one (the audit file's last page may still have room for a few lines):
   * the request ids answered OK before, and the refusal.
   */
  const postUntilRefused = async (hh: Harness, tag: string): Promise<{ ok: string[]; refused: { code: string; retryAfterMs?: number | undefined }; refusedId: string }> => {
    const ok: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await failure(post(hh, `${tag}-${i}`));
      if (r.code !== "OK") return { ok, refused: r, refusedId: `disk-${tag}-${i}` };
      ok.push(`disk-${tag}-${i}`);
    }
    throw new Error("the full disk took 100 writes' lines");
  };
  const postsUpstream = (hh: Harness) => hh.sandbox.ledger().filter((e) => e.method === "POST" && e.route === "/v4/contacts").map((e) => e.requestId);

  it("refuses writes with ERR_LOC_AUDIT_UNAVAILABLE while the disk is full, keeps serving reads, and resumes by itself", async () => {
    const { h, path, disk } = await setUp({});
    const okBefore = await post(h, "before");
    expect(okBefore.status).toBe(202);
    const filler = await fill(disk.dir);

    // The first write that finds out: its intent line cannot be made durable, so it is refused and never sent.
    const { ok: okWhileFilling, refused: first, refusedId } = await postUntilRefused(h, "full-1");
    expect(first).toEqual({ code: "ERR_LOC_AUDIT_UNAVAILABLE", retryAfterMs: 1000 });
    expect(h.router.auditStatus?.()).toMatchObject({ writable: false, refusing: "writes" });
    // Later writes are refused before anything happens; reads go on (refuse_writes), their lines kept in memory.
    expect((await failure(post(h, "full-2"))).code).toBe("ERR_LOC_AUDIT_UNAVAILABLE");
    expect((await get(h, "full")).status).toBe(200);
    expect(h.router.auditStatus?.().pendingBytes).toBeGreaterThan(0);
    expect(postsUpstream(h)).toEqual(["disk-before", ...okWhileFilling]);
    // Said loudly: one error line for the outage (not one per retry), and the failure counter.
    expect(logged.filter((l) => l.level === "error" && /ENOSPC/.test(String(l.err)))).toHaveLength(1);
    expect(failures).toBeGreaterThanOrEqual(1);

    // Room again: the writer's retry (every second) finds it, without a restart.
    await rm(filler);
    await vi.waitFor(() => expect(h.router.auditStatus?.()).toMatchObject({ writable: true, refusing: "none", pendingBytes: 0 }), { timeout: 5000, interval: 50 });
    expect(logged.some((l) => l.level === "info" && /writable again/.test(l.msg))).toBe(true);
    const okAfter = await post(h, "after");
    expect(okAfter.status).toBe(202);
    expect(postsUpstream(h)).toEqual(["disk-before", ...okWhileFilling, "disk-after"]);

    const lines = await h.auditLines();
    const byId = (rid: string) => lines.filter((l) => l.request_id === rid);
    // Every write answered OK has its full line; the refused ones say why; the read's line waited and was written.
    for (const rid of ["disk-before", ...okWhileFilling]) expect(byId(rid).find((l) => l.phase === undefined)).toMatchObject({ status: 202 });
    expect(byId("disk-after").find((l) => l.phase === undefined)).toMatchObject({ status: 202 });
    expect(byId("disk-full-2")).toMatchObject([{ status: 0, error_code: "ERR_LOC_AUDIT_UNAVAILABLE" }]);
    expect(byId(refusedId).find((l) => l.phase === undefined)).toMatchObject({ status: 0, error_code: "ERR_LOC_AUDIT_UNAVAILABLE" });
    expect(byId("read-full")).toMatchObject([{ status: 200 }]);
    // The chain runs on across the outage.
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, fromGenesis: true, outcomeUnknown: [] });
    // No line was cut by the failed write: the file ends on a whole line.
    expect((await readFile(path, "utf8")).endsWith("}\n")).toBe(true);
  }, 30_000);

  it("refuses onboarding and removal while the disk is full, changing nothing, and allows them once it has room", async () => {
    const { h, path, disk } = await setUp({});
    const filler = await fill(disk.dir);
    await postUntilRefused(h, "admin");
    const tokenCalls = () => h.sandbox.ledger().filter((e) => e.route === "/oauth/token").length;
    const tokensBefore = tokenCalls();
    const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(h.dir, "cid"), owner.clientId, { mode: 0o600 });
    await writeFile(join(h.dir, "secret"), owner.clientSecret, { mode: 0o600 });
    const burleigh = { locationUid: cs.locations.burleighHeads, orgSlug: cs.slug, clientIdRef: `file:${join(h.dir, "cid")}`, clientSecretRef: `file:${join(h.dir, "secret")}`, refreshToken: owner.refreshToken };
    const onboard = async () => {
      const out = [];
      for await (const r of h.router.onboardLocations([burleigh])) out.push(r);
      return out.map((r) => [r.outcome, r.errorCode]);
    };

    expect(await failure(h.router.removeLocation(SYDNEY))).toEqual({ code: "ERR_LOC_AUDIT_UNAVAILABLE", retryAfterMs: 1000 });
    expect(await onboard()).toEqual([["failed", "ERR_LOC_AUDIT_UNAVAILABLE"]]);
    // Nothing changed: Sydney stays, Burleigh Heads was not stored, Podium was not even asked for a token.
    expect((await h.router.store.list()).map((r) => r.locationUid)).toEqual([SYDNEY]);
    expect(tokenCalls()).toBe(tokensBefore);

    await rm(filler);
    await vi.waitFor(() => expect(h.router.auditStatus?.()).toMatchObject({ writable: true, refusing: "none" }), { timeout: 5000, interval: 50 });
    expect(await onboard()).toEqual([["onboarded", undefined]]);
    await h.router.removeLocation(SYDNEY);
    expect((await h.router.store.list()).map((r) => r.locationUid)).toEqual([cs.locations.burleighHeads]);
    // Each refusal has its line, and the chain runs on across the outage.
    const ops = (await h.auditLines()).filter((l) => l.endpoint === "router:RemoveLocation" || l.endpoint === "router:OnboardLocations");
    expect(ops.map((l) => [l.endpoint, l.error_code ?? ""])).toEqual([
      ["router:RemoveLocation", "ERR_LOC_AUDIT_UNAVAILABLE"],
      ["router:OnboardLocations", "ERR_LOC_AUDIT_UNAVAILABLE"],
      ["router:OnboardLocations", ""],
      ["router:RemoveLocation", ""],
    ]);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, fromGenesis: true });
  }, 30_000);

  it("refuses writes when the file vanished and its directory is read-only, and resumes when it is writable again", async () => {
    const { h, path, disk } = await setUp({});
    // The audit file vanishes with its directory, and what is there now is read-only: a read-only file system
    // mounted over the old one (whose open file the writer still holds).
    execFileSync("umount", ["-l", disk.dir], { stdio: "pipe" });
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=256k,mode=0700", "tmpfs", disk.dir], { stdio: "pipe" });
    // SIGHUP (logrotate's postrotate) makes the writer open the path again, which it cannot.
    await expect(h.router.reopenAudit!()).rejects.toThrow(/EROFS|read-only|ENOENT/i);
    const refused = await failure(post(h, "ro"));
    expect(refused).toEqual({ code: "ERR_LOC_AUDIT_UNAVAILABLE", retryAfterMs: 1000 });
    expect(h.router.auditStatus?.()).toMatchObject({ writable: false, refusing: "writes" });
    expect(postsUpstream(h)).toEqual([]);
    disk.remount("rw");
    await vi.waitFor(() => expect(h.router.auditStatus?.()).toMatchObject({ writable: true, pendingBytes: 0 }), { timeout: 5000, interval: 50 });
    expect((await post(h, "rw")).status).toBe(202);
    await h.router.audit.flush();
    const lines = await h.auditLines();
    expect(lines.find((l) => l.request_id === "disk-rw" && l.phase === undefined)).toMatchObject({ status: 202 });
    expect(lines.find((l) => l.request_id === "disk-ro")).toMatchObject({ status: 0, error_code: "ERR_LOC_AUDIT_UNAVAILABLE" });
    // The new file continues the chain of the one that vanished.
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true, files: 1 });
  }, 30_000);

  it("refuses reads too under audit.on_failure: refuse_all", async () => {
    const { h, disk } = await setUp({ on_failure: "refuse_all" });
    const filler = await fill(disk.dir);
    expect((await postUntilRefused(h, "all")).refused.code).toBe("ERR_LOC_AUDIT_UNAVAILABLE");
    expect(await failure(get(h, "all"))).toEqual({ code: "ERR_LOC_AUDIT_UNAVAILABLE", retryAfterMs: 1000 });
    expect(h.router.auditStatus?.().refusing).toBe("all");
    await rm(filler);
    await vi.waitFor(() => expect(h.router.auditStatus?.().refusing).toBe("none"), { timeout: 5000, interval: 50 });
    expect((await get(h, "all-after")).status).toBe(200);
  }, 30_000);

  it("bounds the lines waiting in memory: past audit.max_pending_bytes every call is refused", async () => {
    const { h, disk } = await setUp({ max_pending_bytes: 65536 });
    const filler = await fill(disk.dir);
    expect((await postUntilRefused(h, "bound")).refused.code).toBe("ERR_LOC_AUDIT_UNAVAILABLE");
    let reads = 0;
    for (; reads < 2000; reads++) {
      const r = await failure(get(h, `bound-${reads}`));
      if (r.code !== "OK") {
        expect(r.code).toBe("ERR_LOC_AUDIT_UNAVAILABLE");
        break;
      }
    }
    expect(reads).toBeLessThan(2000);
    expect(h.router.auditStatus?.()).toMatchObject({ refusing: "all" });
    // The bound refuses calls once reached; the lines of calls already admitted are still kept, so it can be
    // passed by those lines (a few hundred bytes each), never by more.
    expect(h.router.auditStatus!().pendingBytes).toBeLessThan(65536 + 2048);
    await rm(filler);
    await vi.waitFor(() => expect(h.router.auditStatus?.()).toMatchObject({ refusing: "none", pendingBytes: 0 }), { timeout: 5000, interval: 50 });
    // Every read answered while the disk was full has its line now.
    const lines = await h.auditLines();
    for (let i = 0; i < reads; i++) expect(lines.some((l) => l.request_id === `read-bound-${i}` && l.status === 200)).toBe(true);
  }, 60_000);
});


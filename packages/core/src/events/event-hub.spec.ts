import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFixtureIds, defaultResourceIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyAuditChain } from "../audit/index.js";
import { codeOf, createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";
import { canMount, fill, mountSmallDisk, type SmallDisk } from "../testing/small-disk.js";
import { createEventHub, type EventHub } from "./event-hub.js";
import type { WatchedEvent } from "./event-watch.js";
import type { WebhookSyncResult } from "./webhook-sync.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;
const NEWCASTLE = cs.locations.newcastle;

interface Setup {
  h: Harness;
  hub: EventHub;
  /** The receiver's address: a minimal HTTP shim in front of hub.receive (the server's receiver is tested in apps/router-server). */
  publicUrl: string;
  close(): Promise<void>;
}

let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function setup(events: Record<string, unknown> = {}, env: Record<string, string> = {}, more: { audit?: Record<string, unknown>; webhooks?: Record<string, unknown> } = {}): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "event-hub-"));
  const h = await createHarness({
    sandbox: { webhooks: { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000, ...more.webhooks } },
    settings: { events: { enabled: true, path: join(dir, "events.sqlite"), subscriptions_path: join(dir, "subs.json"), ...events }, ...(more.audit ? { audit: more.audit } : {}) },
  });
  const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
  for (const uid of [SYDNEY, BURLEIGH]) await h.register(uid, owner, cs.slug);
  await h.restart();
  const hub = await createEventHub({ router: h.router, env });
  const shim: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = (req.url ?? "").split("/").at(-1) ?? "";
      void hub
        .receive({ subscriptionId: id, timestamp: req.headers["podium-timestamp"] as string | undefined, signature: req.headers["podium-signature"] as string | undefined, body: Buffer.concat(chunks).toString("utf8") })
        .then((a) => res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.body)));
    });
  });
  await new Promise<void>((r) => shim.listen(0, "127.0.0.1", r));
  const publicUrl = `http://127.0.0.1:${(shim.address() as AddressInfo).port}`;
  const s: Setup = {
    h,
    hub,
    publicUrl,
    async close() {
      await hub.close();
      shim.closeAllConnections();
      await new Promise<void>((r) => shim.close(() => r()));
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  current = s;
  return s;
}

async function sync(s: Setup, locationUids: string[] = []): Promise<WebhookSyncResult[]> {
  const out: WebhookSyncResult[] = [];
  for await (const r of s.hub.syncWebhooks({ locationUids, publicUrl: s.publicUrl }, { caller: "ops" })) out.push(r);
  return out;
}

/** Podium's view of the webhooks, through the owner's token. */
async function podiumWebhooks(s: Setup): Promise<Array<{ uid: string; url: string; secret: string | null; disabled: boolean; eventTypes: string[]; locationUid: string | null }>> {
  const token = s.h.sandbox.issueAccessToken(cs.ownerGrant.grantId).accessToken;
  const res = await fetch(`${s.h.sandbox.url}/v4/webhooks?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { data: never[] }).data.filter((w: { url: string }) => w.url.startsWith(s.publicUrl));
}

async function podiumCall(s: Setup, method: string, path: string, body?: unknown): Promise<Response> {
  const token = s.h.sandbox.issueAccessToken(cs.ownerGrant.grantId).accessToken;
  return fetch(`${s.h.sandbox.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Collects events of a watch until `count` arrived or `ms` passed. */
async function collect(hub: EventHub, req: Parameters<EventHub["watch"]>[0], count: number, ms = 5_000): Promise<WatchedEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  const out: WatchedEvent[] = [];
  try {
    for await (const batch of await hub.watch(req, abort.signal)) {
      out.push(...batch);
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

const doc = (eventType: string, data: unknown): string => JSON.stringify({ data, metadata: { event_type: eventType, version: "2021.04.01" } });

describe("syncWebhooks()", () => {
  it("creates one webhook per location at <public_url>/podium/webhooks/<subscription>, each with its own secret; a rerun changes nothing", async () => {
    const s = await setup();
    const first = await sync(s);
    expect(first.map((r) => [r.locationUid, r.outcome, r.scope])).toEqual([
      [SYDNEY, "created", "location"],
      [BURLEIGH, "created", "location"],
    ].sort());
    const hooks = await podiumWebhooks(s);
    expect(hooks).toHaveLength(2);
    for (const r of first) {
      const w = hooks.find((x) => x.uid === r.podiumWebhookUid);
      expect(w).toMatchObject({ url: `${s.publicUrl}/podium/webhooks/${r.subscriptionId}`, locationUid: r.locationUid, disabled: false });
      expect(w?.eventTypes).toHaveLength(26);
      expect(w?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(new Set(hooks.map((w) => w.secret)).size).toBe(2);
    const second = await sync(s);
    expect(second.map((r) => r.outcome)).toEqual(["unchanged", "unchanged"]);
    expect(second.map((r) => r.subscriptionId).sort()).toEqual(first.map((r) => r.subscriptionId).sort());
    expect(await podiumWebhooks(s)).toHaveLength(2);
  });

  it("repairs a webhook whose URL, secret, event types or enabled state changed at Podium, and deletes the router's strays", async () => {
    const s = await setup();
    const [sydney] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
    await podiumCall(s, "PUT", `/v4/webhooks/${sydney.podiumWebhookUid}`, { secret: "guessed", disabled: true, eventTypes: ["contact.created"], url: "http://127.0.0.1:1/elsewhere" });
    const stray = await (await podiumCall(s, "POST", "/v4/webhooks", { url: `${s.publicUrl}/podium/webhooks/sub_left_by_an_old_run___`, eventTypes: ["contact.created"], locationUid: SYDNEY })).json() as { data: { uid: string } };
    const [repaired] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
    expect(repaired).toMatchObject({ outcome: "repaired", podiumWebhookUid: sydney.podiumWebhookUid, subscriptionId: sydney.subscriptionId });
    expect(repaired.message).toMatch(/url, eventTypes, secret, re-enabled/);
    const hooks = await podiumWebhooks(s);
    expect(hooks.map((w) => w.uid)).toEqual([sydney.podiumWebhookUid]);
    expect(hooks.some((w) => w.uid === stray.data.uid)).toBe(false);
    expect(hooks[0]).toMatchObject({ disabled: false, url: `${s.publicUrl}/podium/webhooks/${sydney.subscriptionId}` });
    expect(hooks[0]?.eventTypes).toHaveLength(26);
  });

  it("re-creates a webhook deleted at Podium, and refuses an unknown location as failed without touching Podium", async () => {
    const s = await setup();
    const [sydney] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
    await podiumCall(s, "DELETE", `/v4/webhooks/${sydney.podiumWebhookUid}`);
    const [again, unknown] = await sync(s, [SYDNEY, NEWCASTLE]);
    expect(again).toMatchObject({ outcome: "created", subscriptionId: sydney.subscriptionId });
    expect(again?.podiumWebhookUid).not.toBe(sydney.podiumWebhookUid);
    expect(unknown).toMatchObject({ locationUid: NEWCASTLE, outcome: "failed", errorCode: "ERR_LOC_UNKNOWN" });
  });

  it("audits each location's outcome as router:SyncWebhooks, and each Podium call with the caller, without secrets", async () => {
    const s = await setup();
    await sync(s, [SYDNEY]);
    const lines = await s.h.auditLines();
    expect(lines.filter((l) => l.endpoint === "router:SyncWebhooks")).toMatchObject([{ location_uid: SYDNEY, status: 200, caller: "ops" }]);
    expect(lines.filter((l) => l.endpoint.startsWith("/v4/webhooks")).map((l) => `${l.method} ${l.endpoint} ${l.caller}`)).toEqual(["GET /v4/webhooks ops", "POST /v4/webhooks ops"]);
    const hooks = await podiumWebhooks(s);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(hooks[0]?.secret);
  });

  it("creates one organization webhook for an organization the operator granted, and delivers its events to each served location", async () => {
    const s = await setup({ organization_webhooks: [cs.slug] });
    const results = await sync(s);
    expect(results.map((r) => [r.locationUid, r.outcome, r.scope])).toEqual([
      [SYDNEY, "created", "organization"],
      [BURLEIGH, "unchanged", "organization"],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    const hooks = await podiumWebhooks(s);
    expect(hooks).toMatchObject([{ locationUid: null }]);
    s.h.sandbox.emitEvent({ eventType: "call.received", locationUid: BURLEIGH });
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    expect((await collect(s.hub, { locationUid: BURLEIGH, afterCursor: "", eventTypes: [] }, 1)).map((e) => e.eventType)).toEqual(["call.received"]);
    expect(await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 1, 300)).toEqual([]);
    // The hazard that makes per-location webhooks the default: an organization webhook also carries events of
    // locations the router does not serve; each is refused (404), Podium retries it, holds every later event of the
    // organization behind it, and finally disables the webhook.
    s.h.sandbox.emitEvent({ eventType: "call.missed", locationUid: NEWCASTLE });
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    expect(new Set(s.h.sandbox.webhookDeliveries().filter((d) => d.eventType === "call.missed").map((d) => d.status))).toEqual(new Set([404]));
    expect((await podiumWebhooks(s))[0]?.disabled).toBe(true);
  });
});

describe("receive()", () => {
  it("stores a contact written for Sydney once in Sydney's log, signed by Podium, and never in Burleigh Heads'", async () => {
    const s = await setup();
    await sync(s);
    const res = await s.h.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "Ada Sydney", locations: [SYDNEY] }) });
    expect(res.status).toBe(202);
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    const sydney = await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 2, 500);
    expect(sydney.map((e) => [e.cursor, e.eventType])).toEqual([["1", "contact.created"]]);
    expect(JSON.parse(sydney[0]?.body ?? "")).toMatchObject({ data: { name: "Ada Sydney" }, metadata: { event_type: "contact.created" } });
    expect(await collect(s.hub, { locationUid: BURLEIGH, afterCursor: "", eventTypes: [] }, 1, 300)).toEqual([]);
    const lines = (await s.h.auditLines()).filter((l) => l.method === "EVENT");
    expect(lines).toEqual([expect.objectContaining({ location_uid: SYDNEY, endpoint: "contact.created", status: 200, request_id: sydney[0]?.eventId, caller: "podium" })]);
    expect(JSON.stringify(lines)).not.toContain("Ada");
  });

  describe("refusals", () => {
    async function subscribed(): Promise<{ s: Setup; id: string; secret: string; signed: (body: string, ts?: number) => Parameters<EventHub["receive"]>[0] }> {
      const s = await setup();
      const [r] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
      const secret = (await podiumWebhooks(s))[0]?.secret as string;
      const id = r.subscriptionId as string;
      const signed = (body: string, ts = Date.now()) => ({ subscriptionId: id, timestamp: String(ts), signature: createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"), body });
      return { s, id, secret, signed };
    }

    it("refuses each bad request with its typed status, audits it, stores and delivers nothing", async () => {
      const { s, id, signed } = await subscribed();
      const good = doc("contact.created", { uid: "c-1", locations: [{ uid: SYDNEY }] });
      const cases: Array<[string, Parameters<EventHub["receive"]>[0], number, string]> = [
        ["forged signature", { ...signed(good), signature: "0".repeat(64) }, 401, "ERR_LOC_EVENT_SIGNATURE"],
        ["unsigned", { ...signed(good), signature: undefined, timestamp: undefined }, 401, "ERR_LOC_EVENT_SIGNATURE"],
        ["stale timestamp", signed(good, Date.now() - 600_000), 401, "ERR_LOC_EVENT_STALE"],
        ["oversized body", { ...signed(good), body: undefined }, 413, "ERR_LOC_EVENT_TOO_LARGE"],
        ["not an event", signed('{"hello":"world"}'), 400, "ERR_LOC_EVENT_MALFORMED"],
        ["another location's event", signed(doc("contact.created", { uid: "c-2", locations: [{ uid: BURLEIGH }] })), 400, "ERR_LOC_MISMATCH"],
        ["an unregistered location's event", signed(doc("call.missed", { uid: "k-1", locationUid: NEWCASTLE })), 404, "ERR_LOC_UNKNOWN"],
        ["an event naming no location", signed(doc("contact.created", { uid: "c-3" })), 400, "ERR_LOC_MISMATCH"],
      ];
      for (const [what, req, status, code] of cases) {
        const a = await s.hub.receive(req);
        expect({ what, status: a.status, code: a.code }).toEqual({ what, status, code });
        expect(a.body).toMatchObject({ code });
      }
      expect(await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 1, 300)).toEqual([]);
      expect(await collect(s.hub, { locationUid: BURLEIGH, afterCursor: "", eventTypes: [] }, 1, 300)).toEqual([]);
      const lines = (await s.h.auditLines()).filter((l) => l.method === "EVENT");
      expect(lines.map((l) => [l.status, l.error_code])).toEqual(cases.map(([, , status, code]) => [status, code]));
      expect(lines.every((l) => l.location_uid === SYDNEY)).toBe(true);
      // Before the signature verified: no event type, no caller; after it, the caller is Podium.
      expect(lines.slice(0, 4).every((l) => l.endpoint === "{unverified}" && l.caller === undefined)).toBe(true);
      expect(lines[4]).toMatchObject({ endpoint: "{unverified}", caller: "podium" });
      expect(lines.slice(5, 7).map((l) => l.endpoint)).toEqual(["contact.created", "call.missed"]);
      // An unknown subscription is answered 404 but not audited: the id is the requester's word, naming no location.
      expect(await s.hub.receive({ ...signed(good), subscriptionId: "sub_nosuchsubscription0000" })).toMatchObject({ status: 404, code: "ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN" });
      expect((await s.h.auditLines()).filter((l) => l.method === "EVENT")).toHaveLength(cases.length);
      expect(id).toMatch(/^sub_/);
    });

    it("refuses a replayed request (same signature) with 409, and acknowledges Podium's retry of a stored event without storing it again", async () => {
      const { s, signed } = await subscribed();
      const body = doc("contact.created", { uid: "c-9", locations: [{ uid: SYDNEY }] });
      const first = signed(body);
      expect(await s.hub.receive(first)).toMatchObject({ status: 200, body: { received: true } });
      expect(await s.hub.receive(first)).toMatchObject({ status: 409, code: "ERR_LOC_EVENT_REPLAYED" });
      // Podium signs each retry afresh; the key order of a re-serialised document does not matter either.
      const retry = signed(JSON.stringify({ metadata: { version: "2021.04.01", event_type: "contact.created" }, data: { locations: [{ uid: SYDNEY }], uid: "c-9" } }), Date.now() + 1);
      expect(await s.hub.receive(retry)).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
      expect((await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 3, 300)).map((e) => e.cursor)).toEqual(["1"]);
      const lines = (await s.h.auditLines()).filter((l) => l.method === "EVENT");
      expect(lines.map((l) => [l.status, l.error_code ?? ""])).toEqual([[200, ""], [409, "ERR_LOC_EVENT_REPLAYED"], [200, ""]]);
      expect(new Set(lines.map((l) => l.request_id)).size).toBe(1);
    });

    it("refuses events once the location is marked deleted", async () => {
      const { s, signed } = await subscribed();
      await s.h.router.store.update(SYDNEY, { state: "deleted" });
      await s.h.restart();
      const hub = await createEventHub({ router: s.h.router });
      try {
        const a = await hub.receive(signed(doc("contact.created", { uid: "c-4", locations: [{ uid: SYDNEY }] })));
        expect(a).toMatchObject({ status: 404, code: "ERR_LOC_DELETED" });
      } finally {
        await hub.close();
      }
    });
  });
});

const mountable = await canMount();

describe.skipIf(!mountable)(`receive() when the audit disk refuses lines${mountable ? "" : " [skipped: cannot mount a tmpfs]"}`, () => {
  let disk: SmallDisk | undefined;
  afterEach(async () => {
    disk?.remount("rw");
    await current?.close();
    current = undefined;
    await disk?.close();
    disk = undefined;
  });

  it("acknowledges no event whose line cannot be written (503, Podium retries), and delivers each retried one once when the disk has room again", async () => {
    disk = await mountSmallDisk(256);
    const path = join(disk.dir, "audit", "audit.jsonl");
    const s = await setup({}, {}, { audit: { path, fsync: "always" }, webhooks: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 10_000 } });
    const [sub] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
    const secret = (await podiumWebhooks(s))[0]?.secret as string;
    const signed = (uid: string, ts = Date.now()) => {
      const body = doc("contact.created", { uid, locations: [{ uid: SYDNEY }] });
      return { subscriptionId: sub.subscriptionId as string, timestamp: String(ts), signature: createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"), body };
    };
    expect(await s.hub.receive(signed("c-0"))).toMatchObject({ status: 200 });
    const filler = await fill(disk.dir);

    // Events until the full disk refuses one's line (the audit file's last page may still have room for a few).
    const acked: string[] = [];
    let refused: { uid: string; answer: Awaited<ReturnType<EventHub["receive"]>> } | undefined;
    for (let i = 1; i < 200 && refused === undefined; i++) {
      const a = await s.hub.receive(signed(`c-${i}`));
      if (a.status === 200) acked.push(`c-${i}`);
      else refused = { uid: `c-${i}`, answer: a };
    }
    expect(refused?.answer).toMatchObject({ status: 503, code: "ERR_LOC_AUDIT_UNAVAILABLE", body: { code: "ERR_LOC_AUDIT_UNAVAILABLE" }, retryAfterMs: expect.any(Number) });
    expect(refused?.answer.retryAfterMs).toBeGreaterThan(0);
    expect(s.h.router.auditStatus?.()).toMatchObject({ writable: false, refusing: "writes" });
    // Known to fail now: refused before it is stored.
    expect(await s.hub.receive(signed("c-gated"))).toMatchObject({ status: 503, code: "ERR_LOC_AUDIT_UNAVAILABLE" });
    const uidsIn = async (): Promise<string[]> =>
      (await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 10_000, 300)).map((e) => (JSON.parse(e.body) as { data: { uid: string } }).data.uid);
    expect(await uidsIn()).not.toContain("c-gated");
    // A webhook sync would store a secret and create a webhook at Podium: refused, nothing created.
    expect((await sync(s, [BURLEIGH])).map((r) => [r.outcome, r.errorCode])).toEqual([["failed", "ERR_LOC_AUDIT_UNAVAILABLE"]]);
    expect((await podiumWebhooks(s)).map((w) => w.locationUid)).toEqual([SYDNEY]);
    expect((await s.hub.status(BURLEIGH)).subscription).toBeUndefined();
    // Podium's own delivery meets the same refusal, and keeps retrying.
    const since = s.h.sandbox.webhookDeliveries().at(-1)?.seq ?? 0;
    const emitted = s.h.sandbox.emitEvent({ eventType: "contact.created", locationUid: SYDNEY, data: { uid: "c-podium", locations: [{ uid: SYDNEY }] } });
    await vi.waitFor(() => expect(s.h.sandbox.webhookDeliveries(since).filter((d) => d.eventId === emitted.eventId && d.status === 503).length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
    expect(s.h.sandbox.webhookDeliveries(since).some((d) => d.acknowledged)).toBe(false);

    // Room again: the writer's retry finds it; Podium's retries (signed afresh) are acknowledged, each event once.
    await rm(filler);
    await vi.waitFor(() => expect(s.h.router.auditStatus?.()).toMatchObject({ writable: true, refusing: "none" }), { timeout: 5_000, interval: 50 });
    for (const uid of [refused!.uid, "c-gated"]) expect(await s.hub.receive(signed(uid, Date.now() + 1))).toMatchObject({ status: 200 });
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    const delivered = await uidsIn();
    expect([...delivered].sort()).toEqual(["c-0", ...acked, refused!.uid, "c-gated", "c-podium"].sort());

    // Every acknowledged event has its line; each refusal says why; the chain runs on across the outage.
    const lines = (await s.h.auditLines()).filter((l) => l.method === "EVENT");
    const events = await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 10_000, 300);
    for (const e of events) expect(lines.some((l) => l.request_id === e.eventId && l.status === 200 && l.error_code === undefined)).toBe(true);
    const gatedId = events.find((e) => e.body.includes('"c-gated"'))!.eventId;
    expect(lines.filter((l) => l.request_id === gatedId).map((l) => [l.status, l.error_code ?? ""])).toEqual([[503, "ERR_LOC_AUDIT_UNAVAILABLE"], [200, ""]]);
    expect(lines.every((l) => l.phase === undefined)).toBe(true);
    expect(await verifyAuditChain({ path })).toMatchObject({ ok: true });
  }, 30_000);
});

describe("watch()", () => {
  it("streams from a cursor, filtered by type, then live events as they arrive; refuses bad cursors and unknown locations", async () => {
    const s = await setup();
    await sync(s, [SYDNEY]);
    for (const t of ["call.received", "message.received", "call.missed"]) s.h.sandbox.emitEvent({ eventType: t, locationUid: SYDNEY });
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    expect((await collect(s.hub, { locationUid: SYDNEY, afterCursor: "1", eventTypes: [] }, 2)).map((e) => [e.cursor, e.eventType])).toEqual([["2", "message.received"], ["3", "call.missed"]]);
    expect((await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: ["call.missed", "call.received"] }, 2)).map((e) => e.cursor)).toEqual(["1", "3"]);
    // Live: a watcher from "only new" gets the next event and nothing before it.
    const live = collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [], onlyNew: true }, 1);
    await new Promise((r) => setTimeout(r, 100));
    s.h.sandbox.emitEvent({ eventType: "review.created", locationUid: SYDNEY });
    expect((await live).map((e) => [e.cursor, e.eventType])).toEqual([["4", "review.created"]]);
    await expect(s.hub.watch({ locationUid: SYDNEY, afterCursor: "99", eventTypes: [] }, AbortSignal.timeout(1_000))).rejects.toMatchObject({ code: "ERR_LOC_BAD_REQUEST" });
    await expect(s.hub.watch({ locationUid: SYDNEY, afterCursor: "x1", eventTypes: [] }, AbortSignal.timeout(1_000))).rejects.toMatchObject({ code: "ERR_LOC_BAD_REQUEST" });
    await expect(s.hub.watch({ locationUid: SYDNEY, afterCursor: "", eventTypes: ["call.exploded"] }, AbortSignal.timeout(1_000))).rejects.toMatchObject({ code: "ERR_LOC_BAD_REQUEST" });
    await expect(s.hub.watch({ locationUid: NEWCASTLE, afterCursor: "", eventTypes: [] }, AbortSignal.timeout(1_000))).rejects.toMatchObject({ code: "ERR_LOC_UNKNOWN" });
  });

  it("refuses a cursor whose following events retention removed, and starts an empty cursor after them", async () => {
    const s = await setup({ retention_hours: 1 });
    await sync(s, [SYDNEY]);
    const realNow = Date.now;
    s.h.sandbox.emitEvent({ eventType: "call.received", locationUid: SYDNEY });
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    // A hub whose clock is two hours ahead prunes the event at start.
    const later = await createEventHub({ router: s.h.router, now: () => realNow() + 2 * 3_600_000 });
    try {
      for (const until = Date.now() + 3_000; (await s.hub.status(SYDNEY)).prunedThrough === "0" && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      expect(await s.hub.status(SYDNEY)).toMatchObject({ lastCursor: "1", prunedThrough: "1" });
      await expect(s.hub.watch({ locationUid: SYDNEY, afterCursor: "0", eventTypes: [] }, AbortSignal.timeout(1_000))).rejects.toMatchObject({ code: "ERR_LOC_EVENT_CURSOR_EXPIRED" });
      expect(await collect(s.hub, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 1, 300)).toEqual([]);
    } finally {
      await later.close();
    }
  });
});

describe("HTTP forwarder", () => {
  it("posts each event in order, signed with its own secret, retries with backoff, dead-letters after the last attempt, and resumes the backlog", async () => {
    const got: Array<{ cursor: string; type: string; ok: boolean; sigOk: boolean }> = [];
    let failing = new Set<string>(["2"]);
    let down = false;
    const sub: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const cursor = req.headers["podium-router-cursor"] as string;
        const ts = req.headers["podium-router-timestamp"] as string;
        const sigOk = req.headers["podium-router-signature"] === createHmac("sha256", "fwd-secret").update(`${ts}.${body}`).digest("hex");
        const ok = !down && !failing.has(cursor);
        got.push({ cursor, type: req.headers["podium-router-event-type"] as string, ok, sigOk });
        res.writeHead(ok ? 204 : 503).end();
      });
    });
    await new Promise<void>((r) => sub.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(sub.address() as AddressInfo).port}/events`;
    try {
      const s = await setup({ forwarders: { [SYDNEY]: { url, secret_ref: "env:FWD_SECRET" } }, forward_retry: { base_delay_ms: 10, max_delay_ms: 40, max_attempts: 3 } }, { FWD_SECRET: "fwd-secret" });
      await sync(s, [SYDNEY]);
      for (const t of ["call.received", "call.missed", "call.completed"]) s.h.sandbox.emitEvent({ eventType: t, locationUid: SYDNEY });
      expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
      for (const until = Date.now() + 5_000; !got.some((g) => g.cursor === "3" && g.ok) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      // 1 delivered; 2 refused three times, dead-lettered; 3 delivered after it.
      expect(got.map((g) => `${g.cursor}:${g.ok}`)).toEqual(["1:true", "2:false", "2:false", "2:false", "3:true"]);
      expect(got.every((g) => g.sigOk)).toBe(true);
      expect(await s.hub.status(SYDNEY)).toMatchObject({
        lastCursor: "3",
        forwarder: { target: new URL(url).origin, state: "dead_lettered", deliveredCursor: "3", pending: 0, deadLetters: 1, lastDeadCursor: "2" },
      });
      // The subscriber goes down; the backlog waits, retried, and arrives in order once it is back.
      down = true;
      failing = new Set();
      for (const t of ["message.received", "message.sent"]) s.h.sandbox.emitEvent({ eventType: t, locationUid: SYDNEY });
      expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
      for (const until = Date.now() + 5_000; !got.some((g) => g.cursor === "4" && !g.ok) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
      expect(await s.hub.status(SYDNEY)).toMatchObject({ forwarder: { state: "retrying", lastStatus: 503, lastError: "HTTP 503", deliveredCursor: "3", pending: 2 } });
      down = false;
      for (const until = Date.now() + 5_000; !got.some((g) => g.cursor === "5" && g.ok) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
      expect(got.filter((g) => g.ok).map((g) => g.cursor)).toEqual(["1", "3", "4", "5"]);
    } finally {
      sub.closeAllConnections();
      await new Promise<void>((r) => sub.close(() => r()));
    }
  });

  it("refuses to start with a forwarder whose secret reference cannot be resolved", async () => {
    const dir = mkdtempSync(join(tmpdir(), "event-hub-"));
    const h = await createHarness({ settings: { events: { enabled: true, path: join(dir, "e.sqlite"), subscriptions_path: join(dir, "s.json"), forwarders: { [SYDNEY]: { url: "http://127.0.0.1:1/x", secret_ref: "env:MISSING_FWD" } } } } });
    try {
      await expect(createEventHub({ router: h.router, env: {} })).rejects.toMatchObject({ code: "ERR_LOC_CREDENTIAL", message: expect.stringContaining("MISSING_FWD") });
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the ownership cache and Podium's events", () => {
  const amelia = defaultResourceIds.coastalSmiles.contacts.sydney;
  const contactPath = `/v4/contacts/${encodeURIComponent(amelia.phoneNumber)}`;
  /**
   * Sydney reads its contact through the router (the owners are cached), then the contact is moved to Burleigh
   * Heads outside the router, as Podium's own app would; Sydney then tries to change it. The answer code.
   */
  async function moveOutsideThenWrite(s: Setup): Promise<string> {
    expect((await s.h.router.call({ locationUid: SYDNEY, method: "GET", path: contactPath })).status).toBe(200);
    expect((await podiumCall(s, "PATCH", contactPath, { locations: [BURLEIGH] })).status).toBe(202);
    expect(await s.h.sandbox.settleWebhooks(5_000)).toBe(true);
    return codeOf(s.h.router.call({ locationUid: SYDNEY, method: "PATCH", path: contactPath, body: JSON.stringify({ name: "Amelia (Sydney's edit)" }), requestId: "stale-owner-write" }));
  }
  const sentByRouter = (s: Setup) => s.h.sandbox.ledger().filter((e) => e.requestId === "stale-owner-write" && e.method === "PATCH");

  it("drops a contact's cached owners when Podium's contact.updated arrives, so a change made outside the router is seen at once", async () => {
    const s = await setup();
    await sync(s, [SYDNEY, BURLEIGH]);
    expect(await moveOutsideThenWrite(s)).toBe("ERR_LOC_NOT_OWNED");
    expect(sentByRouter(s)).toEqual([]);
    // Burleigh Heads, the owner now, may.
    expect((await s.h.router.call({ locationUid: BURLEIGH, method: "PATCH", path: contactPath, body: JSON.stringify({ name: "Amelia B." }) })).status).toBe(202);
  });

  it("control: without the event (no webhook at the contact's new location) the cached owners hold until the TTL", async () => {
    const s = await setup();
    await sync(s, [SYDNEY]);
    // The window the event closes: the stale entry still says Sydney, and the write is sent.
    expect(await moveOutsideThenWrite(s)).toBe("no error");
    expect(sentByRouter(s)).toHaveLength(1);
  });
});

describe("removeLocation()", () => {
  it("deletes the location's Podium webhook and forgets its subscription and secret", async () => {
    const s = await setup();
    const [r] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
    await s.hub.removeLocation(SYDNEY, { caller: "ops" });
    expect(await podiumWebhooks(s)).toEqual([]);
    expect((await s.hub.status(SYDNEY)).subscription).toBeUndefined();
    expect(await s.hub.receive({ subscriptionId: r.subscriptionId as string, timestamp: "1", signature: "x", body: "{}" })).toMatchObject({ status: 404 });
  });
});

describe("replicas on the PostgreSQL event log", async () => {
  const { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } = await import("../testing/services.js");
  const { createPgEventStore } = await import("./postgres/pg-event-store.js");
  const postgres = await requirePostgres();
  it.skipIf(!postgres)(`an event received by one replica reaches a subscriber watching on another, once${absentNote("PostgreSQL", postgres)}`, async () => {
    const schema = testSchemaName();
    const s = await setup();
    // Two replicas: each its own hub and its own connection pool on one schema (the subscriptions file is shared).
    const replica = async (): Promise<EventHub> => createEventHub({ router: s.h.router, store: await createPgEventStore({ url: TEST_POSTGRES_URL, schema, poolMax: 2 }) });
    const a = await replica();
    const b = await replica();
    try {
      const [r] = (await sync(s, [SYDNEY])) as [WebhookSyncResult];
      const secret = (await podiumWebhooks(s))[0]?.secret as string;
      const watching = collect(b, { locationUid: SYDNEY, afterCursor: "", eventTypes: [] }, 2, 3_000);
      await new Promise((res) => setTimeout(res, 300));
      const body = doc("call.received", { uid: "k-replica", locationUid: SYDNEY });
      const sign = (ts: string) => ({ subscriptionId: r.subscriptionId as string, timestamp: ts, signature: createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"), body });
      expect(await a.receive(sign(String(Date.now())))).toMatchObject({ status: 200, body: { received: true } });
      // Podium's retry after a lost answer lands on the other replica: acknowledged, not stored twice.
      expect(await b.receive(sign(String(Date.now() + 1)))).toMatchObject({ status: 200, body: { duplicate: true } });
      const got = await watching;
      expect(got.map((e) => [e.cursor, JSON.parse(e.body).data.uid])).toEqual([["1", "k-replica"]]);
    } finally {
      await a.close();
      await b.close();
      await dropTestSchema(schema);
    }
  });
});

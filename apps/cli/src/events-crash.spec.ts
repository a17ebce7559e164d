/**
 * Crash test of the event path: the router (the BUILT server, apps/router-server/dist/main.js, as its own process)
 * is killed with SIGKILL in the middle of bursts of Podium webhooks, again and again, and restarted on the same
 * state. Every event the sandbox saw acknowledged must reach the subscriber after the restart, and none twice.
 * It lives in the CLI project because the CLI's tests run after the server is built.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRouterClient, type Event, type RouterClient } from "@podium-router/client";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../router-server/dist/main.js", import.meta.url));
const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const KEY = "pr_crash_ops_0f3c9e";
const RUNS = 10;
const BURST = 15;
const TYPES = ["call.received", "message.received", "review.created", "call.missed", "contact.updated"];

let sandbox: Sandbox;
let dir: string;
let port: number;
let child: ChildProcess | undefined;
let client: RouterClient;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts the router process and waits until it answers RPCs. */
async function startRouter(): Promise<void> {
  const proc = spawn(process.execPath, [MAIN], {
    // Run where its state is: nothing it writes can land in the repository, whatever a path resolves against.
    cwd: dir,
    env: { PATH: process.env["PATH"], PODIUM_ROUTER_SETTINGS: join(dir, "settings.json"), CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  child = proc;
  await until(
    async () => {
      if (proc.exitCode !== null) throw new Error(`the router exited (${proc.exitCode}): ${stderr}`);
      return client.listLocations({}, { timeoutMs: 1_000 }).then(
        () => true,
        () => false,
      );
    },
    30_000,
    "the router to start",
  );
}

async function killRouter(): Promise<void> {
  const proc = child;
  if (proc === undefined || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  // Podium's retry schedule compressed: a refused or unanswered event is tried again within 20-200 ms, forever.
  sandbox = await createSandbox({ rateLimit: false, webhooks: { baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2_000, maxAttempts: 1_000_000 } });
  dir = mkdtempSync(join(tmpdir(), "events-crash-"));
  port = await freePort();
  const settings = {
    upstream: { base_url: sandbox.url, retry: { max_attempts: 1 } },
    audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
    credentials: { path: join(dir, "locations.json") },
    // The refresh token onboarding receives as a value is written here (the default is state/refresh-tokens).
    onboarding: { refresh_token_dir: join(dir, "refresh-tokens") },
    oauth_apps: { [cs.slug]: { client_id_ref: "env:CS_CLIENT_ID", client_secret_ref: "env:CS_CLIENT_SECRET" } },
    events: { enabled: true, path: join(dir, "events.sqlite"), subscriptions_path: join(dir, "subscriptions.json") },
    server: {
      host: "127.0.0.1",
      port,
      public_url: `http://127.0.0.1:${port}`,
      shutdown_grace_ms: 1_000,
      api_keys: [{ name: "ops", key_sha256: createHash("sha256").update(KEY).digest("hex"), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] }],
    },
  };
  writeFileSync(join(dir, "settings.json"), JSON.stringify(settings));
  client = createRouterClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, retry: false });
  await startRouter();
  // The caller names the operator's OAuth app and sends the refresh token itself (loopback: no TLS needed).
  const input = { locationUid: SYDNEY, orgSlug: cs.slug, oauthApp: cs.slug, refreshToken: cs.ownerGrant.refreshToken };
  for await (const r of client.onboardLocations({ locations: [input] })) expect(r.errorCode).toBe("");
  for await (const r of client.syncWebhooks({ locationUids: [SYDNEY] })) expect(r.errorCode).toBe("");
}, 180_000);

afterAll(async () => {
  await killRouter();
  await client?.close();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("events survive SIGKILL of the router", () => {
  it(`delivers every acknowledged event exactly once to a resuming subscriber across ${RUNS} kills mid-burst`, async () => {
    // The subscriber: processes each event as it arrives (its cursor is its acknowledgement) and reconnects on its own.
    const received: Event[] = [];
    const stop = new AbortController();
    // A subscriber that gave up fails the test at once, with its reason, rather than as a timeout later.
    let gaveUp: unknown;
    const subscriber = (async () => {
      for await (const e of client.location(SYDNEY).events({ signal: stop.signal })) received.push(e);
    })().catch((err: unknown) => {
      gaveUp = err;
    });
    const alive = (): boolean => {
      if (gaveUp !== undefined) throw new Error(`the subscriber gave up instead of reconnecting: ${String(gaveUp)}`);
      return true;
    };
    const uid = (e: { body: string }): string => (JSON.parse(e.body) as { data: { uid: string } }).data.uid;
    let killedWithEventsInFlight = 0;
    try {
      for (let run = 0; run < RUNS; run++) {
        for (let i = 0; i < BURST; i++) sandbox.emitEvent({ eventType: TYPES[(run + i) % TYPES.length] as string, locationUid: SYDNEY });
        // Kill somewhere inside the burst: before, during or between deliveries and their durable commits. The
        // first run kills at once, with the whole burst still queued, so at least one kill is certain to cut
        // deliveries however fast this machine delivers (a random moment alone may miss every burst).
        if (run > 0) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
        if ((sandbox.webhookQueues()[0]?.pending ?? 0) > 0) killedWithEventsInFlight++;
        await killRouter();
        await startRouter();
        expect(await sandbox.settleWebhooks(60_000)).toBe(true);
        alive();
      }
      const acknowledged = new Set(sandbox.webhookDeliveries().filter((d) => d.acknowledged).map((d) => uid(d)));
      await until(() => alive() && [...acknowledged].every((u) => received.some((e) => uid(e) === u)), 60_000, "the subscriber to catch up");
      // A moment for a duplicate, had there been one, to arrive.
      await new Promise((r) => setTimeout(r, 300));
      const uids = received.map(uid);
      expect(new Set(uids).size).toBe(uids.length); // none twice
      expect([...acknowledged].filter((u) => !uids.includes(u))).toEqual([]); // none lost
      expect(acknowledged.size).toBe(RUNS * BURST); // the sandbox got every event acknowledged in the end
      expect(received.map((e) => Number(e.cursor))).toEqual(received.map((_, i) => i + 1)); // in order, no gaps
      // Deliveries cut by the kill (no answer) were retried; the ones stored before the kill were answered as duplicates.
      const cut = sandbox.webhookDeliveries().filter((d) => !d.acknowledged).length;
      expect(killedWithEventsInFlight).toBeGreaterThan(0);
      expect(cut).toBeGreaterThan(0);
      // Events stored before a kill but never answered: Podium retried them and the router acknowledged them as
      // duplicates (two accepted audit lines share the event's id as request id). The kill can land there.
      const accepted = readFileSync(join(dir, "audit.jsonl"), "utf8").split("\n").filter((l) => l.includes('"method":"EVENT"') && l.includes('"status":200'));
      const perEvent = new Map<string, number>();
      for (const l of accepted) perEvent.set((JSON.parse(l) as { request_id: string }).request_id, (perEvent.get((JSON.parse(l) as { request_id: string }).request_id) ?? 0) + 1);
      const storedBeforeKill = [...perEvent.values()].filter((n) => n > 1).length;
      console.info(`events crash test: ${RUNS} SIGKILLs, ${RUNS * BURST} events, ${killedWithEventsInFlight} kills with events in flight, ${cut} deliveries cut, ${storedBeforeKill} events stored before a kill and re-acknowledged as duplicates, ${received.length} delivered, 0 twice`);
    } finally {
      stop.abort();
      await subscriber;
    }
  }, 600_000);
});

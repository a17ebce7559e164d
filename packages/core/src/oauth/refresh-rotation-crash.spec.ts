/**
 * Refresh-token rotation under SIGKILL (issue 4): "the new refresh token is durably stored before the new
 * access token is used; killed between refresh and store, the location still authenticates after restart".
 *
 * A child process (the built core) calls one location in a loop while the sandbox, in this process, rotates
 * the refresh token on every refresh. The child is killed at chosen points around the store's
 * writeRefreshToken (a hook in the child script) or at random times; this process then restarts a router
 * on the same store and checks that the location authenticates.
 *
 * The window that needs the authorization server's grace period. A refresh moves through:
 *   A. request not yet processed by Podium: the stored token is still Podium's current one. Safe.
 *   B. Podium has rotated (the old token is retired) but the rename of the new refresh-token file has not
 *      happened: the answer in flight, the JSON parse, the temporary file, its fsync. The new token exists
 *      only in the dead process's memory; the store holds the retired one.
 *   C. the rename is done (writeRefreshToken resolved, before the new access token is used): the store
 *      holds Podium's current token. Safe with no grace at all: this is what "stored before use" buys.
 * A kill in B locks the location out (ERR_LOC_AUTH, invalid_grant) unless Podium keeps the retired token
 * valid for a grace period; the grace must cover the time from the rotation to the restarted router's first
 * refresh (supervisor restart delay + start-up + the first call for that location, since tokens are
 * refreshed lazily), not just B's milliseconds. No client-side ordering can close B: the server rotates
 * before the client can possibly store the answer.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSandbox, type Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { createFileCredentialStore } from "../credentials/file/file-credential-store.js";
import { createLocationRouter } from "../router/location-router.js";
import { validateSettings, type Settings } from "../settings/settings.js";
import { buildCore } from "../testing/build-core.js";

const CHILD = fileURLToPath(new URL("../testing/refresh-child.mjs", import.meta.url));
/** Long enough for any restart in this test; short next to Podium's hours-long access tokens. */
const GRACE_SECONDS = 30;
/**
 * Access tokens of the child's loop: 150 ms (handed out for the first half), so the child refreshes, and Podium
 * rotates, every few calls.
 */
const CHILD_TOKEN_TTL_SECONDS = 0.15;
/**
 * Access tokens of the restarted router's check: what is checked is the refresh token the store holds, and a
 * 150 ms access token could expire between its refresh and its call on a loaded machine (a 401 twice over).
 */
const RESTART_TOKEN_TTL_SECONDS = 3_600;
/** The child's loop ends by itself after this (then the test fails: it was meant to be killed first). */
const CHILD_MAX_MS = 30_000;

const randInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

let sandbox: Sandbox;
let root: string;
let counter = 0;

beforeAll(async () => {
  await buildCore();
  sandbox = await createSandbox({ rateLimit: false, rotateRefreshTokens: true, accessTokenTtlSeconds: CHILD_TOKEN_TTL_SECONDS });
  root = await mkdtemp(join(tmpdir(), "podium-router-rotation-"));
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Location {
  uid: string;
  grantId: string;
  rtFile: string;
  storePath: string;
  auditPath: string;
  settings: Settings;
}

/** A fresh grant of one location, registered in a fresh store as onboarding would leave it. */
async function newLocation(): Promise<Location> {
  const grant = sandbox.addGrant({ orgSlug: "rotation-org", locations: 1 });
  const loc = grant.locations[0];
  if (!loc) throw new Error("addGrant returned no location");
  const dir = join(root, `loc-${++counter}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const rtFile = join(dir, "refresh-token");
  await writeFile(rtFile, grant.refreshToken, { mode: 0o600 });
  await writeFile(join(dir, "client-id"), grant.clientId, { mode: 0o600 });
  await writeFile(join(dir, "client-secret"), grant.clientSecret, { mode: 0o600 });
  const storePath = join(dir, "locations.json");
  const auditPath = join(dir, "audit.jsonl");
  const store = createFileCredentialStore({ path: storePath });
  const now = new Date().toISOString();
  await store.insert({
    locationUid: loc.uid,
    orgSlug: "rotation-org",
    clientIdRef: `file:${join(dir, "client-id")}`,
    clientSecretRef: `file:${join(dir, "client-secret")}`,
    refreshTokenFile: rtFile,
    state: "active",
    organizationUid: loc.organizationUid,
    verifiedAt: now,
    createdAt: now,
    updatedAt: now,
  });
  await store.close();
  const settings = validateSettings({
    upstream: { base_url: sandbox.url },
    audit: { path: auditPath, fsync: "never" },
    credentials: { path: storePath },
  });
  return { uid: loc.uid, grantId: grant.grantId, rtFile, storePath, auditPath, settings };
}

interface KillPlan {
  killAt: "none" | "before-write" | "after-write" | "during-write";
  killOnWrite?: number;
  killDelayMs?: number;
  /** Kill from this process this long after the child is ready. */
  parentKillMs?: number;
}

/** Runs the child until it dies; resolves once it was SIGKILLed (by itself or by us), rejects otherwise. */
function runUntilKilled(loc: Location, plan: KillPlan): Promise<{ calls: number }> {
  return new Promise((resolvePromise, reject) => {
    sandbox.setFaults({ accessTokenTtlSeconds: CHILD_TOKEN_TTL_SECONDS });
    const config = { baseUrl: sandbox.url, storePath: loc.storePath, auditPath: loc.auditPath, locationUid: loc.uid, maxMs: CHILD_MAX_MS, ...plan };
    const configPath = `${loc.storePath}.child-${randInt(0, 1e9)}.json`;
    void writeFile(configPath, JSON.stringify(config)).then(() => {
      const child = spawn(process.execPath, [CHILD, configPath], { stdio: ["ignore", "pipe", "pipe"] });
      let calls = 0;
      let stderr = "";
      let timer: NodeJS.Timeout | undefined;
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdout.on("data", (d: Buffer) => {
        for (const line of d.toString().split("\n").filter(Boolean)) {
          const msg = JSON.parse(line) as { ready?: true; status?: number; error?: string };
          if (msg.ready && plan.parentKillMs !== undefined) timer = setTimeout(() => child.kill("SIGKILL"), plan.parentKillMs);
          if (msg.status !== undefined || msg.error !== undefined) calls++;
        }
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (signal === "SIGKILL") resolvePromise({ calls });
        else reject(new Error(`the child was not killed (${JSON.stringify(plan)}): exit code ${code}; ${stderr.slice(0, 2000)}`));
      });
    }, reject);
  });
}

/** Whether the refresh-token file holds the token Podium considers current (never printed: it is a secret). */
async function storeHoldsCurrentToken(loc: Location): Promise<boolean> {
  const stored = (await readFile(loc.rtFile, "utf8")).trim();
  const current = sandbox.fixture.grants.find((g) => g.grantId === loc.grantId)?.refreshToken;
  return stored === current;
}

/** Restart: a new router on the same store calls the location; "ok", or the error code (and OAuth error). */
async function afterRestart(loc: Location): Promise<string> {
  sandbox.setFaults({ accessTokenTtlSeconds: RESTART_TOKEN_TTL_SECONDS });
  const router = await createLocationRouter({ settings: loc.settings, env: {} });
  try {
    const res = await router.call({ locationUid: loc.uid, method: "GET", path: `/v4/locations/${loc.uid}` });
    return res.status === 200 ? "ok" : `HTTP ${res.status}`;
  } catch (err) {
    if (isCoreError(err)) return err.message.includes("(invalid_grant)") ? `${err.code} invalid_grant` : err.code;
    throw err;
  } finally {
    await router.close();
  }
}

/**
 * Let the sandbox finish the requests the dead child had sent (its latency fault delays them: a refresh still
 * being answered rotates the token after the child died), then compare.
 */
async function settle(): Promise<void> {
  expect(await sandbox.settleRequests(30_000)).toBe(true);
}

describe("createLocationAuth() with rotation, under SIGKILL", () => {
  it("stores the rotated refresh token before using the new access token: killed right after the write, it authenticates after restart with no grace", async () => {
    sandbox.setFaults({ rotationGraceSeconds: 0, latencyMs: 0 });
    for (const killOnWrite of [1, 2, 3]) {
      const loc = await newLocation();
      await runUntilKilled(loc, { killAt: "after-write", killOnWrite });
      await settle();
      // The process died right after the write returned: the grant's last request is the refresh, so the new
      // access token was never sent before its refresh token was on disk.
      const last = sandbox.ledger().filter((e) => e.grantId === loc.grantId).at(-1);
      expect(last).toMatchObject({ route: "/oauth/token", status: 200 });
      expect(await storeHoldsCurrentToken(loc)).toBe(true);
      expect(await afterRestart(loc)).toBe("ok");
    }
  }, 120_000);

  it("is locked out (ERR_LOC_AUTH) when killed after Podium rotated but before the store wrote the token, if Podium has no grace period", async () => {
    sandbox.setFaults({ rotationGraceSeconds: 0, latencyMs: 0 });
    const loc = await newLocation();
    await runUntilKilled(loc, { killAt: "before-write", killOnWrite: 2 });
    await settle();
    expect(await storeHoldsCurrentToken(loc)).toBe(false);
    expect(await afterRestart(loc)).toBe("ERR_LOC_AUTH invalid_grant");
  }, 60_000);

  it("recovers from the same kill when Podium keeps a rotated-out token valid for a grace period, and the chain continues", async () => {
    sandbox.setFaults({ rotationGraceSeconds: GRACE_SECONDS, latencyMs: 0 });
    const loc = await newLocation();
    await runUntilKilled(loc, { killAt: "before-write", killOnWrite: 2 });
    await settle();
    expect(await storeHoldsCurrentToken(loc)).toBe(false);
    expect(await afterRestart(loc)).toBe("ok");
    // The restart refreshed with the retired token, Podium rotated again, and that token was stored.
    expect(await storeHoldsCurrentToken(loc)).toBe(true);
    expect(await afterRestart(loc)).toBe("ok");
  }, 60_000);

  it("after random kills around refreshes authenticates exactly when the store holds Podium's current token (no grace), and always with a grace period", async () => {
    const tally: string[] = [];
    for (const grace of [0, GRACE_SECONDS]) {
      for (let run = 0; run < 4; run++) {
        const latencyMs = randInt(0, 15);
        sandbox.setFaults({ rotationGraceSeconds: grace, latencyMs });
        const loc = await newLocation();
        // Half inside the atomic write at a random moment, half from outside at a random time.
        const plan: KillPlan =
          run % 2 === 0
            ? { killAt: "during-write", killOnWrite: randInt(1, 3), killDelayMs: randInt(0, 4) }
            : { killAt: "none", parentKillMs: randInt(20, 250) };
        const { calls } = await runUntilKilled(loc, plan);
        await settle();
        const current = await storeHoldsCurrentToken(loc);
        sandbox.setFaults({ latencyMs: 0 });
        const outcome = await afterRestart(loc);
        tally.push(`grace ${grace}s, ${JSON.stringify(plan)}, latency ${latencyMs} ms, ${calls} calls: store ${current ? "current" : "retired"} -> ${outcome}`);
        if (grace === 0) expect(outcome).toBe(current ? "ok" : "ERR_LOC_AUTH invalid_grant");
        else expect(outcome).toBe("ok");
      }
    }
    console.info(`rotation crash runs:\n${tally.join("\n")}`);
  }, 240_000);
});

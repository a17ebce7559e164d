import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileCredentialStore } from "./file-credential-store.js";
import { tryFileLock } from "./file-lock.js";

const STALE_MS = 10_000;
const T0 = "2026-01-01T00:00:00.000Z";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "file-lock-"));
  path = join(dir, "locations.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The owner file this process writes, as a template for locks "left" by other processes. */
async function ownOwner(): Promise<Record<string, unknown>> {
  const lock = await tryFileLock(path, STALE_MS);
  if (!lock) throw new Error("could not lock a fresh path");
  const owner = JSON.parse(await readFile(join(`${path}.lock`, "owner"), "utf8")) as Record<string, unknown>;
  await lock.release();
  return owner;
}

/** Leaves `<path>.lock` as a holder with this owner would have left it (fresh mtime: not stale). */
async function leaveLock(owner: Record<string, unknown>): Promise<void> {
  await mkdir(`${path}.lock`);
  await writeFile(join(`${path}.lock`, "owner"), JSON.stringify(owner));
}

/** A pid that certainly belongs to no process: one that just exited (and was reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

const record = (uid: string) => ({
  locationUid: uid,
  orgSlug: "acme",
  clientIdRef: "env:ID",
  clientSecretRef: "env:SECRET",
  refreshTokenFile: `tokens/${uid}`,
  state: "active" as const,
  createdAt: T0,
  updatedAt: T0,
});

describe("tryFileLock()", () => {
  it("takes over at once a lock whose holder died on this host, without waiting for it to go stale", async () => {
    await leaveLock({ ...(await ownOwner()), pid: deadPid(), token: "dead-holder" });
    // lockWaitMs 0: had the store needed to wait for the lock, it would fail instead of inserting.
    const store = createFileCredentialStore({ path, lockWaitMs: 0 });
    expect(await store.insert(record("loc-a"))).toBe(true);
    await store.close();
    expect((await readdir(dir)).sort()).toEqual(["locations.json"]);
  });

  it("takes over a lock left by an earlier process that had this process's pid (a restarted container)", async () => {
    await leaveLock({ ...(await ownOwner()), incarnation: "an-earlier-process", token: "earlier" });
    const lock = await tryFileLock(path, STALE_MS);
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it("never takes a lock from a live process, nor from a process on another host or pid namespace", async () => {
    const template = await ownOwner();
    for (const owner of [
      { ...template, pid: process.ppid, token: "live-parent" },
      { ...template, host: "another-host|boot|pid:[1]", pid: deadPid(), token: "elsewhere" },
    ]) {
      await leaveLock(owner);
      expect(await tryFileLock(path, STALE_MS)).toBeUndefined();
      expect(JSON.parse(await readFile(join(`${path}.lock`, "owner"), "utf8"))).toEqual(owner);
      await rm(`${path}.lock`, { recursive: true });
    }
  });

  it("takes over a lock whose owner file is unreadable only once it is stale", async () => {
    await mkdir(`${path}.lock`);
    await writeFile(join(`${path}.lock`, "owner"), "");
    expect(await tryFileLock(path, STALE_MS)).toBeUndefined();
    // As if its holder had stopped refreshing the lock a minute ago.
    const past = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, past, past);
    const lock = await tryFileLock(path, STALE_MS);
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it("is exclusive within one process, and a release leaves nothing behind", async () => {
    const first = await tryFileLock(path, STALE_MS);
    expect(first).toBeDefined();
    expect(await tryFileLock(path, STALE_MS)).toBeUndefined();
    await first?.release();
    const second = await tryFileLock(path, STALE_MS);
    expect(second).toBeDefined();
    await second?.release();
    expect(await readdir(dir)).toEqual([]);
  });
});

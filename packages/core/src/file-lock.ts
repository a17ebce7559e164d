/**
 * The cross-process lock of the file credential store: proper-lockfile's `<path>.lock` directory, plus an
 * `owner` file inside it naming the holder (host key and pid). A lock left by a process that died on this
 * host is taken over at once; without the owner file a SIGKILLed writer would block every other writer
 * until the lock's mtime went stale (10 s by default), which the onboarding crash test hit on most kills.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";

/** A held lock. */
export interface FileLock {
  /** Set when another process took the lock over because this one stalled past `staleMs`: do not write. */
  readonly compromised: boolean;
  release(): Promise<void>;
}

/** Names this process in owner files: a lock with our pid but another incarnation was left by an earlier process. */
const INCARNATION = randomBytes(8).toString("hex");

/** What the owner file of a held lock says. */
interface Owner {
  host: string;
  pid: number;
  incarnation: string;
  /** Unique per acquisition: tells a re-read of the same lock from a new lock at the same path. */
  token: string;
}

/**
 * Takes `<path>.lock` if it is free, or abandoned by a dead process on this host, or stale (its mtime not
 * refreshed for `staleMs`); returns undefined when a live holder has it. Other failures are thrown as is.
 */
export async function tryFileLock(path: string, staleMs: number): Promise<FileLock | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const state = { compromised: false };
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(path, {
        realpath: false, // the file may not exist yet
        stale: staleMs,
        onCompromised: () => {
          state.compromised = true;
        },
      });
    } catch (err) {
      const code = codeOf(err);
      // ENOTEMPTY: proper-lockfile found the lock stale and could not rmdir it because of its owner file.
      if (code !== "ELOCKED" && code !== "ENOTEMPTY") throw err;
      if (await takeOverAbandoned(path, staleMs)) continue;
      return undefined;
    }
    const ownerFile = join(`${path}.lock`, "owner");
    const owner: Owner = { host: hostKey(), pid: process.pid, incarnation: INCARNATION, token: randomBytes(8).toString("hex") };
    // Best effort: without an owner file the lock is still exclusive, only its recovery after a crash is slower.
    await writeFile(ownerFile, JSON.stringify(owner), { mode: 0o600 }).catch(() => undefined);
    return {
      get compromised() {
        return state.compromised;
      },
      release: async () => {
        // Owner file first: proper-lockfile releases with rmdir, which needs the directory empty.
        await unlink(ownerFile).catch(() => undefined);
        await release().catch(() => undefined);
      },
    };
  }
  return undefined;
}

/**
 * Removes a lock whose holder is gone, and returns true when a retry should follow at once.
 *
 * Why this cannot remove a live lock: takeovers are serialised by `<path>.lock.takeover`; a lock directory
 * holding an owner file cannot be removed by proper-lockfile's stale check (rmdir of a non-empty directory
 * fails); and a holder removes its owner file before it releases. So an owner file that still names the same
 * acquisition after its process was found dead belongs to a lock nobody can release or replace any more,
 * and renaming that directory away takes exactly that lock. (A holder that is alive but stalled past
 * `staleMs` is taken over as proper-lockfile would, with the same small race; it notices through `compromised`.)
 */
async function takeOverAbandoned(path: string, staleMs: number): Promise<boolean> {
  const lockDir = `${path}.lock`;
  const mutex = `${path}.lock.takeover`;
  try {
    await mkdir(mutex);
  } catch (err) {
    if (codeOf(err) !== "EEXIST") return false;
    // Another takeover is running, or one crashed in its sub-millisecond critical section.
    const s = await stat(mutex).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > staleMs) await rmdir(mutex).catch(() => undefined);
    return false;
  }
  try {
    const s = await stat(lockDir).catch(() => undefined);
    if (!s) return true;
    const before = await readOwner(lockDir);
    // No owner file: a holder between mkdir and writing it, or a plain proper-lockfile holder; its stale check applies.
    if (!before) return false;
    if (!isDead(before) && Date.now() - s.mtimeMs <= staleMs) return false;
    const after = await readOwner(lockDir);
    if (after?.token !== before.token) return false;
    const tomb = `${lockDir}.abandoned-${randomBytes(6).toString("hex")}`;
    try {
      await rename(lockDir, tomb);
    } catch {
      return false;
    }
    await rm(tomb, { recursive: true, force: true }).catch(() => undefined);
    return true;
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}

/** True only when the holder certainly is not running: same host and pid namespace, and no such process. */
function isDead(owner: Owner): boolean {
  if (owner.host !== hostKey()) return false; // another machine or pid namespace: its pids mean nothing here
  if (owner.pid === process.pid) return owner.incarnation !== INCARNATION; // an earlier process with our pid (containers)
  try {
    process.kill(owner.pid, 0); // signal 0: an existence check only
    return false;
  } catch (err) {
    return codeOf(err) === "ESRCH"; // EPERM: alive, owned by another user
  }
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  try {
    const o = JSON.parse(await readFile(join(lockDir, "owner"), "utf8")) as Partial<Owner>;
    const ok = typeof o.host === "string" && Number.isInteger(o.pid) && typeof o.incarnation === "string" && typeof o.token === "string";
    return ok ? (o as Owner) : undefined;
  } catch {
    return undefined; // missing, or read half-written: treat the holder as live
  }
}

let cachedHostKey: string | undefined;

/**
 * Which pids `process.kill(pid, 0)` can judge: same host name, same boot, same pid namespace. Two containers
 * sharing a volume under one host name differ in their pid namespace, so neither takes over the other's lock.
 */
function hostKey(): string {
  if (cachedHostKey !== undefined) return cachedHostKey;
  const parts = [hostname()];
  try {
    parts.push(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  } catch {
    // not Linux: the host name alone
  }
  try {
    parts.push(readlinkSync("/proc/self/ns/pid"));
  } catch {
    // not Linux
  }
  cachedHostKey = parts.join("|");
  return cachedHostKey;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}

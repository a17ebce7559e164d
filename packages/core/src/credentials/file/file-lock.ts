/**
 * The cross-process lock of the file credential store: proper-lockfile's `<path>.lock` directory with an
 * `owner` file inside naming the holder (host key, pid, a token per acquisition). A lock left by a process
 * that died on this host is taken over at once. Without the owner file a SIGKILLed writer blocked every other
 * writer until the lock's mtime went stale (10 s by default): the onboarding crash test hit that on most kills,
 * because onboarding rewrites the file almost continuously.
 *
 * Invariant the takeover relies on: a lock directory holds its complete owner file for its whole life. The
 * owner file is written in full beside the lock, and renamed into the new directory right after the mkdir,
 * synchronously (a kill between those two syscalls is the only gap, and leaves an empty directory that the
 * plain mtime check handles); a lock is released by renaming the directory away with the file still inside.
 * A kill can leave litter that nothing reads: a staging `<path>.lock.owner-*` file, a `<path>.lock.released-*`
 * directory.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { errorCode } from "./error-code.js";

/** A held lock. */
export interface FileLock {
  /** Set when another process took the lock over because this one stalled past `staleMs`: do not write. */
  readonly compromised: boolean;
  release(): Promise<void>;
}

/** What the owner file of a held lock says. */
interface Owner {
  host: string;
  pid: number;
  /** Names this process: a lock with our pid but another incarnation was left by an earlier process. */
  incarnation: string;
  /** Unique per acquisition: tells a re-read of the same lock from a new lock at the same path. */
  token: string;
}

const INCARNATION = randomBytes(8).toString("hex");
const OWNER_FILE = "owner";

/**
 * Takes `<path>.lock` if it is free, abandoned by a dead process on this host, or stale (its mtime not
 * refreshed for `staleMs`, as proper-lockfile judges it); returns undefined while a live holder has it.
 * File-system failures other than "held" are thrown as they are.
 */
export async function tryFileLock(path: string, staleMs: number): Promise<FileLock | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const state = { compromised: false };
    const owner: Owner = { host: hostKey(), pid: process.pid, incarnation: INCARNATION, token: randomBytes(8).toString("hex") };
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(path, {
        realpath: false, // the file may not exist yet
        stale: staleMs,
        fs: ownedLockFs(owner),
        onCompromised: () => {
          state.compromised = true;
        },
      });
    } catch (err) {
      const code = errorCode(err);
      // ENOTEMPTY: proper-lockfile judged the lock stale but cannot rmdir it because of its owner file.
      if (code !== "ELOCKED" && code !== "ENOTEMPTY") throw err;
      const tomb = takeOverAbandoned(`${path}.lock`, staleMs);
      if (tomb === false) return undefined;
      if (typeof tomb === "string") await fs.promises.rm(tomb, { recursive: true, force: true }).catch(() => undefined);
      continue;
    }
    return {
      get compromised() {
        return state.compromised;
      },
      release: () => release().catch(() => undefined),
    };
  }
  return undefined;
}

/**
 * proper-lockfile's file system with two changes. `mkdir` puts the owner file in right after creating the
 * directory, synchronously, so no await separates them. `rmdir`/`rmdirSync` of a lock that carries OUR token
 * (release, and proper-lockfile's exit handler) rename it away with the owner file inside, so the directory
 * never exists without its owner; any other directory keeps plain rmdir semantics, which fail on a lock with
 * an owner file. That is what stops proper-lockfile's own stale check from removing an owned lock.
 */
function ownedLockFs(owner: Owner): typeof fs {
  const text = JSON.stringify(owner);
  const retire = (dir: string): string | undefined => {
    if (readOwner(dir)?.token !== owner.token) return undefined;
    const tomb = tombOf(dir);
    fs.renameSync(dir, tomb);
    return tomb;
  };
  return {
    ...fs,
    mkdir: ((dir: string, callback: (err: NodeJS.ErrnoException | null) => void) => {
      // The owner file is written in full beside the lock first and renamed in, so the lock directory never
      // holds a half-written owner; a kill between mkdir and the rename leaves an empty directory, which
      // proper-lockfile's mtime check handles as before.
      const staging = `${dir}.owner-${owner.token}`;
      try {
        fs.writeFileSync(staging, text, { mode: 0o600 });
      } catch {
        // Cannot stage: lock without an owner file; only its recovery after a crash is slower.
      }
      try {
        fs.mkdirSync(dir);
      } catch (err) {
        tryQuietly(() => fs.unlinkSync(staging));
        process.nextTick(callback, err as NodeJS.ErrnoException);
        return;
      }
      tryQuietly(() => fs.renameSync(staging, join(dir, OWNER_FILE)));
      process.nextTick(callback, null);
    }) as typeof fs.mkdir,
    rmdir: ((dir: string, callback: (err: NodeJS.ErrnoException | null) => void) => {
      let tomb: string | undefined;
      try {
        tomb = retire(dir);
      } catch (err) {
        process.nextTick(callback, err as NodeJS.ErrnoException);
        return;
      }
      if (tomb === undefined) return fs.rmdir(dir, callback);
      fs.rm(tomb, { recursive: true, force: true }, () => callback(null));
    }) as typeof fs.rmdir,
    rmdirSync: ((dir: string) => {
      const tomb = retire(dir);
      if (tomb === undefined) fs.rmdirSync(dir);
      else fs.rmSync(tomb, { recursive: true, force: true });
    }) as typeof fs.rmdirSync,
  };
}

/**
 * Moves a lock whose holder is gone out of the way; returns where it went (to delete), true when the lock
 * vanished by itself, or false when it is live. Synchronous on purpose: the critical section takes
 * microseconds, so a crash inside it (which would leave the takeover directory until `staleMs`) is unlikely.
 *
 * Why it never takes a live lock: takeovers are serialised by `<lockDir>.takeover`; a lock directory holds
 * its owner file for its whole life, so proper-lockfile's stale rmdir cannot remove it; and only its holder
 * releases it. An owner file that still names the same acquisition AFTER its process was found dead therefore
 * belongs to a lock nobody else can release or replace, and renaming the directory takes exactly that lock.
 * (A holder that is alive but stalled past `staleMs` is taken over as proper-lockfile would, with the same
 * small race; it learns of it through `compromised` before it renames anything.)
 */
function takeOverAbandoned(lockDir: string, staleMs: number): string | boolean {
  const mutex = `${lockDir}.takeover`;
  try {
    fs.mkdirSync(mutex);
  } catch (err) {
    if (errorCode(err) !== "EEXIST") return false;
    // Another takeover is running, or a process died inside one.
    const s = statOrUndefined(mutex);
    if (s && Date.now() - s.mtimeMs > staleMs) tryQuietly(() => fs.rmdirSync(mutex));
    return false;
  }
  try {
    const s = statOrUndefined(lockDir);
    if (!s) return true;
    const stale = Date.now() - s.mtimeMs > staleMs;
    const before = readOwner(lockDir);
    // No readable owner: a plain proper-lockfile holder, or a kill between mkdir and the owner's rename; an
    // empty directory goes through proper-lockfile's own stale check, anything else through this one.
    if (!before) return stale ? moveAway(lockDir) : false;
    if (!stale && !isDead(before)) return false;
    if (readOwner(lockDir)?.token !== before.token) return false;
    return moveAway(lockDir);
  } catch {
    return false;
  } finally {
    tryQuietly(() => fs.rmdirSync(mutex));
  }
}

function moveAway(lockDir: string): string | false {
  try {
    const tomb = tombOf(lockDir);
    fs.renameSync(lockDir, tomb);
    return tomb;
  } catch {
    return false;
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
    return errorCode(err) === "ESRCH"; // EPERM: alive, owned by another user
  }
}

function readOwner(lockDir: string): Owner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(join(lockDir, OWNER_FILE), "utf8")) as Partial<Owner>;
    const ok = typeof o.host === "string" && Number.isInteger(o.pid) && typeof o.incarnation === "string" && typeof o.token === "string";
    return ok ? (o as Owner) : undefined;
  } catch {
    return undefined; // missing or unreadable: the caller treats the holder as live
  }
}

const tombOf = (lockDir: string): string => `${lockDir}.released-${randomBytes(6).toString("hex")}`;

function statOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.statSync(path);
  } catch {
    return undefined;
  }
}

function tryQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort
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
  tryQuietly(() => parts.push(fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()));
  tryQuietly(() => parts.push(fs.readlinkSync("/proc/self/ns/pid")));
  cachedHostKey = parts.join("|");
  return cachedHostKey;
}

/**
 * A small tmpfs of its own, so a test's audit disk can really fill up or turn read-only (root only: CI runs as
 * root). Test-only: excluded from the library build.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, open, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REQUIRE_SERVICES_ENV } from "./services.js";

export interface SmallDisk {
  dir: string;
  remount(mode: "ro" | "rw"): void;
  close(): Promise<void>;
}

export async function mountSmallDisk(kib: number): Promise<SmallDisk> {
  const dir = await mkdtemp(join(tmpdir(), "audit-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  return {
    dir,
    remount: (mode) => void execFileSync("mount", ["-o", `remount,${mode}`, dir], { stdio: "pipe" }),
    async close() {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      await rmdir(dir).catch(() => undefined);
    },
  };
}

/** Can this process mount a tmpfs? Where it cannot, the tests skip, except under PODIUM_ROUTER_REQUIRE_SERVICES=1. */
export async function canMount(): Promise<boolean> {
  try {
    const d = await mountSmallDisk(64);
    await d.close();
    return true;
  } catch (err) {
    if (process.env[REQUIRE_SERVICES_ENV] === "1") throw new Error(`mounting a tmpfs is required (${REQUIRE_SERVICES_ENV}=1): ${(err as Error).message}`);
    console.warn("cannot mount a tmpfs (needs root); the disk-full and read-only audit tests are skipped");
    return false;
  }
}

/** Fills the disk with one file until it refuses more; returns the file, whose removal frees the disk. */
export async function fill(dir: string): Promise<string> {
  const filler = join(dir, "filler");
  const chunk = Buffer.alloc(4096, 120);
  const fh = await open(filler, "w");
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    await fh.close();
  }
  return filler;
}

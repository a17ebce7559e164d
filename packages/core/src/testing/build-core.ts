/**
 * Builds packages/core's dist/ for the crash tests, whose child processes import the built core
 * (a child process cannot use vitest's source resolution). Test-only: excluded from the library build.
 */
import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (this file is packages/core/src/testing/build-core.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Runs `npx tsc -b packages/core/tsconfig.lib.json` from the repo root; throws with tsc's output on failure. */
export async function buildCore(): Promise<void> {
  try {
    await promisify(execFile)("npx", ["tsc", "-b", "packages/core/tsconfig.lib.json"], { cwd: REPO_ROOT, timeout: 120_000 });
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ""}${(err as { stderr?: string }).stderr ?? ""}`;
    throw new Error(`building packages/core failed, so the child process cannot run:\n${out.slice(0, 2000)}`);
  }
}

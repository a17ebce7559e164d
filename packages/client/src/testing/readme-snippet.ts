import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";

/** Where the README's snippet sends its calls. */
export interface ReadmeTarget {
  /** Becomes PODIUM_ROUTER_URL while the snippet runs. */
  url: string;
  /** Becomes PODIUM_ROUTER_API_KEY while the snippet runs. */
  apiKey: string;
}

const readmeUrl = new URL("../../README.md", import.meta.url);
// src/testing → src/index.ts under vitest; dist/testing → dist/index.js when built.
const clientEntry = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../index.ts" : "../index.js", import.meta.url));
const CAPTURE = "__podiumRouterReadmeConsole";

/** The first ```ts block of packages/client/README.md, as a reader would copy it. */
export async function readmeSnippet(): Promise<string> {
  const text = await readFile(readmeUrl, "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) throw new Error("packages/client/README.md has no ```ts block");
  return block;
}

/**
 * Runs the README's client snippet against a router and returns what it printed with console.log, one
 * string per call. The snippet runs unchanged but for two things: `@podium-router/client` points at this
 * package's entry (the snippet's file lives in a temp dir), and `console` is captured. It must run under
 * a loader that compiles TypeScript, such as vitest.
 */
export async function runReadmeSnippet(target: ReadmeTarget): Promise<string[]> {
  const snippet = (await readmeSnippet()).replaceAll('"@podium-router/client"', JSON.stringify(clientEntry));
  const dir = await mkdtemp(join(tmpdir(), "podium-router-readme-"));
  const file = join(dir, "snippet.ts");
  await writeFile(file, `const console = (globalThis as any).${CAPTURE};\n${snippet}`);
  const lines: string[] = [];
  const saved = { url: process.env.PODIUM_ROUTER_URL, key: process.env.PODIUM_ROUTER_API_KEY };
  (globalThis as Record<string, unknown>)[CAPTURE] = { log: (...args: unknown[]) => lines.push(format(...args)) };
  process.env.PODIUM_ROUTER_URL = target.url;
  process.env.PODIUM_ROUTER_API_KEY = target.apiKey;
  try {
    await import(/* @vite-ignore */ file);
    return lines;
  } finally {
    restore("PODIUM_ROUTER_URL", saved.url);
    restore("PODIUM_ROUTER_API_KEY", saved.key);
    delete (globalThis as Record<string, unknown>)[CAPTURE];
    await rm(dir, { recursive: true, force: true });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

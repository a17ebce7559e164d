// The shape of packages/core/src that `check.mjs` enforces (see docs/ARCHITECTURE.md "The core"):
//   1. each concern folder imports only the folders below it in CORE_FOLDER_ORDER (so the graph has no cycle);
//   2. another folder is reached through its index.ts, the folder's declared surface;
//   3. what the core ships (its non-test sources and package exports) never reaches test support or the simulator.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative } from "node:path";

/**
 * The concern folders of packages/core/src, top to bottom: a folder may import the folders after it, never one
 * before it. `ids.ts` at the root sits below every folder (errors are the package @podium-router/errors, below
 * the whole core); the root `index.ts` (the barrel) sits above.
 */
export const CORE_FOLDER_ORDER = Object.freeze([
  "events",
  "router",
  "onboarding",
  "settings",
  "redis",
  "budgets",
  "verification",
  "oauth",
  "credentials",
  "upstream",
  "audit",
  "isolation",
  "util",
]);
/** Root modules every folder may import; they import only each other (and packages). */
const ROOT_LEAVES = new Set(["ids.ts"]);
/** Test support: only specs and other test support may import it. */
const TEST_SUPPORT = "testing";

/** Static imports, re-exports and dynamic imports with a literal specifier. */
const importRe = /(?:^|\s)(?:import|export)\s(?:[^'"]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The module specifiers `text` imports. */
export function importSpecifiers(text) {
  return [...text.matchAll(importRe)].map((m) => m[1] ?? m[2]);
}

/** True for files that only tests load: specs and the test-support folder. */
export function isTestFile(path) {
  return /\.(spec|test)\.ts$/.test(path) || path.split("/").includes(TEST_SUPPORT);
}

/** Every .ts/.mjs file under `srcDir` as `{ path (relative, "/"-separated), imports }`. */
export function readCoreSources(srcDir) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mts|mjs)$/.test(name)) out.push({ path: relative(srcDir, full).split("\\").join("/"), imports: importSpecifiers(readFileSync(full, "utf8")) });
    }
  };
  walk(srcDir);
  return out;
}

const folderOf = (path) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : ".");

/**
 * What is wrong with the layout of these sources (paths relative to packages/core/src), one sentence each;
 * empty when the folder order, the index rule and the test-support boundary hold.
 */
export function coreLayoutProblems(files, order = CORE_FOLDER_ORDER) {
  const problems = [];
  const rank = new Map(order.map((folder, i) => [folder, i]));
  for (const folder of new Set(files.map((f) => folderOf(f.path)))) {
    if (folder !== "." && folder !== TEST_SUPPORT && !rank.has(folder)) {
      problems.push(`packages/core/src/${folder}/ is not in the folder order; add it to CORE_FOLDER_ORDER in tools/dev/core-layout.mjs where it belongs`);
    }
  }
  for (const file of files) {
    if (isTestFile(file.path)) continue;
    const from = folderOf(file.path);
    for (const spec of file.imports) {
      if (!spec.startsWith(".")) continue;
      const target = posix.normalize(posix.join(posix.dirname(file.path), spec));
      const where = `packages/core/src/${file.path}: imports "${spec}"`;
      if (target.startsWith("..")) {
        problems.push(`${where}, outside packages/core/src`);
        continue;
      }
      const to = folderOf(target);
      if (to === TEST_SUPPORT || isTestFile(target)) {
        problems.push(`${where}, test support; what the core ships must not reach it (nor the sandbox it starts)`);
        continue;
      }
      if (to === from) continue;
      if (to === ".") {
        const leaf = target.replace(/\.js$/, ".ts");
        if (!ROOT_LEAVES.has(leaf)) problems.push(`${where}; only ${[...ROOT_LEAVES].join(" and ")} may be imported from the root`);
        continue;
      }
      if (from === "." && ROOT_LEAVES.has(file.path)) {
        problems.push(`${where}; ${file.path} sits below every folder and may import only ${[...ROOT_LEAVES].join(" and ")}`);
        continue;
      }
      if (from !== "." && rank.has(from) && rank.has(to) && rank.get(to) < rank.get(from)) {
        problems.push(`${where}, but ${from}/ may import only the folders below it (${order.slice(rank.get(from) + 1).join(", ")})`);
      }
      if (target !== `${to}/index.js`) problems.push(`${where}; import another folder through its index: "${posix.relative(posix.dirname(file.path), `${to}/index.js`)}"`);
    }
  }
  return problems;
}

/**
 * What is wrong with what packages/core ships: its package exports and its library tsconfig must not lead to
 * test support or the simulator. `pkg` is package.json, `libTsconfig` tsconfig.lib.json, both parsed.
 */
export function coreShippingProblems(pkg, libTsconfig) {
  const problems = [];
  const targets = [];
  const collect = (v) => {
    if (typeof v === "string") targets.push(v);
    else if (v && typeof v === "object") for (const x of Object.values(v)) collect(x);
  };
  collect(pkg.exports);
  for (const t of targets) {
    if (isTestFile(t.replace(/^\.\//, ""))) problems.push(`packages/core/package.json exports "${t}", test support`);
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (dep === "@podium-router/podium-sandbox") problems.push("packages/core/package.json lists the sandbox under dependencies; it is a devDependency of the tests");
  }
  for (const ref of libTsconfig.references ?? []) {
    if (String(ref.path).includes("podium-sandbox")) problems.push(`packages/core/tsconfig.lib.json references ${ref.path}; the library build must not reach the simulator`);
  }
  const excluded = libTsconfig.exclude ?? [];
  if (!excluded.some((e) => e.includes(`src/${TEST_SUPPORT}`))) problems.push(`packages/core/tsconfig.lib.json must exclude src/${TEST_SUPPORT}/** from the library build`);
  return problems;
}

#!/usr/bin/env node
// Repository checks that must fail the build, run by `npm test` before the test suites:
//   1. dependency direction between projects (and no transport or generated code in packages/core), and inside
//      packages/core the folder order and its test-support boundary (core-layout.mjs);
//   2. tsconfig project references in sync with package.json dependencies (`nx sync:check`);
//   3. `buf lint` on the contract, and committed generated code equal to what `buf generate` writes.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { coreLayoutProblems, coreShippingProblems, importSpecifiers, isTestFile, readCoreSources } from "./core-layout.mjs";

const root = new URL("../..", import.meta.url).pathname;

/** Which workspace packages each project's source may import. Apps may import libs, never the reverse. */
const allowed = {
  "packages/errors": [],
  "packages/proto": [],
  "packages/core": ["@podium-router/errors"],
  "tools/podium-sandbox": [],
  "packages/client": ["@podium-router/proto", "@podium-router/errors"],
  "apps/router-server": ["@podium-router/proto", "@podium-router/core", "@podium-router/errors"],
  "tools/bench": ["@podium-router/core", "@podium-router/errors", "@podium-router/server", "@podium-router/client", "@podium-router/podium-sandbox", "@podium-router/proto"],
  "apps/cli": ["@podium-router/client", "@podium-router/server", "@podium-router/core", "@podium-router/podium-sandbox"],
};
/** Tests may also import the sandbox (the upstream they run against) and the client SDK. */
const allowedInTests = ["@podium-router/podium-sandbox", "@podium-router/client", "@podium-router/server", "@podium-router/core", "@podium-router/errors", "@podium-router/proto"];
/** The domain core must stay transport-free: no RPC framework, no generated code, no HTTP/2 serving. */
const forbiddenInCore = [/^@connectrpc\//, /^@grpc\//, /^@bufbuild\//, /^node:http2$/, /^http2$/, /^prom-client$/];

const problems = [];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist" || name === "gen") continue;
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield path;
  }
}

for (const [project, libs] of Object.entries(allowed)) {
  const srcDir = join(root, project, "src");
  for (const file of walk(srcDir)) {
    const isTest = isTestFile(relative(srcDir, file));
    for (const spec of importSpecifiers(readFileSync(file, "utf8"))) {
      const where = `${relative(root, file)}: imports "${spec}"`;
      if (spec.startsWith("@podium-router/")) {
        const ok = libs.some((l) => spec === l || spec.startsWith(`${l}/`)) || (isTest && allowedInTests.some((l) => spec === l || spec.startsWith(`${l}/`)));
        if (!ok) problems.push(`${where}, but ${project} may only import [${libs.join(", ") || "no workspace package"}]`);
      }
      if (project === "packages/core" && !isTest && forbiddenInCore.some((re) => re.test(spec))) {
        problems.push(`${where}: packages/core must not import transport or generated code`);
      }
    }
  }
}
const coreDir = join(root, "packages/core");
problems.push(...coreLayoutProblems(readCoreSources(join(coreDir, "src"))));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8").replace(/^\s*\/\/.*$/gm, ""));
problems.push(...coreShippingProblems(readJson(join(coreDir, "package.json")), readJson(join(coreDir, "tsconfig.lib.json"))));
if (problems.length > 0) {
  console.error(`dependency check failed:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("dependency direction and core folder order: ok");

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, NX_DAEMON: "false" } });
const bin = (name) => join(root, "node_modules", ".bin", name);
run(bin("nx"), ["sync:check"]);
run(bin("buf"), ["lint"]);
// buf finds protoc-gen-es on PATH, so put node_modules/.bin first.
execFileSync(bin("buf"), ["generate"], { cwd: root, stdio: "inherit", env: { ...process.env, PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}` } });
// Worktree against the index (HEAD on a fresh clone), plus files buf wrote that git does not know.
const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" });
const drift = git("diff", "--name-only", "--", "packages/proto/src/gen") + git("ls-files", "--others", "--exclude-standard", "--", "packages/proto/src/gen");
if (drift.trim() !== "") {
  console.error(`generated code is stale; run \`npm run generate\` and commit:\n${drift}`);
  process.exit(1);
}
console.log("buf lint and generated code: ok");

#!/usr/bin/env node
// Packs the publishable packages into npm tarballs: the CLI (`@podium-router/cli`), the client SDK
// (`@podium-router/client`) and the workspace packages they depend on, each its own package at one version.
//
//   npm run build && node tools/dev/pack.mjs [--out DIR]      (default DIR: ./out-pack)
//
// Prints one tarball path per line. Each package is staged in a temporary directory holding its package.json,
// README, bin/ and exactly the dist/ files its current sources compile to, so output left in dist/ by a file
// that was since moved or deleted never ships. Nothing is compiled or changed in the repository.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(new URL("../..", import.meta.url).pathname);

/** The packages, dependencies first. */
export const packedProjects = ["packages/errors", "packages/proto", "packages/core", "apps/router-server", "tools/podium-sandbox", "packages/client", "apps/cli"];

/** What tsc compiles from src/ (tsconfig.lib.json excludes specs, tests and src/testing/). */
function libSources(srcDir) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(srcDir, path);
      if (statSync(path).isDirectory()) {
        if (rel !== "testing") walk(path);
      } else if (name.endsWith(".ts") && !name.endsWith(".d.ts") && !/\.(spec|test)\.ts$/.test(name)) {
        out.push(rel);
      }
    }
  };
  walk(srcDir);
  return out;
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function copyTree(from, to) {
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (statSync(path).isDirectory()) copyTree(path, join(to, name));
    else copy(path, join(to, name));
  }
}

/** Stages one project and packs it into `outDir`; returns the tarball's path. */
export function packProject(project, outDir) {
  const dir = join(root, project);
  const stage = mkdtempSync(join(tmpdir(), "podium-router-pack-"));
  try {
    copy(join(dir, "package.json"), join(stage, "package.json"));
    if (existsSync(join(dir, "README.md"))) copy(join(dir, "README.md"), join(stage, "README.md"));
    if (existsSync(join(dir, "bin"))) copyTree(join(dir, "bin"), join(stage, "bin"));
    for (const source of libSources(join(dir, "src"))) {
      const base = source.replace(/\.ts$/, "");
      for (const ext of [".js", ".d.ts"]) {
        const built = join(dir, "dist", `${base}${ext}`);
        if (!existsSync(built)) throw new Error(`${relative(root, built)} is missing: run \`npm run build\` first`);
        copy(built, join(stage, "dist", `${base}${ext}`));
      }
    }
    const json = execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: stage, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const [{ filename }] = JSON.parse(json);
    return join(outDir, filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const i = process.argv.indexOf("--out");
  const outDir = resolve(i > 0 ? process.argv[i + 1] : join(root, "out-pack"));
  mkdirSync(outDir, { recursive: true });
  for (const project of packedProjects) console.log(packProject(project, outDir));
  // A reminder of what the tarballs are for, on stderr so stdout stays a list of paths.
  console.error(`\ninstall outside the repo: npm install ${packedProjects.length} tarballs above (they depend on each other at ${JSON.parse(readFileSync(join(root, "apps/cli/package.json"), "utf8")).version})`);
}

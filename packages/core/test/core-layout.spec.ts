import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CORE_FOLDER_ORDER, coreLayoutProblems, coreShippingProblems, readCoreSources } from "../../../tools/dev/core-layout.mjs";

const coreDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(coreDir, "src");

describe("coreLayoutProblems()", () => {
  it("finds nothing wrong with packages/core/src as it is", () => {
    expect(coreLayoutProblems(readCoreSources(srcDir))).toEqual([]);
  });

  it("declares every folder of packages/core/src but test support", () => {
    const folders = new Set(readCoreSources(srcDir).map((f) => f.path.split("/")).filter((p) => p.length > 1).map((p) => p[0]));
    folders.delete("testing");
    expect([...folders].sort()).toEqual([...CORE_FOLDER_ORDER].sort());
  });

  describe("on a planted tree", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "core-layout-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const plant = async (files: Record<string, string>) => {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      return coreLayoutProblems(readCoreSources(dir));
    };

    it("refuses an import of a folder above the importer", async () => {
      const problems = await plant({
        "router/index.ts": `export { createLocationRouter } from "./location-router.js";\n`,
        "router/location-router.ts": `import { guardRequest } from "../isolation/index.js";\n`,
        "isolation/index.ts": `export { guardRequest } from "./location-guard.js";\n`,
        "isolation/location-guard.ts": `import type { LocationRouter } from "../router/index.js";\n`,
      });
      expect(problems).toEqual([
        'packages/core/src/isolation/location-guard.ts: imports "../router/index.js", but isolation/ may import only the folders below it (util)',
      ]);
    });

    it("refuses reaching past another folder's index", async () => {
      const problems = await plant({ "router/location-router.ts": `import { matchRoute } from "../isolation/podium-routes.js";\n` });
      expect(problems).toEqual([
        'packages/core/src/router/location-router.ts: imports "../isolation/podium-routes.js"; import another folder through its index: "../isolation/index.js"',
      ]);
    });

    it("refuses production code that imports test support, and an undeclared folder", async () => {
      const problems = await plant({
        "router/location-router.ts": `const h = await import("../testing/router-harness.js");\n`,
        "widgets/widget.ts": `export const w = 1;\n`,
      });
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/widgets\/ is not in the folder order/);
      expect(problems[1]).toMatch(/router\/location-router\.ts: imports "\.\.\/testing\/router-harness\.js", test support/);
    });

    it("lets specs and test support import anything, every folder the root leaf, and the root leaf no folder", async () => {
      const problems = await plant({
        "util/call-signal.spec.ts": `import { createLocationRouter } from "../router/location-router.js";\n`,
        "testing/router-harness.ts": `import { createLocationRouter } from "../router/location-router.js";\n`,
        "util/map-concurrent.ts": `import { newRequestId } from "../ids.js";\n`,
        "ids.ts": `import { logger } from "./util/index.js";\n`,
      });
      expect(problems).toEqual(['packages/core/src/ids.ts: imports "./util/index.js"; ids.ts sits below every folder and may import only ids.ts']);
    });
  });
});

describe("coreShippingProblems()", () => {
  const readJson = async (name: string) => JSON.parse((await readFile(join(coreDir, name), "utf8")).replace(/^\s*\/\/.*$/gm, "")) as Record<string, unknown>;

  it("finds nothing the core ships that reaches test support or the simulator", async () => {
    expect(coreShippingProblems(await readJson("package.json"), await readJson("tsconfig.lib.json"))).toEqual([]);
  });

  it("refuses a library build that references the sandbox, and an export of test support", async () => {
    const pkg = { exports: { ".": { default: "./dist/index.js" }, "./testing": { default: "./dist/testing/index.js" } } };
    const lib = { exclude: ["src/**/*.spec.ts"], references: [{ path: "../../tools/podium-sandbox/tsconfig.lib.json" }] };
    expect(coreShippingProblems(pkg, lib)).toEqual([
      'packages/core/package.json exports "./dist/testing/index.js", test support',
      "packages/core/tsconfig.lib.json references ../../tools/podium-sandbox/tsconfig.lib.json; the library build must not reach the simulator",
      "packages/core/tsconfig.lib.json must exclude src/testing/** from the library build",
    ]);
  });
});

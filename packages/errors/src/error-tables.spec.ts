import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalog, type CoreErrorCode } from "./errors.js";

const repoFile = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");
const codes = Object.keys(errorCatalog) as CoreErrorCode[];
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the error tables of the docs", () => {
  it("README.md has one row per code with the catalog's status, title and action, word for word", () => {
    const readme = repoFile("README.md");
    const missing = codes.filter((code) => {
      const { httpStatus, title, action } = errorCatalog[code];
      // The README may say where a code arises after the title: "… than the ones given (onboarding)".
      const row = new RegExp(`^\\| \`${code}\` \\| ${httpStatus} \\| ${literal(title)}( \\([a-z ]+\\))? \\| ${literal(action)} \\|$`, "m");
      return !row.test(readme);
    });
    expect(missing).toEqual([]);
  });

  it("docs/ARCHITECTURE.md has one row per code", () => {
    const architecture = repoFile("docs/ARCHITECTURE.md");
    expect(codes.filter((code) => !architecture.includes(`| ${code} | `))).toEqual([]);
  });
});

import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-file.js";

describe("writeFileAtomic()", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "atomic-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the file with mode 0600 and leaves no temporary file", async () => {
    const file = join(dir, "a.json");
    await writeFileAtomic(file, "hello\n");
    expect(await readFile(file, "utf8")).toBe("hello\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("replaces a wider-permission file with a 0600 one", async () => {
    const file = join(dir, "token");
    await writeFile(file, "old");
    await chmod(file, 0o644);
    await writeFileAtomic(file, "new");
    expect(await readFile(file, "utf8")).toBe("new");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("applies a requested mode regardless of the umask", async () => {
    const file = join(dir, "b");
    await writeFileAtomic(file, "x", { mode: 0o640 });
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it("keeps the old content when it fails between writing the temporary file and the rename", async () => {
    const file = join(dir, "c.json");
    await writeFileAtomic(file, '{"v":1}');
    let seenTmp = "";
    const failing = writeFileAtomic(file, '{"v":2}', {
      beforeRename: async (tmpPath) => {
        seenTmp = tmpPath;
        // The new content is complete and on disk in the temporary file, beside the target.
        expect(await readFile(tmpPath, "utf8")).toBe('{"v":2}');
        throw new Error("simulated crash");
      },
    });
    await expect(failing).rejects.toThrow("simulated crash");
    expect(seenTmp.startsWith(join(dir, "."))).toBe(true);
    expect(await readFile(file, "utf8")).toBe('{"v":1}');
    expect(await readdir(dir)).toEqual(["c.json"]);
  });

  it("fails without touching anything when the directory is missing", async () => {
    await expect(writeFileAtomic(join(dir, "missing", "d"), "x")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(dir)).toEqual([]);
  });
});

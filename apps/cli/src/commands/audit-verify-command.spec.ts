import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditLog } from "@podium-router/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";

describe("podium-router audit verify", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-verify-"));
    path = join(dir, "audit.jsonl");
    const log = createAuditLog({ path, fsync: "never", fsyncIntervalMs: 100 });
    for (let i = 0; i < 5; i++) {
      log.append({ ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), location_uid: `loc-${i % 2}`, org_slug: "org", endpoint: "/v4/contacts", method: "POST", status: 202, request_id: `r-${i}`, latency_ms: 1.5 });
    }
    await log.close();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("exits 0 for an intact chain", async () => {
    const m = createMemoryIo({ cwd: dir });
    const io = m.io;
    expect(await main(["audit", "verify", "--file", path], io)).toBe(0);
    expect(m.stdout()).toContain("audit chain intact: 5 line(s)");
  });

  it("exits 1 and names the first edited line", async () => {
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[2] = (lines[2] as string).replace('"status":202', '"status":200');
    await writeFile(path, lines.join("\n"));
    const m = createMemoryIo({ cwd: dir });
    const io = m.io;
    expect(await main(["audit", "verify", "--file", path], io)).toBe(1);
    expect(m.stderr()).toMatch(/line 3/);
  });

  it("exits 1 when a line was deleted", async () => {
    const lines = (await readFile(path, "utf8")).split("\n");
    lines.splice(1, 1);
    await writeFile(path, lines.join("\n"));
    const m = createMemoryIo({ cwd: dir });
    const io = m.io;
    expect(await main(["audit", "verify", "--file", path], io)).toBe(1);
    expect(m.stderr()).toContain("audit chain broken");
  });

  it("reads audit.path from the settings when no file is given", async () => {
    const settingsFile = join(dir, "settings.yaml");
    await writeFile(settingsFile, `audit:\n  path: ${path}\n`);
    const m = createMemoryIo({ cwd: dir });
    const io = m.io;
    expect(await main(["audit", "verify", "--settings", settingsFile], io)).toBe(0);
  });
});

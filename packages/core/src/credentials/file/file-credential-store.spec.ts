import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import lockfile from "proper-lockfile";
import ts from "typescript";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LocationRecord } from "../credential-store.js";
import { createFileCredentialStore } from "./file-credential-store.js";

// The core's src/ (this file is src/credentials/file/): the transpiled tree keeps its layout under it.
const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = resolve(srcDir, "../../..");
const T0 = "2026-01-01T00:00:00.000Z";

function record(uid: string, over: Partial<LocationRecord> = {}): LocationRecord {
  return {
    locationUid: uid,
    orgSlug: "acme",
    clientIdRef: "env:PODIUM_CLIENT_ID",
    clientSecretRef: "file:/run/secrets/podium-client-secret",
    refreshTokenFile: `state/tokens/${uid}.token`,
    state: "active",
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function diskRecord(uid: string): Record<string, string> {
  return {
    location_uid: uid,
    org_slug: "acme",
    client_id_ref: "env:PODIUM_CLIENT_ID",
    client_secret_ref: "env:PODIUM_CLIENT_SECRET",
    refresh_token_file: `tokens/${uid}`,
    state: "active",
    created_at: T0,
    updated_at: T0,
  };
}

async function thrown(promise: Promise<unknown>): Promise<Error & { code?: string; locationUid?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "file-credential-store-"));
  file = join(dir, "state", "locations.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeStoreFile(text: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  await chmod(file, mode);
}

describe("createFileCredentialStore()", () => {
  it("round-trips records through a snake_case, versioned, 0600 file", async () => {
    const store = createFileCredentialStore({ path: file });
    expect(await store.list()).toEqual([]);
    expect(await store.insert(record("loc-a"))).toBe(true);
    expect(await store.insert(record("loc-b", { organizationUid: "org-1", name: "Acme Sydney", verifiedAt: T0 }))).toBe(true);

    const onDisk = JSON.parse(await readFile(file, "utf8"));
    expect(onDisk.schema_version).toBe(2);
    expect(onDisk.locations[1]).toEqual({
      location_uid: "loc-b",
      org_slug: "acme",
      client_id_ref: "env:PODIUM_CLIENT_ID",
      client_secret_ref: "file:/run/secrets/podium-client-secret",
      refresh_token_file: "state/tokens/loc-b.token",
      state: "active",
      organization_uid: "org-1",
      name: "Acme Sydney",
      verified_at: T0,
      created_at: T0,
      updated_at: T0,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const reopened = createFileCredentialStore(file);
    expect(await reopened.list()).toEqual([record("loc-a"), record("loc-b", { organizationUid: "org-1", name: "Acme Sydney", verifiedAt: T0 })]);
    expect(await reopened.get("loc-a")).toEqual(record("loc-a"));
    expect(await reopened.get("loc-zzz")).toBeUndefined();
    await Promise.all([store.close(), reopened.close()]);
  });

  it("insert() returns false and leaves the file untouched when the uid exists", async () => {
    const store = createFileCredentialStore({ path: file });
    await store.insert(record("loc-a"));
    const before = await readFile(file, "utf8");
    expect(await store.insert(record("loc-a", { orgSlug: "other" }))).toBe(false);
    expect(await readFile(file, "utf8")).toBe(before);
    expect((await store.get("loc-a"))?.orgSlug).toBe("acme");
  });

  it("replace() swaps an existing record in one rewrite and refuses unknown uids", async () => {
    const store = createFileCredentialStore({ path: file });
    await store.insert(record("loc-a"));
    await store.insert(record("loc-b"));
    const next = record("loc-a", { clientIdRef: "env:OTHER_ID", refreshTokenFile: "state/tokens/loc-a.new", name: "Sydney" });
    expect(await store.replace(next)).toEqual(next);
    expect(await createFileCredentialStore(file).get("loc-a")).toEqual(next);
    expect(await store.get("loc-b")).toEqual(record("loc-b"));
    await expect(store.replace(record("loc-nope"))).rejects.toMatchObject({ code: "ERR_LOC_UNKNOWN" });
  });

  it("update() patches, stamps updatedAt, clears optional fields given as undefined, and refuses unknown uids", async () => {
    const store = createFileCredentialStore({ path: file });
    await store.insert(record("loc-a"));
    const verified = await store.update("loc-a", { organizationUid: "org-9", verifiedAt: "2026-02-02T00:00:00.000Z" });
    expect(verified).toMatchObject({ locationUid: "loc-a", organizationUid: "org-9", verifiedAt: "2026-02-02T00:00:00.000Z" });
    expect(verified.updatedAt > T0).toBe(true);
    expect(await createFileCredentialStore(file).get("loc-a")).toEqual(verified);

    const cleared = await store.update("loc-a", { verifiedAt: undefined, state: "deleted" });
    expect(cleared.verifiedAt).toBeUndefined();
    expect(cleared.state).toBe("deleted");
    expect(JSON.parse(await readFile(file, "utf8")).locations[0]).not.toHaveProperty("verified_at");

    const unknown = await thrown(store.update("loc-nope", { orgSlug: "x" }));
    expect(unknown.code).toBe("ERR_LOC_UNKNOWN");
    expect(unknown.locationUid).toBe("loc-nope");
    const invalid = await thrown(store.update("loc-a", { state: "paused" as never }));
    expect(invalid.code).toBe("ERR_LOC_CONFIG");
    expect((await store.get("loc-a"))?.state).toBe("deleted");
  });

  it("remove() deletes a record and reports whether there was one", async () => {
    const store = createFileCredentialStore({ path: file });
    await store.insert(record("loc-a"));
    await store.insert(record("loc-b"));
    expect(await store.remove("loc-a")).toBe(true);
    expect(await store.remove("loc-a")).toBe(false);
    expect((await createFileCredentialStore(file).list()).map((r) => r.locationUid)).toEqual(["loc-b"]);
  });

  it("sees writes made by another instance (cache invalidated) and never writes from a stale copy", async () => {
    const a = createFileCredentialStore({ path: file });
    const b = createFileCredentialStore({ path: file });
    await a.insert(record("first")); // a now holds a cached, soon stale, copy
    await b.insert(record("from-b"));
    await a.insert(record("from-a"));
    expect((await b.list()).map((r) => r.locationUid)).toEqual(["first", "from-b", "from-a"]);
    await b.update("from-a", { orgSlug: "changed" });
    expect((await a.get("from-a"))?.orgSlug).toBe("changed");
  });

  it("refuses an invalid record without creating or changing the file, never echoing a literal secret", async () => {
    const store = createFileCredentialStore({ path: file });
    const literal = "sk_live_THIS-IS-THE-SECRET";
    const err = await thrown(store.insert(record("loc-a", { clientSecretRef: literal })));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toContain("loc-a");
    expect(err.message).not.toContain(literal);
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });

    await store.insert(record("loc-b"));
    const before = await readFile(file, "utf8");
    const missing = await thrown(store.insert({ ...record("loc-c"), orgSlug: undefined as unknown as string }));
    expect(missing.code).toBe("ERR_LOC_CONFIG");
    expect(missing.message).toContain('location loc-c is missing "orgSlug"');
    expect((await thrown(store.insert(record("loc-d", { createdAt: "yesterday" })))).message).toContain("ISO");
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("keeps the old file intact when a write dies between the temporary file and the rename", async () => {
    const healthy = createFileCredentialStore({ path: file });
    await healthy.insert(record("loc-a"));
    const before = await readFile(file, "utf8");
    const crashing = createFileCredentialStore({
      path: file,
      beforeRename: () => {
        throw new Error("simulated crash before rename");
      },
    });
    await expect(crashing.insert(record("loc-b"))).rejects.toThrow("simulated crash");
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await readdir(dirname(file))).toEqual(["locations.json"]); // no temporary file, lock released
    expect((await crashing.list()).map((r) => r.locationUid)).toEqual(["loc-a"]);
    expect(await healthy.insert(record("loc-c"))).toBe(true);
  });

  it("reports a file-system failure during the write as a CredentialError naming the file", async () => {
    await createFileCredentialStore({ path: file }).insert(record("loc-a"));
    const before = await readFile(file, "utf8");
    const full = createFileCredentialStore({
      path: file,
      beforeRename: () => {
        throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      },
    });
    const err = await thrown(full.insert(record("loc-b")));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toContain(`cannot write locations file ${file} (ENOSPC)`);
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("ignores a partial temporary file left behind by a crashed writer", async () => {
    const store = createFileCredentialStore({ path: file });
    await store.insert(record("loc-a"));
    await writeFile(join(dirname(file), ".locations.json.4242.deadbeef0000.tmp"), '{"schema_version":1,"locations":[{"loc', { mode: 0o600 });
    const reopened = createFileCredentialStore({ path: file });
    expect((await reopened.list()).map((r) => r.locationUid)).toEqual(["loc-a"]);
    expect(await reopened.insert(record("loc-b"))).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8")).locations).toHaveLength(2);
  });

  it("waits for the cross-process lock and gives up with a clear error when it is held too long", async () => {
    const store = createFileCredentialStore({ path: file, lockWaitMs: 150 });
    await store.insert(record("loc-a"));
    const before = await readFile(file, "utf8");
    const release = await lockfile.lock(file, { realpath: false });
    try {
      const err = await thrown(store.insert(record("loc-b")));
      expect(err.code).toBe("ERR_LOC_CREDENTIAL");
      expect(err.message).toContain(`${file} stayed locked`);
      expect(await readFile(file, "utf8")).toBe(before);
      const waiting = createFileCredentialStore({ path: file, lockWaitMs: 5000 }).insert(record("loc-c"));
      setTimeout(() => void release(), 100);
      expect(await waiting).toBe(true);
    } finally {
      await release().catch(() => undefined);
    }
  });

  it("loses no insert when several store instances write the same file at once", async () => {
    const stores = Array.from({ length: 4 }, () => createFileCredentialStore({ path: file }));
    const uids = stores.flatMap((_, s) => Array.from({ length: 25 }, (_, i) => `s${s}-loc-${i}`));
    const results = await Promise.all(uids.map((uid, i) => stores[i % stores.length]!.insert(record(uid))));
    expect(results.every(Boolean)).toBe(true);
    const onDisk = JSON.parse(await readFile(file, "utf8"));
    expect(onDisk.locations.map((r: { location_uid: string }) => r.location_uid).sort()).toEqual([...uids].sort());
    for (const store of stores) expect(await store.list()).toHaveLength(uids.length);
  });

  it("loses no insert when child processes and this process write the same file at once", async () => {
    const built = join(dir, "built");
    await transpileForNode(join(srcDir, "credentials/file/file-credential-store.ts"), built);
    const child = join(built, "child.mjs");
    await writeFile(
      child,
      `import { createFileCredentialStore } from "./credentials/file/file-credential-store.js";
const [path, prefix, count] = process.argv.slice(2);
const store = createFileCredentialStore({ path });
for (let i = 0; i < Number(count); i++) {
  const uid = prefix + "-" + i;
  const ok = await store.insert({ locationUid: uid, orgSlug: "acme", clientIdRef: "env:ID", clientSecretRef: "env:SECRET",
    refreshTokenFile: "tokens/" + uid, state: "active", createdAt: "${T0}", updatedAt: "${T0}" });
  if (!ok) throw new Error("duplicate " + uid);
}
await store.close();
`,
    );
    const run = promisify(execFile);
    const inProcess = createFileCredentialStore({ path: file });
    await Promise.all([
      ...[1, 2, 3].map((n) => run(process.execPath, [child, file, `child${n}`, "15"])),
      (async () => {
        for (let i = 0; i < 15; i++) await inProcess.insert(record(`parent-${i}`));
      })(),
    ]);
    const uids = (await inProcess.list()).map((r) => r.locationUid);
    expect(uids).toHaveLength(60);
    expect(new Set(uids).size).toBe(60);
    for (const prefix of ["child1", "child2", "child3", "parent"]) expect(uids.filter((u) => u.startsWith(`${prefix}-`))).toHaveLength(15);
  });

  it("reads a version-1 file (written before names were stored) and rewrites it as version 2 on the next write", async () => {
    await writeStoreFile(JSON.stringify({ schema_version: 1, locations: [diskRecord("loc-a")] }));
    const store = createFileCredentialStore({ path: file });
    expect(await store.get("loc-a")).toMatchObject({ locationUid: "loc-a" });
    expect((await store.get("loc-a"))?.name).toBeUndefined();
    await store.update("loc-a", { name: "Acme Sydney" });
    const onDisk = JSON.parse(await readFile(file, "utf8"));
    expect(onDisk.schema_version).toBe(2);
    expect(onDisk.locations[0]).toMatchObject({ location_uid: "loc-a", name: "Acme Sydney" });
    expect(await createFileCredentialStore(file).get("loc-a")).toMatchObject({ name: "Acme Sydney" });
    await store.close();
  });

  it("starts up on 10,000 locations from one read and finds any of them by uid", async () => {
    const locations = Array.from({ length: 10_000 }, (_, i) => diskRecord(`loc-${i}`));
    await writeStoreFile(JSON.stringify({ schema_version: 1, locations }));
    const store = createFileCredentialStore({ path: file });
    expect(await store.get("loc-7777")).toMatchObject({ locationUid: "loc-7777", refreshTokenFile: "tokens/loc-7777" });
    expect(await store.list()).toHaveLength(10_000);
    expect(await store.insert(record("loc-new"))).toBe(true);
    expect((await createFileCredentialStore(file).list()).at(-1)?.locationUid).toBe("loc-new");
  });
});

describe("createFileCredentialStore() bad files", () => {
  const valid = `${JSON.stringify({ schema_version: 1, locations: [diskRecord("loc-a"), diskRecord("loc-b")] }, null, 2)}\n`;
  const cases: { name: string; text: string; mode?: number; message: RegExp | string }[] = [
    {
      name: "a truncated file",
      text: valid.slice(0, valid.indexOf('"loc-b"') + 3),
      message: `not valid JSON at line ${valid.slice(0, valid.indexOf('"loc-b"') + 3).split("\n").length} `,
    },
    { name: "a file that is not JSON", text: '{\n  "schema_version": 1,\n  locations: []\n}\n', message: "not valid JSON at line 3 column 3" },
    { name: "a file with a bad token", text: '{\n  "schema_version": 1,\n  "locations": [tru]\n}\n', message: "not valid JSON at line 3 column 17" },
    { name: "an empty file", text: "", message: "not valid JSON at line 1" },
    { name: "a newer schema version", text: JSON.stringify({ schema_version: 3, locations: [] }), message: "schema_version 3, written by a newer podium-router" },
    { name: "no schema version", text: JSON.stringify({ locations: [] }), message: '"schema_version" must be an integer' },
    { name: "a group-readable file", text: valid, mode: 0o640, message: /readable or writable by group or others; run: chmod 600 \S+locations\.json/ },
    { name: "a world-readable file", text: valid, mode: 0o604, message: "chmod 600" },
    {
      name: "duplicate location_uids",
      text: JSON.stringify({ schema_version: 1, locations: [diskRecord("loc-a"), diskRecord("loc-b"), diskRecord("loc-a")] }),
      message: 'locations[0] and locations[2] both have location_uid "loc-a"',
    },
    {
      name: "a record missing a field",
      text: JSON.stringify({ schema_version: 1, locations: [diskRecord("loc-a"), { ...diskRecord("loc-b"), client_secret_ref: undefined }] }),
      message: 'locations[1] (location_uid "loc-b") is missing "client_secret_ref"',
    },
    {
      name: "a record with an unknown field",
      text: JSON.stringify({ schema_version: 1, locations: [{ ...diskRecord("loc-a"), client_secret: "x" }] }),
      message: 'unknown field "client_secret"',
    },
    {
      name: "a literal secret where a reference belongs",
      text: JSON.stringify({ schema_version: 1, locations: [{ ...diskRecord("loc-a"), client_secret_ref: "hunter2-LITERAL" }] }),
      message: /locations\[0\] \(location_uid "loc-a"\): "client_secret_ref" is not a reference and may be a literal secret/,
    },
    {
      name: "a reference with an unknown scheme",
      text: JSON.stringify({ schema_version: 1, locations: [{ ...diskRecord("loc-a"), client_id_ref: "vault:podium/id" }] }),
      message: '"client_id_ref" has an unsupported scheme',
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}, naming the file, and changes nothing on disk`, async () => {
      await writeStoreFile(c.text, c.mode);
      const store = createFileCredentialStore({ path: file });
      const err = await thrown(store.list());
      expect(err.code).toBe("ERR_LOC_CREDENTIAL");
      expect(err.message).toContain(file);
      if (typeof c.message === "string") expect(err.message).toContain(c.message);
      else expect(err.message).toMatch(c.message);
      expect(err.message).not.toContain("hunter2");
      await expect(store.insert(record("loc-z"))).rejects.toMatchObject({ code: "ERR_LOC_CREDENTIAL" });
      expect(await readFile(file, "utf8")).toBe(c.text);
      expect((await stat(file)).mode & 0o777).toBe(c.mode ?? 0o600);
      expect(await readdir(dirname(file))).toEqual(["locations.json"]);
    });
  }
});

describe("readRefreshToken() / writeRefreshToken()", () => {
  it("stores a rotated token durably as a 0600 file and reads it back", async () => {
    const store = createFileCredentialStore({ path: file });
    const rec = record("loc-a", { refreshTokenFile: join(dir, "tokens", "loc-a.token") });
    await store.writeRefreshToken(rec, "rt-first");
    expect(await readFile(rec.refreshTokenFile, "utf8")).toBe("rt-first\n");
    expect((await stat(rec.refreshTokenFile)).mode & 0o777).toBe(0o600);
    await chmod(rec.refreshTokenFile, 0o644);
    await store.writeRefreshToken(rec, "rt-rotated");
    expect((await stat(rec.refreshTokenFile)).mode & 0o777).toBe(0o600);
    expect(await createFileCredentialStore({ path: file }).readRefreshToken(rec)).toBe("rt-rotated");
    expect(await readdir(dirname(rec.refreshTokenFile))).toEqual(["loc-a.token"]);
  });

  it("names a missing or empty refresh-token file and the location, never a token", async () => {
    const store = createFileCredentialStore({ path: file });
    const rec = record("loc-a", { refreshTokenFile: join(dir, "tokens", "missing.token") });
    const missing = await thrown(store.readRefreshToken(rec));
    expect(missing.code).toBe("ERR_LOC_CREDENTIAL");
    expect(missing.locationUid).toBe("loc-a");
    expect(missing.message).toContain(`refresh-token file ${rec.refreshTokenFile} does not exist`);

    await mkdir(join(dir, "tokens"), { recursive: true });
    await writeFile(rec.refreshTokenFile, "\n", { mode: 0o600 });
    expect((await thrown(store.readRefreshToken(rec))).message).toContain(`refresh-token file ${rec.refreshTokenFile} is empty`);

    const empty = await thrown(store.writeRefreshToken(rec, " "));
    expect(empty.code).toBe("ERR_LOC_CREDENTIAL");
    expect(await readFile(rec.refreshTokenFile, "utf8")).toBe("\n");
  });

  it("close() lets pending writes finish, then refuses every call", async () => {
    const store = createFileCredentialStore({ path: file });
    const pending = store.insert(record("loc-pending"));
    await store.close();
    expect(await pending).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8")).locations[0].location_uid).toBe("loc-pending");
    await expect(store.list()).rejects.toMatchObject({ code: "ERR_LOC_INTERNAL" });
    await expect(store.insert(record("loc-a"))).rejects.toMatchObject({ code: "ERR_LOC_INTERNAL" });
  });
});

/**
 * Compiles `entry` and the modules it imports or re-exports (not type-only ones) to plain ESM in `outDir`, so a child `node`
 * process can run the store without a build of the whole package (other modules may be mid-edit).
 */
async function transpileForNode(entry: string, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await symlink(join(repoRoot, "node_modules"), join(outDir, "node_modules"), "dir");
  const pending = [entry];
  const done = new Set<string>();
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const text = await readFile(source, "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+"(\.\.?\/[^"]+)\.js";/gms)) pending.push(join(dirname(source), `${m[1]}.ts`));
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = join(outDir, `${source.slice(srcDir.length + 1, -3)}.js`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
}

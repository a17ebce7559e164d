import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSecretRef, resolveSecretRef } from "./secret-ref.js";

/** Runs `fn` and returns what it threw (sync or async), failing the test if it did not throw. */
async function thrown(fn: () => unknown): Promise<Error & { code?: string; locationUid?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a throw");
}

describe("parseSecretRef()", () => {
  it("parses env: and file: references", () => {
    expect(parseSecretRef("env:PODIUM_CLIENT_SECRET")).toEqual({ kind: "env", name: "PODIUM_CLIENT_SECRET" });
    expect(parseSecretRef("file:/run/secrets/podium")).toEqual({ kind: "file", path: "/run/secrets/podium" });
    expect(parseSecretRef("file:relative/secret.txt")).toEqual({ kind: "file", path: "relative/secret.txt" });
  });

  it("refuses a literal secret with a hint and without echoing it", async () => {
    const secret = "s3cr3t-CLIENT-value-9f8e7d";
    const err = await thrown(() => parseSecretRef(secret, { label: "client_secret_ref", locationUid: "loc-1" }));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.locationUid).toBe("loc-1");
    expect(err.message).toContain("client_secret_ref");
    expect(err.message).toMatch(/literal secret/);
    expect(err.message).toContain("env:NAME");
    expect(err.message).not.toContain(secret);
  });

  it("refuses an unknown scheme without echoing the value", async () => {
    const err = await thrown(() => parseSecretRef("vault:kv/podium#token-abc123"));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toMatch(/unsupported scheme/);
    expect(err.message).not.toContain("token-abc123");
    expect(err.message).not.toContain("vault");
  });

  it("refuses empty references and an env: without a valid name", async () => {
    for (const ref of ["", "   ", "env:", "env:1BAD", "env:has space", "file:", "file:  "]) {
      const err = await thrown(() => parseSecretRef(ref));
      expect(err.code, ref).toBe("ERR_LOC_CREDENTIAL");
    }
    expect((await thrown(() => parseSecretRef("env:abc-Secret-Value"))).message).not.toContain("abc-Secret-Value");
  });
});

describe("resolveSecretRef()", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "secret-ref-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads an environment variable from the given env", async () => {
    expect(await resolveSecretRef("env:MY_SECRET", { MY_SECRET: "value-1" })).toBe("value-1");
  });

  it("names an unset or empty variable, never a value", async () => {
    const unset = await thrown(() => resolveSecretRef("env:MISSING_ONE", { OTHER: "other-secret" }));
    expect(unset.code).toBe("ERR_LOC_CREDENTIAL");
    expect(unset.message).toContain("MISSING_ONE");
    expect(unset.message).toMatch(/not set/);
    expect(unset.message).not.toContain("other-secret");
    const empty = await thrown(() => resolveSecretRef("env:EMPTY_ONE", { EMPTY_ONE: "" }));
    expect(empty.message).toMatch(/EMPTY_ONE.*empty/);
  });

  it("reads a file and trims its trailing newline only", async () => {
    const file = join(dir, "secret.txt");
    await writeFile(file, "  padded secret\r\n");
    expect(await resolveSecretRef(`file:${file}`, {})).toBe("  padded secret");
    await writeFile(file, "plain");
    expect(await resolveSecretRef(`file:${file}`, {})).toBe("plain");
  });

  it("names a missing file", async () => {
    const file = join(dir, "nope.txt");
    const err = await thrown(() => resolveSecretRef(`file:${file}`, {}, { label: "client_id_ref", locationUid: "loc-9" }));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.locationUid).toBe("loc-9");
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/does not exist/);
  });

  it("refuses an empty file and a directory", async () => {
    const file = join(dir, "empty.txt");
    await writeFile(file, "\n");
    expect((await thrown(() => resolveSecretRef(`file:${file}`, {}))).message).toMatch(/is empty/);
    expect((await thrown(() => resolveSecretRef(`file:${dir}`, {}))).message).toMatch(/directory/);
  });
});

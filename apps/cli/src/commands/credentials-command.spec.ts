import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocationRouter, loadSettings } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";

const cs = defaultFixtureIds.coastalSmiles;
const POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Is the test PostgreSQL there? Absent, the PostgreSQL tests skip, except under PODIUM_ROUTER_REQUIRE_SERVICES=1 (CI). */
async function postgresReachable(): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000, max: 1 });
  try {
    await pool.query("SELECT 1");
    return true;
  } catch (err) {
    if (process.env["PODIUM_ROUTER_REQUIRE_SERVICES"] === "1") throw new Error(`PostgreSQL at 127.0.0.1:5432 is required but not reachable: ${String(err)}`);
    return false;
  } finally {
    await pool.end();
  }
}
const postgres = await postgresReachable();

describe("credentials reencrypt", () => {
  it("refuses the file backend: there is nothing the router encrypts there (exit 2)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pr-reencrypt-file-"));
    try {
      await writeFile(join(dir, "settings.yaml"), "credentials: { backend: file }\n");
      const mem = createMemoryIo({ cwd: dir });
      expect(await main(["credentials", "reencrypt", "--settings", "settings.yaml"], mem.io)).toBe(2);
      expect(mem.stderr()).toMatch(/^podium-router: .*re-encryption applies to the postgres backend only.*\(ERR_LOC_CONFIG\)\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("needs an action", async () => {
    const mem = createMemoryIo();
    expect(await main(["credentials"], mem.io)).toBe(2);
    expect(mem.stderr()).toContain("credentials needs an action: reencrypt");
  });

  describe.skipIf(!postgres)(`against PostgreSQL${postgres ? "" : " [skipped: PostgreSQL is not reachable on 127.0.0.1:5432]"}`, () => {
    let dir = "";
    let sandbox: Sandbox;
    let admin: pg.Pool;
    const schema = `pr_cli_reencrypt_${randomBytes(6).toString("hex")}`;
    const keys = { K1: randomBytes(32).toString("base64"), K2: randomBytes(32).toString("hex") };

    /** Settings with the given keys listed and `active` in use; the keys come from the environment. */
    const settingsFile = async (listed: ("k1" | "k2")[], active: string): Promise<string> => {
      const file = join(dir, `settings-${listed.join("-")}.yaml`);
      const lines = [
        `upstream: { base_url: ${sandbox.url} }`,
        `audit: { path: ${join(dir, "audit.jsonl")} }`,
        "credentials:",
        "  backend: postgres",
        `  postgres: { url: "${POSTGRES_URL}", schema: ${schema} }`,
        "  encryption:",
        `    keys: { ${listed.map((id) => `${id}: "env:PR_TEST_KEY_${id.toUpperCase()}"`).join(", ")} }`,
        `    active_key_id: ${active}`,
        "",
      ];
      await writeFile(file, lines.join("\n"));
      return file;
    };
    const env = { PR_TEST_KEY_K1: keys.K1, PR_TEST_KEY_K2: keys.K2, CS_ID: cs.app.clientId, CS_SECRET: cs.app.clientSecret };
    const keyIds = async (): Promise<string[]> =>
      (await admin.query<{ k: string }>(`SELECT refresh_token_key_id AS k FROM ${schema}.locations WHERE refresh_token_ciphertext IS NOT NULL ORDER BY 1`)).rows.map((r) => r.k);

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "pr-reencrypt-"));
      sandbox = await createSandbox({ rateLimit: false });
      admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    });
    afterAll(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("moves every stored refresh token to the new active key; a router holding only the new key then routes", async () => {
      // Two locations onboarded by a router whose only key is k1 (two grants: two stored tokens).
      await writeFile(join(dir, "owner.rt"), cs.ownerGrant.refreshToken, { mode: 0o600 });
      await writeFile(join(dir, "sydney.rt"), cs.sydneyGrant.refreshToken, { mode: 0o600 });
      const first = await createLocationRouter({ settings: (await loadSettings({ path: await settingsFile(["k1"], "k1"), env })).settings, env });
      const ref = { orgSlug: cs.slug, clientIdRef: "env:CS_ID", clientSecretRef: "env:CS_SECRET" };
      for await (const r of first.onboardLocations([
        { locationUid: cs.locations.sydney, ...ref, refreshTokenFile: join(dir, "sydney.rt") },
        { locationUid: cs.locations.burleighHeads, ...ref, refreshTokenFile: join(dir, "owner.rt") },
      ])) {
        expect(r.outcome, r.message).toBe("onboarded");
      }
      await first.close();
      expect(await keyIds()).toEqual(["k1", "k1"]);

      // Rotation: k2 listed and active (k1 still listed), then re-encrypt with the CLI.
      const rotating = await settingsFile(["k1", "k2"], "k2");
      const run = createMemoryIo({ env, cwd: dir });
      expect(await main(["credentials", "reencrypt", "--settings", rotating], run.io), run.stderr()).toBe(0);
      expect(run.stdout()).toContain('re-encrypted 2 refresh tokens and 0 webhook secrets under key "k2"');
      expect(run.stdout()).toContain("key k2: 2 tokens, 0 webhook secrets (active)");
      expect(run.stdout()).toContain("keys no longer listed here can be dropped");
      expect(await keyIds()).toEqual(["k2", "k2"]);
      // Again: nothing left to do.
      const again = createMemoryIo({ env, cwd: dir });
      expect(await main(["credentials", "reencrypt", "--settings", rotating], again.io)).toBe(0);
      expect(again.stdout()).toContain("re-encrypted 0 refresh tokens");

      // k1 dropped: a router with k2 alone reads the tokens and routes for both locations.
      const after = await createLocationRouter({ settings: (await loadSettings({ path: await settingsFile(["k2"], "k2"), env })).settings, env });
      try {
        for (const uid of [cs.locations.sydney, cs.locations.burleighHeads]) {
          expect((await after.call({ locationUid: uid, method: "GET", path: "/v4/contacts" })).status).toBe(200);
        }
      } finally {
        await after.close();
      }
    });

    it("fails naming the key id when a listed key cannot be read (the value is never shown)", async () => {
      const mem = createMemoryIo({ env: { PR_TEST_KEY_K1: keys.K1 }, cwd: dir });
      expect(await main(["credentials", "reencrypt", "--settings", await settingsFile(["k1", "k2"], "k2")], mem.io)).toBe(1);
      expect(mem.stderr()).toMatch(/environment variable PR_TEST_KEY_K2 \(credentials\.encryption\.keys\.k2\) is not set/);
      expect(mem.stderr()).not.toContain(keys.K1);
    });
  });
});

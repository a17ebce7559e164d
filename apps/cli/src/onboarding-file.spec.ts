import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOnboardingFile } from "./onboarding-file.js";

const header = "location_uid,org_slug,oauth_app,refresh_token_file";

describe("readOnboardingFile()", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "podium-router-bulk-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (name: string, text: string): Promise<string> => {
    await writeFile(join(dir, name), text);
    return name;
  };

  it("reads a CSV file and resolves refresh-token paths (files on this machine) against the file's directory", async () => {
    const name = await write("ok.csv", `${header}\nloc-1,coastal-smiles,coastal-smiles,tokens/loc-1\r\n\n"loc-2",coastal-smiles,acme_2,/abs/rt\n`);
    expect(await readOnboardingFile(name, dir)).toEqual([
      { locationUid: "loc-1", orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshTokenFile: join(dir, "tokens/loc-1") },
      { locationUid: "loc-2", orgSlug: "coastal-smiles", oauthApp: "acme_2", refreshTokenFile: "/abs/rt" },
    ]);
  });

  it("accepts CSV columns in any order", async () => {
    const name = await write("order.csv", "org_slug,refresh_token_file,oauth_app,location_uid\ncoastal-smiles,/rt,acme,loc-1\n");
    expect(await readOnboardingFile(name, dir)).toMatchObject([{ locationUid: "loc-1", oauthApp: "acme", refreshTokenFile: "/rt" }]);
  });

  it("reads a JSON array with the same keys", async () => {
    const name = await write("ok.json", JSON.stringify([{ location_uid: "loc-1", org_slug: "o", oauth_app: "acme", refresh_token_file: "rt" }], null, 2));
    expect(await readOnboardingFile(name, dir)).toEqual([{ locationUid: "loc-1", orgSlug: "o", oauthApp: "acme", refreshTokenFile: join(dir, "rt") }]);
  });

  const row = (uid: string) => `${uid},o,acme,rt`;
  const jsonRow = (uid: string) => `  {"location_uid": "${uid}", "org_slug": "o", "oauth_app": "acme", "refresh_token_file": "rt"}`;
  const bad: [string, string, string, RegExp][] = [
    ["a duplicate location_uid (CSV)", "dup.csv", `${header}\n${row("loc-1")}\n${row("loc-2")}\n${row("loc-1")}\n`, /^dup\.csv:4: duplicate location_uid loc-1 \(first on line 2\)$/],
    ["a duplicate location_uid (JSON)", "dup.json", `[\n${jsonRow("loc-1")},\n${jsonRow("loc-1")}\n]\n`, /^dup\.json:3: duplicate location_uid loc-1 \(first on line 2\)$/],
    ["a missing column", "missing.csv", "location_uid,org_slug,oauth_app\nloc-1,o,acme\n", /^missing\.csv:1: missing column "refresh_token_file"$/],
    ["the old client_id_ref column", "old.csv", "location_uid,org_slug,client_id_ref,client_secret_ref,refresh_token_file\nloc-1,o,env:I,env:S,rt\n", /^old\.csv:1: the column "client_id_ref" was removed; callers never name a secret/],
    ["the old client_secret_ref key", "old.json", `[{"location_uid": "loc-1", "client_secret_ref": "env:S"}]`, /^old\.json:1: the key "client_secret_ref" was removed; callers never name a secret/],
    ["an unknown column", "typo.csv", `${header},notes\n${row("loc-1")},x\n`, /^typo\.csv:1: unknown column "notes"/],
    ["a row with too few fields", "short.csv", `${header}\n${row("loc-1")}\nloc-2,o\n`, /^short\.csv:3: expected 4 fields, found 2$/],
    ["an empty value", "empty.csv", `${header}\nloc-1,,acme,rt\n`, /^empty\.csv:2: org_slug must be a non-empty string$/],
    ["a file: reference where an app name belongs", "ref.csv", `${header}\nloc-1,o,file:/etc/hostname,rt\n`, /^ref\.csv:2: oauth_app must name an OAuth app configured on the router/],
    ["an env: reference where an app name belongs", "env.csv", `${header}\nloc-1,o,env:PATH,rt\n`, /^env\.csv:2: oauth_app must name an OAuth app configured on the router/],
    ["an unclosed quote", "quote.csv", `${header}\n${row("loc-1")}\n"loc-2,o,acme,rt\n`, /^quote\.csv:3: a quoted field is not closed$/],
    ["bad JSON", "bad.json", `[\n  {"location_uid": "loc-1",}\n]`, /^bad\.json:2: not valid JSON/],
    ["JSON that is not an array", "obj.json", `{"location_uid": "loc-1"}`, /^obj\.json:1: expected a JSON array of locations$/],
    ["a JSON element missing a key", "key.json", `[\n${jsonRow("loc-1")},\n  {"location_uid": "loc-2"}\n]`, /^key\.json:3: missing org_slug$/],
    ["an unknown JSON key", "extra.json", `[{"location_uid": "loc-1", "org": "o"}]`, /^extra\.json:1: unknown key "org"/],
    ["an empty file", "none.csv", `${header}\n`, /^none\.csv: no locations in the file$/],
    ["another extension", "list.txt", `${header}\n${row("loc-1")}\n`, /^list\.txt: the file must end in \.csv or \.json$/],
  ];
  for (const [what, name, text, message] of bad) {
    it(`refuses ${what}, naming the file and line`, async () => {
      await write(name, text);
      await expect(readOnboardingFile(name, dir)).rejects.toThrow(message);
    });
  }

  it("never echoes a value given where an app name belongs", async () => {
    const name = await write("secret.csv", `${header}\nloc-1,o,sk_live_TOPSECRET,rt\n`);
    const err = await readOnboardingFile(name, dir).catch((e: unknown) => e as Error);
    expect(String(err)).not.toContain("TOPSECRET");
  });

  it("refuses a file that does not exist", async () => {
    await expect(readOnboardingFile("nope.csv", dir)).rejects.toThrow(/^cannot read nope\.csv: ENOENT$/);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOnboardingFile } from "./onboarding-file.js";

const header = "location_uid,org_slug,client_id_ref,client_secret_ref,refresh_token_file";

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

  it("reads a CSV file and resolves relative paths against the file's directory", async () => {
    const name = await write("ok.csv", `${header}\nloc-1,coastal-smiles,env:PODIUM_ID,file:secrets/secret,tokens/loc-1\r\n\n"loc-2",coastal-smiles,file:/abs/id,env:SECRET,/abs/rt\n`);
    expect(await readOnboardingFile(name, dir)).toEqual([
      { locationUid: "loc-1", orgSlug: "coastal-smiles", clientIdRef: "env:PODIUM_ID", clientSecretRef: `file:${join(dir, "secrets/secret")}`, refreshTokenFile: join(dir, "tokens/loc-1") },
      { locationUid: "loc-2", orgSlug: "coastal-smiles", clientIdRef: "file:/abs/id", clientSecretRef: "env:SECRET", refreshTokenFile: "/abs/rt" },
    ]);
  });

  it("accepts CSV columns in any order", async () => {
    const name = await write("order.csv", "org_slug,location_uid,refresh_token_file,client_secret_ref,client_id_ref\ncoastal-smiles,loc-1,/rt,env:S,env:I\n");
    expect(await readOnboardingFile(name, dir)).toMatchObject([{ locationUid: "loc-1", clientIdRef: "env:I", clientSecretRef: "env:S" }]);
  });

  it("reads a JSON array with the same keys", async () => {
    const name = await write("ok.json", JSON.stringify([{ location_uid: "loc-1", org_slug: "o", client_id_ref: "env:I", client_secret_ref: "env:S", refresh_token_file: "rt" }], null, 2));
    expect(await readOnboardingFile(name, dir)).toEqual([{ locationUid: "loc-1", orgSlug: "o", clientIdRef: "env:I", clientSecretRef: "env:S", refreshTokenFile: join(dir, "rt") }]);
  });

  const row = (uid: string) => `${uid},o,env:I,env:S,rt`;
  const jsonRow = (uid: string) => `  {"location_uid": "${uid}", "org_slug": "o", "client_id_ref": "env:I", "client_secret_ref": "env:S", "refresh_token_file": "rt"}`;
  const bad: [string, string, string, RegExp][] = [
    ["a duplicate location_uid (CSV)", "dup.csv", `${header}\n${row("loc-1")}\n${row("loc-2")}\n${row("loc-1")}\n`, /^dup\.csv:4: duplicate location_uid loc-1 \(first on line 2\)$/],
    ["a duplicate location_uid (JSON)", "dup.json", `[\n${jsonRow("loc-1")},\n${jsonRow("loc-1")}\n]\n`, /^dup\.json:3: duplicate location_uid loc-1 \(first on line 2\)$/],
    ["a missing column", "missing.csv", "location_uid,org_slug,client_id_ref,client_secret_ref\nloc-1,o,env:I,env:S\n", /^missing\.csv:1: missing column "refresh_token_file"$/],
    ["an unknown column", "typo.csv", `${header},notes\n${row("loc-1")},x\n`, /^typo\.csv:1: unknown column "notes"/],
    ["a row with too few fields", "short.csv", `${header}\n${row("loc-1")}\nloc-2,o,env:I\n`, /^short\.csv:3: expected 5 fields, found 3$/],
    ["an empty value", "empty.csv", `${header}\nloc-1,,env:I,env:S,rt\n`, /^empty\.csv:2: org_slug must be a non-empty string$/],
    ["a reference that is neither env: nor file:", "ref.csv", `${header}\nloc-1,o,s3cr3t-value,env:S,rt\n`, /^ref\.csv:2: client_id_ref must be env:NAME or file:PATH$/],
    ["an unclosed quote", "quote.csv", `${header}\n${row("loc-1")}\n"loc-2,o,env:I,env:S,rt\n`, /^quote\.csv:3: a quoted field is not closed$/],
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

  it("never echoes a value given where a reference belongs", async () => {
    const name = await write("secret.csv", `${header}\nloc-1,o,env:I,sk_live_TOPSECRET,rt\n`);
    const err = await readOnboardingFile(name, dir).catch((e: unknown) => e as Error);
    expect(String(err)).not.toContain("TOPSECRET");
  });

  it("refuses a file that does not exist", async () => {
    await expect(readOnboardingFile("nope.csv", dir)).rejects.toThrow(/^cannot read nope\.csv: ENOENT$/);
  });
});

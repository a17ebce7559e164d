import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { CredentialError } from "@podium-router/errors";
import { writeFileAtomic } from "../../util/index.js";
import type { LocationRecord } from "../credential-store.js";
import { describeReadError } from "../secret-ref.js";
import { errorCode } from "./error-code.js";

/** The refresh token of a location from its own file (`record.refreshTokenFile`), trimmed. */
export async function readRefreshTokenFile(record: LocationRecord): Promise<string> {
  const file = resolve(record.refreshTokenFile);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CredentialError(
      { locationUid: record.locationUid, cause: err },
      `refresh-token file ${file} ${describeReadError(err)}; onboard the location again`,
    );
  }
  const token = text.trim();
  if (token === "") throw new CredentialError({ locationUid: record.locationUid }, `refresh-token file ${file} is empty; onboard the location again`);
  return token;
}

/** Replaces the refresh-token file of a location (atomic, 0600; its directory 0700). */
export async function writeRefreshTokenFile(record: LocationRecord, token: string): Promise<void> {
  const file = resolve(record.refreshTokenFile);
  if (typeof token !== "string" || token.trim() === "") {
    throw new CredentialError({ locationUid: record.locationUid }, `refusing to write an empty refresh token to ${file}`);
  }
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${token.trim()}\n`);
  } catch (err) {
    throw new CredentialError({ locationUid: record.locationUid, cause: err }, `cannot write refresh-token file ${file} (${errorCode(err)})`);
  }
}

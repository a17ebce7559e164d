import { open } from "node:fs/promises";
import { UsageError } from "./cli-error.js";

/** Larger than any refresh token (the router accepts at most 4096 characters); a bigger file is not one. */
const MAX_FILE_BYTES = 16 * 1024;

/**
 * Reads the refresh token in a file on this machine, for the CLI to send as a value (the router never reads a
 * path a caller names). Throws a UsageError naming the file, never its content, when it is missing, unreadable,
 * empty, too large or holds more than one line.
 */
export async function readRefreshTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      if (size > MAX_FILE_BYTES) throw new UsageError(`${path} is ${size} bytes; a refresh-token file holds the token alone (at most ${MAX_FILE_BYTES} bytes)`);
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read the refresh-token file ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  // `echo token > file` leaves a newline the token never had.
  const token = text.replace(/[\r\n]+$/, "");
  if (token === "") throw new UsageError(`the refresh-token file ${path} is empty`);
  if (/[\r\n]/.test(token)) throw new UsageError(`the refresh-token file ${path} has more than one line; it must hold the token alone`);
  return token;
}

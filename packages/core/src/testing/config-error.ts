/** Test support: the message of the InvalidConfigError a settings check throws (any other outcome fails the test). */
import { isCoreError } from "@podium-router/errors";

export async function configErrorOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (isCoreError(err) && err.code === "ERR_LOC_CONFIG") return err.message;
    throw err;
  }
  throw new Error("expected an InvalidConfigError");
}

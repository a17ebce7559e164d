/**
 * What a refused promise rejected with, for tests that assert a refusal's code and message. Test-only: excluded
 * from the library build.
 */
import { isCoreError, type CoreError } from "@podium-router/errors";

/** The CoreError `p` rejects with; throws if it resolves, or rejects with anything else (a bug, not a refusal). */
export function refusalOf(p: Promise<unknown>): Promise<CoreError> {
  return p.then(
    () => {
      throw new Error("expected a refusal, and it resolved");
    },
    (err: unknown) => {
      if (isCoreError(err)) return err;
      throw err;
    },
  );
}

/** The error code a call rejects with, or "no error" when it resolves. */
export function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "no error",
    (err: unknown) => {
      if (isCoreError(err)) return err.code;
      throw err;
    },
  );
}

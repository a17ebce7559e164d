/**
 * Secret references: the store and the settings name where a secret lives (`env:NAME`, `file:PATH`),
 * never the secret itself. Error messages name the variable or the file, never the value.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CredentialError } from "@podium-router/errors";

/** A parsed secret reference. */
export type SecretRef = { kind: "env"; name: string } | { kind: "file"; path: string };

/** What an error should say the reference is for; optional everywhere. */
export interface SecretRefContext {
  /** Names the reference in messages, e.g. `"client_secret_ref"`. @default "secret reference" */
  label?: string | undefined;
  /** Carried as the error's context. */
  locationUid?: string | undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Something shaped like `scheme:` (RFC 3986 scheme syntax), to tell an unknown scheme from a pasted secret. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const HOW = 'use "env:NAME" (an environment variable) or "file:PATH" (a file readable only by the router)';

/**
 * Parses `"env:NAME"` or `"file:PATH"`. Throws CredentialError for anything else, including a literal secret
 * pasted where a reference belongs; the message never repeats the value.
 */
export function parseSecretRef(ref: string, context: SecretRefContext = {}): SecretRef {
  const label = context.label ?? "secret reference";
  const fail = (detail: string): never => {
    throw new CredentialError({ locationUid: context.locationUid }, detail);
  };
  if (typeof ref !== "string" || ref.trim() === "") return fail(`${label} is empty; ${HOW}`);
  if (ref.startsWith("env:")) {
    const name = ref.slice(4);
    // An invalid name is not echoed either: it may be a secret typed after "env:".
    if (!ENV_NAME.test(name)) return fail(`${label} has "env:" but no valid variable name after it (letters, digits, _)`);
    return { kind: "env", name };
  }
  if (ref.startsWith("file:")) {
    const path = ref.slice(5);
    if (path.trim() === "") return fail(`${label} has "file:" but no path after it`);
    return { kind: "file", path };
  }
  if (SCHEME.test(ref)) return fail(`${label} has an unsupported scheme (the value is not shown); ${HOW}`);
  return fail(`${label} is not a reference and may be a literal secret (the value is not shown); never put secrets in the store or settings, ${HOW}`);
}

/**
 * Reads the secret a reference points at: the variable's value, or the file's content without its trailing newline.
 * Relative file paths resolve against the working directory. Throws CredentialError naming the variable or file
 * when it is unset, missing, unreadable or empty.
 */
export async function resolveSecretRef(
  ref: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  context: SecretRefContext = {},
): Promise<string> {
  const parsed = parseSecretRef(ref, context);
  const label = context.label ?? "secret reference";
  const fail = (detail: string, cause?: unknown): never => {
    throw new CredentialError({ locationUid: context.locationUid, cause }, detail);
  };
  if (parsed.kind === "env") {
    const value = env[parsed.name];
    if (value === undefined) return fail(`environment variable ${parsed.name} (${label}) is not set`);
    if (value === "") return fail(`environment variable ${parsed.name} (${label}) is empty`);
    return value;
  }
  const path = resolve(parsed.path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return fail(`file ${path} (${label}) ${describeReadError(err)}`, err);
  }
  // `echo secret > file` leaves a newline the secret never had.
  const value = text.replace(/[\r\n]+$/, "");
  if (value === "") return fail(`file ${path} (${label}) is empty`);
  return value;
}

/** Says why a file could not be read, from its Node error code; used by the credential store too. */
export function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "does not exist";
    case "EACCES":
    case "EPERM":
      return "cannot be read by this process (permission denied)";
    case "EISDIR":
      return "is a directory, not a file";
    default:
      return `cannot be read (${typeof code === "string" ? code : "unknown error"})`;
  }
}

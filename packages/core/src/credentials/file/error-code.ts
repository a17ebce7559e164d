/** The `code` of a Node.js system error (ENOENT, EACCES, ...) or of one of ours (ERR_LOC_...); "unknown error" when it has none. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}

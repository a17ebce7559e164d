/**
 * The HTTP methods a routed call may use: the ones Podium's v4 operations use, and HEAD (matched against
 * GET routes). One list for the guard, the audit line and the server's check of `CallRequest.method`.
 */
export const CALL_METHODS: readonly string[] = Object.freeze(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/** The method rule, as messages state it. */
export const CALL_METHOD_RULE = `one of ${CALL_METHODS.join(", ")} (upper case)`;

const METHODS: ReadonlySet<string> = new Set(CALL_METHODS);

/** True for one of {@link CALL_METHODS}, exactly (upper case). */
export function isCallMethod(method: unknown): boolean {
  return typeof method === "string" && METHODS.has(method);
}

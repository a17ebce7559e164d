import type { MemoryIo } from "./memory-io.js";

const AUTHORIZE_URL = /^ {2}(https?:\/\/\S+\/oauth\/authorize\?\S+)$/m;

/**
 * The operator's browser for a running `onboard --authorize` or `locations reauthorize --authorize`: waits for the
 * printed authorize URL, opens it at the (sandbox's) Podium, which consents at once, and follows its redirect to
 * the router's callback. Returns the callback URL and the page it answered.
 */
export async function approveConsent(mem: MemoryIo, running?: Promise<unknown>): Promise<{ callbackUrl: string; page: string }> {
  // Until it is printed, however slowly (the test's timeout bounds it), or the command ended without printing it.
  let ended = false;
  void running?.then(
    () => (ended = true),
    () => (ended = true),
  );
  let authorizeUrl: string | undefined;
  while ((authorizeUrl = AUTHORIZE_URL.exec(mem.stdout())?.[1]) === undefined && !ended) await new Promise((r) => setTimeout(r, 10));
  if (authorizeUrl === undefined) throw new Error(`no authorize URL was printed:\n${mem.stdout()}\n${mem.stderr()}`);
  const atPodium = await fetch(authorizeUrl, { redirect: "manual" });
  const callbackUrl = atPodium.headers.get("location") ?? "";
  const page = await (await fetch(callbackUrl)).text();
  return { callbackUrl, page };
}

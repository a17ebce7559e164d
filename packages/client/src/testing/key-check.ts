import { isCoreError } from "@podium-router/errors";
import { createRouterClient } from "../router-client.js";
import type { RouterProtocol } from "../router-client-options.js";

/**
 * Whether a router takes an API key right now: "ok" when ListLocations answers, else the refusal's code
 * (`ERR_LOC_UNAUTHENTICATED` for an unknown key). For tests of key rotation; one fresh client per check.
 */
export async function checkApiKey(url: string, apiKey: string, protocol: RouterProtocol = "connect"): Promise<string> {
  const client = createRouterClient({ baseUrl: url, apiKey, protocol, retry: false });
  try {
    await client.listLocations({ orgSlug: "" }, { timeoutMs: 5_000 });
    return "ok";
  } catch (err) {
    return isCoreError(err) ? err.code : String(err);
  } finally {
    await client.close();
  }
}

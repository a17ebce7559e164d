import type { Interceptor } from "@connectrpc/connect";

/**
 * An interceptor that sends the router API key as `authorization: Bearer <key>` on every call.
 * The key lives only in this closure: it is never logged or put into an error.
 */
export function createAuthInterceptor(apiKey: string): Interceptor {
  const value = `Bearer ${apiKey}`;
  return (next) => async (req) => {
    req.header.set("authorization", value);
    return await next(req);
  };
}

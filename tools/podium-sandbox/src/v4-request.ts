import type { Reply } from "./http-io.js";
import type { SandboxRoute } from "./podium-routes.js";
import type { GrantState } from "./sandbox-model.js";
import type { SandboxState } from "./sandbox-state.js";
import type { AccessTokenRecord } from "./token-store.js";

/** An authenticated, validated v4 request, as handlers see it. @internal */
export interface V4Request {
  method: string;
  /** Pathname without the query. */
  path: string;
  route: SandboxRoute;
  params: Record<string, string>;
  /** Empty when the request had no query. */
  query: URLSearchParams;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  token: AccessTokenRecord;
  grant: GrantState;
  locationUids: readonly string[];
}

/** A handler for one v4 operation. @internal */
export type V4Handler = (state: SandboxState, req: V4Request) => Reply;

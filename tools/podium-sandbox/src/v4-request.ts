import type { Reply } from "./http-io.js";
import type { SandboxRoute } from "./podium-routes.js";
import type { ResourceAccess } from "./resource-access.js";
import type { GrantState } from "./sandbox-model.js";
import { singleMetadata, type SandboxState } from "./sandbox-state.js";
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
  /** Parsed JSON body (multipart: `{ data, attachment }`); undefined when there was none. */
  body: unknown;
  token: AccessTokenRecord;
  grant: GrantState;
  locationUids: readonly string[];
  /** The ledger entry's resources: handlers append what the answer returns and what the request changes. */
  resources: ResourceAccess[];
}

/** A handler for one v4 operation. @internal */
export type V4Handler = (state: SandboxState, req: V4Request) => Reply;

/** A single-object answer `{ data, metadata }` with the operation's documented status. */
export function dataReply(state: SandboxState, req: V4Request, data: unknown): Reply {
  return { status: req.route.status, body: { data, metadata: singleMetadata(state, req.path) } };
}

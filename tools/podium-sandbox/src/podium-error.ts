/**
 * Podium's error envelope and the HTTP status each error code travels with (podium-api.md §7).
 */

/** The error codes Podium documents at docs.podium.com/docs/errors. */
export type PodiumErrorCode =
  | "bad_request"
  | "internal_server_error"
  | "invalid_header_version"
  | "invalid_request_values"
  | "invalid_cursor"
  | "rate_limit"
  | "resource_not_found"
  | "route_not_found"
  | "unauthenticated"
  | "unauthorized";

/** The body of every Podium v4 error. */
export interface PodiumErrorBody {
  code: PodiumErrorCode;
  message: string | null;
  moreInfo: string;
}

/** Podium publishes no code→status table; this is the likely mapping from podium-api.md §7. */
export const podiumErrorStatus: Readonly<Record<PodiumErrorCode, number>> = {
  bad_request: 400,
  internal_server_error: 500,
  invalid_header_version: 400,
  invalid_request_values: 400,
  invalid_cursor: 400,
  rate_limit: 429,
  resource_not_found: 404,
  route_not_found: 404,
  unauthenticated: 401,
  // 403 for scope/permission; the expired-token case overrides it with 401 (errors-tmp example).
  unauthorized: 403,
};

/** Build the error envelope for a code. */
export function podiumError(code: PodiumErrorCode, message: string | null): PodiumErrorBody {
  return { code, message, moreInfo: `https://docs.podium.com/docs/errors#${code}` };
}

/** An error raised inside a handler and answered as Podium would. */
export class PodiumHttpError extends Error {
  readonly status: number;
  readonly code: PodiumErrorCode;
  readonly headers: Record<string, string> | undefined;

  constructor(code: PodiumErrorCode, message: string, status?: number, headers?: Record<string, string>) {
    super(message);
    this.name = "PodiumHttpError";
    this.code = code;
    this.status = status ?? podiumErrorStatus[code];
    this.headers = headers;
  }

  /** The JSON body to send. */
  toBody(): PodiumErrorBody {
    return podiumError(this.code, this.message);
  }
}

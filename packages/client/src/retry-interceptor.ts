import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor, UnaryRequest } from "@connectrpc/connect";
import { ErrorDetailSchema } from "@podium-router/proto";
import { retryDelayMsOf } from "./error-from-wire.js";

/**
 * The codes a call is retried on by default, declared as data so callers can pass their own set.
 * Only refusals the router gives *before* anything reaches Podium are safe to repeat for every method,
 * including a POST that creates a contact.
 */
export const retryableCodes: ReadonlySet<Code> = new Set<Code>([
  // ERR_LOC_RATE_LIMITED: the location's budget is spent; the router sent nothing upstream and says
  // when to come back (RetryInfo).
  Code.ResourceExhausted,
  // Deliberately absent:
  // - Unavailable: the router maps ERR_LOC_UPSTREAM_UNAVAILABLE to it, and a POST may have reached Podium
  //   before the connection dropped; repeating it could write twice. The router already retries GET/HEAD.
  //   One UNAVAILABLE is retried all the same (see isRetryableRefusal): ERR_LOC_AUDIT_UNAVAILABLE with a
  //   RetryInfo, which the router sends only when it refused before sending anything.
  // - Unknown / Internal: a bug or a broken proxy; the same request will fail the same way.
  // - DeadlineExceeded: the deadline is the caller's; a retry could only exceed it further.
]);

/** Backoff options of `createRetryInterceptor()`. */
export interface RetryOptions {
  /**
   * How many times a call is sent at most, the first attempt included; 1 disables retries.
   * @default 3
   */
  maxAttempts: number;
  /**
   * The delay before the first retry when the router attached no retry delay, in milliseconds.
   * @default 100
   */
  initialDelayMs: number;
  /**
   * The factor the computed delay grows by after each retry.
   * @default 2
   */
  backoffCoefficient: number;
  /**
   * The longest single wait, in milliseconds. A router-given delay longer than this is not waited for:
   * the refusal is thrown at once, since retrying sooner than the router asked would be refused again.
   * @default 10_000
   */
  maxDelayMs: number;
  /**
   * Random spread applied to computed delays (0.2 = ±20%), so refused callers do not return in step.
   * Router-given delays are honoured as sent.
   * @default 0.2
   */
  jitter: number;
  /**
   * The Connect codes that are retried.
   * @default retryableCodes
   */
  retryableCodes: ReadonlySet<Code>;
}

/** The defaults of `RetryOptions`. */
export const defaultRetryOptions: Readonly<RetryOptions> = {
  maxAttempts: 3,
  initialDelayMs: 100,
  backoffCoefficient: 2,
  maxDelayMs: 10_000,
  jitter: 0.2,
  retryableCodes,
};

function withRetryDefaults(options: Partial<RetryOptions>): RetryOptions {
  const o: RetryOptions = { ...defaultRetryOptions, ...options };
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) throw new TypeError(`retry.maxAttempts must be an integer >= 1; got ${o.maxAttempts}`);
  if (!(o.initialDelayMs >= 0)) throw new TypeError(`retry.initialDelayMs must be a number >= 0; got ${o.initialDelayMs}`);
  if (!(o.backoffCoefficient >= 1)) throw new TypeError(`retry.backoffCoefficient must be a number >= 1; got ${o.backoffCoefficient}`);
  if (!(o.maxDelayMs >= 0)) throw new TypeError(`retry.maxDelayMs must be a number >= 0; got ${o.maxDelayMs}`);
  if (!(o.jitter >= 0 && o.jitter < 1)) throw new TypeError(`retry.jitter must be a number in [0, 1); got ${o.jitter}`);
  return o;
}

/**
 * A Connect interceptor that retries unary calls refused with a retryable code (by default only
 * RESOURCE_EXHAUSTED). It waits the router's `RetryInfo` delay, or an exponential backoff when none was
 * sent, and never past the call's deadline: when the wait would end after it, the refusal is thrown at
 * once. Streaming calls pass through untouched (a stream may already have delivered results).
 */
export function createRetryInterceptor(options: Partial<RetryOptions> = {}): Interceptor {
  const o = withRetryDefaults(options);
  return (next) => async (req) => {
    if (req.stream || o.maxAttempts === 1) return await next(req);
    const deadline = deadlineOf(req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const ce = ConnectError.from(err);
        if (attempt >= o.maxAttempts || !(o.retryableCodes.has(ce.code) || isRetryableRefusal(ce)) || req.signal.aborted) throw err;
        const delayMs = retryDelayMsOf(ce) ?? computedDelay(o, attempt);
        if (delayMs > o.maxDelayMs) throw err;
        if (deadline !== undefined && Date.now() + delayMs >= deadline) throw err;
        await sleep(delayMs, req.signal);
        if (deadline !== undefined) setTimeoutHeader(req, deadline - Date.now());
      }
    }
  };
}

/**
 * A refusal the router made before anything reached Podium, whatever its code: ERR_LOC_AUDIT_UNAVAILABLE with a
 * retry delay (the audit log could not take the call's line). Raised after Podium answered, the same reason comes
 * without a delay, and is not retried.
 */
function isRetryableRefusal(err: ConnectError): boolean {
  return err.code === Code.Unavailable && retryDelayMsOf(err) !== undefined && err.findDetails(ErrorDetailSchema)[0]?.reason === "ERR_LOC_AUDIT_UNAVAILABLE";
}

function computedDelay(o: RetryOptions, attempt: number): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.backoffCoefficient ** (attempt - 1));
  return Math.round(base * (1 - o.jitter + Math.random() * 2 * o.jitter));
}

/** The absolute deadline (epoch ms) the transport announced in the timeout header, if any. */
function deadlineOf(req: UnaryRequest): number | undefined {
  const connectMs = req.header.get("connect-timeout-ms");
  if (connectMs !== null && /^\d+$/.test(connectMs)) return Date.now() + Number(connectMs);
  const grpc = /^(\d+)([HMSmun])$/.exec(req.header.get("grpc-timeout") ?? "");
  if (grpc !== null) return Date.now() + Number(grpc[1]) * grpcTimeoutUnitMs[grpc[2] as keyof typeof grpcTimeoutUnitMs];
  return undefined;
}

const grpcTimeoutUnitMs = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 } as const;

/** A retry gets what is left of the deadline, so the server does not wait longer than the caller will. */
function setTimeoutHeader(req: UnaryRequest, remainingMs: number): void {
  const ms = Math.max(1, Math.floor(remainingMs));
  if (req.header.has("connect-timeout-ms")) req.header.set("connect-timeout-ms", String(ms));
  if (req.header.has("grpc-timeout")) req.header.set("grpc-timeout", `${ms}m`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

import { DeadlineExceededError, isCoreError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";

/** Who the call is for, attached to the DeadlineExceededError raised when it is cut short. */
export interface CallSignalContext {
  requestId?: string | undefined;
  locationUid?: string | undefined;
}

/**
 * One AbortSignal that fires at the deadline or when the caller's signal aborts, whichever is first.
 * Its `reason` is always a CoreError, so whatever rejects with `signal.reason` (undici does) rejects
 * with the right core error. Call `dispose()` when the call ends: it clears the timer and the listener.
 * @internal
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

class LinkedCallSignal implements CallSignal {
  readonly #controller = new AbortController();
  readonly #context: CallSignalContext;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #caller: AbortSignal | undefined;

  constructor(deadline: number | undefined, caller: AbortSignal | undefined, context: CallSignalContext) {
    this.#context = context;
    if (deadline !== undefined) {
      // Unref'd: a pending deadline must not keep the process alive on shutdown.
      this.#timer = setTimeout(this.#onDeadline, Math.max(0, deadline - Date.now()));
      this.#timer.unref?.();
    }
    if (caller !== undefined) {
      this.#caller = caller;
      caller.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  #onDeadline = (): void => {
    this.#controller.abort(deadlineError(this.#context));
  };

  #onCallerAbort = (): void => {
    this.#controller.abort(callerAbortError(this.#caller?.reason, this.#context));
  };

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }
}

/** The error for a deadline that has passed. */
export function deadlineError(context: CallSignalContext): CoreError {
  return new DeadlineExceededError(
    { requestId: context.requestId, locationUid: context.locationUid },
    "the deadline passed before Podium answered",
  );
}

/** The error for a caller that went away; a CoreError reason (e.g. the server's own) is kept as is. */
export function callerAbortError(reason: unknown, context: CallSignalContext): CoreError {
  if (isCoreError(reason)) return reason;
  return new DeadlineExceededError(
    { requestId: context.requestId, locationUid: context.locationUid, cause: reason },
    "the caller cancelled the call before Podium answered",
  );
}

/**
 * Links a deadline (epoch ms) and a caller signal into one signal, or returns undefined when there is
 * neither, so the common path allocates nothing. Throws at once if either has already fired.
 * @internal
 */
export function linkCallSignal(
  deadline: number | undefined,
  caller: AbortSignal | undefined,
  context: CallSignalContext,
): CallSignal | undefined {
  if (deadline === undefined && caller === undefined) return undefined;
  if (caller?.aborted) throw callerAbortError(caller.reason, context);
  if (deadline !== undefined && Date.now() >= deadline) throw deadlineError(context);
  return new LinkedCallSignal(deadline, caller, context);
}

/**
 * Waits for a shared promise (a single-flight refresh or listing) on behalf of one caller, giving up
 * when that caller's deadline or signal fires, without cancelling the shared work for the others.
 * @internal
 */
export async function waitFor<T>(
  shared: Promise<T>,
  opts: { deadline?: number | undefined; signal?: AbortSignal | undefined },
  context: CallSignalContext,
): Promise<T> {
  const linked = linkCallSignal(opts.deadline, opts.signal, context);
  if (linked === undefined) return shared;
  const { signal } = linked;
  try {
    return await new Promise<T>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      shared.then(resolve, reject);
    });
  } finally {
    linked.dispose();
  }
}

/** Resolves when the signal aborts (SIGINT or SIGTERM in production, the test's controller in tests). */
export function waitForShutdown(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

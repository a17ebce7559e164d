/**
 * Runs `fn` over `items` with at most `concurrency` in flight and yields each result as it finishes
 * (completion order, not input order). Used by onboarding so a slow location never holds back the
 * report of a fast one. `fn` must not throw: failures are results too.
 */
export async function* mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const limit = Math.max(1, Math.min(concurrency, items.length));
  const done: R[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let running = 0;

  const start = (): void => {
    while (running < limit && next < items.length) {
      const item = items[next++] as T;
      running++;
      void fn(item).then((result) => {
        running--;
        done.push(result);
        wake?.();
      });
    }
  };

  start();
  while (running > 0 || done.length > 0) {
    if (done.length === 0) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    while (done.length > 0) {
      yield done.shift() as R;
      start();
    }
  }
}

import cliProgress from "cli-progress";
import type { OutputStream } from "../cli-io.js";

/** A progress bar of an onboarding run; a no-op when not drawn. */
export interface OnboardProgress {
  tick(locationUid: string): void;
  stop(): void;
}

/**
 * Draws `onboarding [████░░] 3/10 <last uid>` on stderr. Call it only for a terminal: cli-progress moves
 * the cursor with escape codes, which would litter a log file or a pipe.
 */
export function createOnboardProgress(total: number, stderr: OutputStream & { columns?: number }): OnboardProgress {
  // cli-progress reads isTTY and columns from its stream; the injected stream may be a plain writer.
  const stream = { isTTY: true, columns: stderr.columns ?? 80, write: (text: string) => stderr.write(text) } as unknown as NodeJS.WritableStream;
  const bar = new cliProgress.SingleBar(
    { stream, format: "onboarding [{bar}] {value}/{total} {last}", hideCursor: false, clearOnComplete: false, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { last: "" });
  return {
    tick: (locationUid) => bar.increment(1, { last: locationUid }),
    stop: () => bar.stop(),
  };
}

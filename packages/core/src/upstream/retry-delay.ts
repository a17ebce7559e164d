/**
 * How long to pause after Podium's 429. Podium documents no rate-limit headers (shared/podium-api.md §6),
 * so read the ones a Kong gateway sends, in order of precision: `Retry-After` (seconds or an HTTP date),
 * then `X-RateLimit-Reset` (seconds to wait, or an epoch in seconds when it is that large).
 */
export function retryDelayMs(headers: Record<string, string>, now: number): number {
  const retryAfter = headers["retry-after"];
  if (retryAfter !== undefined) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs) && secs >= 0) return clamp(secs * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return clamp(at - now);
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (Number.isFinite(reset) && reset >= 0) {
    // Values past ~2001 in epoch seconds cannot be a wait in seconds.
    return clamp(reset > 1e9 ? reset * 1000 - now : reset * 1000);
  }
  return DEFAULT_PAUSE_MS;
}

/** With no header at all, pause for one second: a twentieth of Podium's one-minute window, then probe again. */
export const DEFAULT_PAUSE_MS = 1_000;
/** Never pause longer than Podium's window (a minute) on the word of one header. */
export const MAX_PAUSE_MS = 60_000;

const clamp = (ms: number): number => Math.min(MAX_PAUSE_MS, Math.max(0, Math.ceil(ms)));

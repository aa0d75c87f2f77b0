// The latency probe an end-to-end test reads: for each job/demo event, how long after the core
// emitted it the DOM showed it (ms), in `window.__animatrixLatency` (at most 2000 entries).

export const LATENCY_CAP = 2000;

declare global {
  interface Window {
    __animatrixLatency?: number[];
  }
}

export function initLatency(): number[] {
  if (typeof window === 'undefined') return [];
  if (!Array.isArray(window.__animatrixLatency)) window.__animatrixLatency = [];
  return window.__animatrixLatency;
}

/** Records `now - emittedAtMs` once the DOM is updated; nothing when the core gave no stamp. */
export function recordLatency(emittedAtMs: number | null | undefined, now = Date.now()): void {
  if (emittedAtMs == null || !Number.isFinite(emittedAtMs)) return;
  const log = initLatency();
  log.push(now - emittedAtMs);
  if (log.length > LATENCY_CAP) log.splice(0, log.length - LATENCY_CAP);
}

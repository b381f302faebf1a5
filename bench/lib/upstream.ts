// What the brokers asked of Proof: the emulator's token request counter, polled during a run.
import type { BenchEmulator } from './services';

/**
 * Polls GET /_emulator/stats every `intervalMs`, counting from `from` (the emulator's
 * tokenRequests when the run began); `stop(until)` gives the time (performance.now()) of each
 * token request from `from` to `until` (its tokenRequests when the run ended), so the events
 * are exactly the requests the run's stats delta counts.
 */
export function watchUpstream(
  emulator: BenchEmulator,
  from: number,
  intervalMs = 50,
): { stop(until: number): Promise<number[]> } {
  const events: number[] = [];
  let running = true;
  let last = from;
  const record = (count: number) => {
    const now = performance.now();
    for (; last < count; last++) events.push(now);
  };
  const loop = (async () => {
    while (running) {
      record((await emulator.stats()).tokenRequests);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop(until) {
      running = false;
      await loop;
      record(until);
      return events.slice(0, until - from);
    },
  };
}

/**
 * Groups token request times into refresh windows: a request less than half a window after the
 * previous one belongs to the same window. Returns how many requests each window had.
 */
export function perWindow(events: number[], windowMs: number): number[] {
  const counts: number[] = [];
  events.forEach((t, i) => {
    if (i > 0 && t - events[i - 1] < windowMs / 2) counts[counts.length - 1]++;
    else counts.push(1);
  });
  return counts;
}

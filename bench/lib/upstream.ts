// What the brokers asked of Proof: the emulator's token request counter, polled during a run.
import type { BenchEmulator } from './services';

/** Polls GET /_emulator/stats every `intervalMs`; `stop()` gives the time (performance.now()) of each new token request. */
export function watchUpstream(emulator: BenchEmulator, intervalMs = 50): { stop(): Promise<number[]> } {
  const events: number[] = [];
  let running = true;
  const loop = (async () => {
    let last: number | undefined;
    while (running) {
      const { tokenRequests } = await emulator.stats();
      const now = performance.now();
      for (let i = last ?? tokenRequests; i < tokenRequests; i++) events.push(now);
      last = tokenRequests;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return events;
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

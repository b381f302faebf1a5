import { waitUntil } from '../../support/wait';
import { TIMINGS } from './fault-cluster';
import type { ScenarioControl } from './scenario';

/**
 * Sleeps until `leadMs` before the refresh window opens, for a window at least that far ahead:
 * on a loaded machine the cluster may start so late that the first window is already (nearly)
 * open, and then the next token's window is used.
 */
export async function beforeNextRefreshWindow(s: ScenarioControl, leadMs: number): Promise<number> {
  for (;;) {
    const record = (await s.cluster.record())!;
    const opens = record.refreshAfter - TIMINGS.jitterFraction * (record.expiresAt - record.receivedAt);
    if (opens - Date.now() >= leadMs + 200) {
      await s.beforeRefreshWindow(leadMs);
      return opens;
    }
    await waitUntil('the next token', async () => ((await s.cluster.storedFence()) ?? 0) > record.fence, 20_000);
  }
}

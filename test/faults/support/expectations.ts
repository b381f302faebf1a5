import { sleep } from '../../support/wait';
import type { Replica } from './fault-cluster';
import type { ScenarioResult } from './scenario';

/**
 * What every scenario must show: no caller saw anything but 200 (a servable token existed
 * throughout, by the timings), no served token was expired, revoked or unknown at serve
 * time, the stored fence never went down, upstream requests stayed within one per refresh
 * window plus what the fault explains, and a new token reached every live replica.
 */
export function expectCallersUnharmed(result: ScenarioResult): void {
  const { figures } = result;
  expect(figures.requests).toBeGreaterThan(500);
  expect(result.non200).toEqual([]);
  expect(result.badTokens).toEqual([]);
  expect(result.fenceDrops).toEqual([]);
  expect(figures.fenceSamples).toBeGreaterThan(10);
  expect(figures.upstreamRequests).toBeLessThanOrEqual(figures.upstreamBound);
  expect(figures.recoveryS).not.toBeNull();
}

/**
 * The replica that is talking to Proof right now: the first whose own proxy to the emulator
 * carries bytes after this call. Only the lock holder sends token requests.
 */
export async function replicaTalkingToProof(replicas: Replica[], timeoutMs = 10_000): Promise<Replica> {
  const before = replicas.map((r) => r.proofProxy.stats().bytesToTarget);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = replicas.findIndex((r, i) => r.proofProxy.stats().bytesToTarget > before[i]);
    if (index >= 0) return replicas[index];
    if (Date.now() > deadline) throw new Error(`no replica asked Proof for a token within ${timeoutMs} ms`);
    await sleep(5);
  }
}

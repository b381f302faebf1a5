import { sleep } from '../../support/wait';
import { Replica, TIMINGS } from './fault-cluster';
import { LOAD_CONCURRENCY, ServedRequest } from './load-driver';
import type { ScenarioResult } from './scenario';

/**
 * Under revoke-previous, from the moment a lock holder asked Proof for the token that revokes
 * the served one (and then died, or stopped, so its token is lost) until another replica
 * stored a newer token, there is no servable token anywhere: callers whose wait runs out
 * get 503 token_unavailable. Any other non-200, or one outside the window, fails.
 */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** A waiting caller is woken by pub/sub and its replica reads the new record: allowed this long after it is stored. */
const WOKEN_WITHIN_MS = 500;

/**
 * What every scenario must show: no caller saw anything but 200 while a servable token
 * existed (throughout, by the timings, unless `noServableToken` says otherwise), no served token was expired, revoked or unknown at serve
 * time, the stored fence never went down, upstream requests stayed within one per refresh
 * window plus what the fault explains, and a new token reached every live replica.
 */
export function expectCallersUnharmed(result: ScenarioResult, noServableToken?: Window): void {
  const { figures } = result;
  // The load ran (how much is a bench figure, not a test's).
  expect(figures.requests).toBeGreaterThan(0);
  const excused = (s: ServedRequest) =>
    noServableToken !== undefined &&
    s.status === 503 &&
    s.error === 'token_unavailable' &&
    s.at >= noServableToken.from &&
    s.at <= noServableToken.to + WOKEN_WITHIN_MS;
  expect(result.non200.filter((s) => !excused(s)).slice(0, 20)).toEqual([]);
  if (noServableToken) {
    // Each caller loop waits BROKER_COLD_WAIT_MS per 503: at most that many per loop.
    const waits = Math.ceil((noServableToken.to + WOKEN_WITHIN_MS - noServableToken.from) / TIMINGS.coldWaitMs);
    expect(result.non200.length).toBeLessThanOrEqual(LOAD_CONCURRENCY * waits);
  }
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

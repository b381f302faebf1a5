import { sleep, waitUntil } from '../support/wait';
import { expectCallersUnharmed, replicaTalkingToProof } from './support/expectations';
import { FaultCluster, TIMINGS } from './support/fault-cluster';
import { useFaultCluster } from './support/fault-suite';
import { runScenario } from './support/scenario';

// Each fault is armed 1 s before the replicas' refresh window opens and meets the refresh.

/** Resolves once the emulator has seen `count` more token requests than `before`. */
const upstreamRequests = (cluster: FaultCluster, before: number, count: number) =>
  waitUntil(
    `${count} upstream token requests`,
    async () => (await cluster.admin.stats()).tokenRequests >= before + count,
    20_000,
  );

/**
 * Five failed attempts, each honouring Retry-After: 1 s (the failing replica keeps the lock
 * for the backoff, so the backoff is shared by every replica: no retry storm).
 */
const proofUnavailable = (cluster: FaultCluster) =>
  runScenario(
    cluster,
    { order: 4, name: 'Proof 503 ×3 then 429 ×2 (Retry-After 1 s)', extraUpstream: 5 },
    async (s) => {
      await s.beforeRefreshWindow(1_000);
      const before = (await cluster.admin.stats()).tokenRequests;
      await cluster.admin.fault({ mode: '503', count: 3, retryAfterSeconds: 1 });
      await cluster.admin.fault({ mode: '429', count: 2, retryAfterSeconds: 1 });
      await s.faultStarted();
      await upstreamRequests(cluster, before, 5);
      s.healed();
    },
  );

/**
 * Proof answers after 3 s, past the 2 s deadline, twice: both attempts are abandoned and the
 * third succeeds. (The emulator issues no token to a client that has gone; a token issued
 * whose answer is lost is the last scenario.)
 */
const proofTooSlow = (cluster: FaultCluster) =>
  runScenario(
    cluster,
    {
      order: 5,
      name: `Proof slower than the deadline (3 s > ${TIMINGS.upstreamTimeoutMs / 1000} s) ×2`,
      extraUpstream: 2,
    },
    async (s) => {
      await s.beforeRefreshWindow(1_000);
      const before = (await cluster.admin.stats()).tokenRequests;
      await cluster.admin.fault({ mode: 'latency', count: 2, latencyMs: 3_000 });
      await s.faultStarted();
      await upstreamRequests(cluster, before, 2);
      await sleep(TIMINGS.upstreamTimeoutMs);
      s.healed();
    },
  );

/** Every connection to Proof is reset for 3 s, then Proof drops two requests' connections. */
const proofConnectionsDropped = (cluster: FaultCluster) =>
  runScenario(
    cluster,
    { order: 6, name: 'Proof connections reset for 3 s, then 2 dropped', extraUpstream: 2 },
    async (s) => {
      await s.beforeRefreshWindow(1_000);
      const before = (await cluster.admin.stats()).tokenRequests;
      await cluster.admin.fault({ mode: 'drop', count: 2 });
      await s.faultStarted();
      cluster.setProofMode({ kind: 'reset' });
      await sleep(3_000);
      cluster.setProofMode({ kind: 'pass' });
      await upstreamRequests(cluster, before, 2);
      s.healed();
    },
  );

/**
 * Proof issues the token (under revoke-previous, revoking the one every replica serves) but
 * its answer never reaches the replica: held by that replica's proxy past the deadline,
 * then lost with the connection.
 */
const proofAnswerLost = (cluster: FaultCluster) =>
  runScenario(
    cluster,
    { order: 7, name: 'Proof answer lost after issuing (held past the deadline)', extraUpstream: 1 },
    async (s) => {
      await s.beforeRefreshWindow(1_000);
      // Proof answers after 500 ms: time enough to blackhole the holder's proxy first.
      await cluster.admin.fault({ mode: 'latency', count: 1, latencyMs: 500 });
      const holder = await replicaTalkingToProof(s.live());
      holder.proofProxy.setMode({ kind: 'blackhole' });
      await s.faultStarted();
      await sleep(TIMINGS.upstreamTimeoutMs + 500);
      holder.proofProxy.setMode({ kind: 'pass' });
      s.healed();
    },
  );

describe('Proof faults, policy new', () => {
  const cluster = useFaultCluster('new');

  it('Proof answers 503 ×3 then 429 ×2 (Retry-After: 1): backs off, then refreshes', async () => {
    const result = await proofUnavailable(cluster());
    expectCallersUnharmed(result);
    // Four waits of at least Retry-After between the five failed attempts.
    expect(result.figures.newTokenAfterFaultS).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('Proof slower than the deadline twice: refreshed on the third attempt', async () => {
    expectCallersUnharmed(await proofTooSlow(cluster()));
  }, 60_000);

  it('connections to Proof reset for 3 s, then 2 dropped by Proof: refreshed afterwards', async () => {
    expectCallersUnharmed(await proofConnectionsDropped(cluster()));
  }, 60_000);
});

describe('Proof faults, policy revoke-previous', () => {
  const cluster = useFaultCluster('revoke-previous');

  // The timeout is ambiguous (Proof may have issued): the old token stays unserved and the
  // next attempt comes at once, within the callers' wait.
  it('Proof answer lost after Proof issued the token: no revoked token served', async () => {
    const result = await proofAnswerLost(cluster());
    expect(result.figures.tokensIssued).toBeGreaterThanOrEqual(2);
    expectCallersUnharmed(result);
  }, 60_000);
});

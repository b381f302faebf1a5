import type { FaultMode } from '../support/fault-proxy';
import { sleep, waitUntil } from '../support/wait';
import { expectCallersUnharmed } from './support/expectations';
import { FaultCluster, TIMINGS } from './support/fault-cluster';
import { useFaultCluster } from './support/fault-suite';
import { PresenceWatch } from './support/presence-watch';
import { beforeNextRefreshWindow } from './support/refresh-window';
import { runScenario, ScenarioResult } from './support/scenario';

// Under revoke-previous, a replica cut off from Redis (not from its callers, nor from Proof)
// must stop serving before the other replicas can go on with a hand-over without it, and
// may serve again only on Proof's word that its token is still valid (issue #19).

interface CutOff {
  readonly result: ScenarioResult;
  /** ms from the cut until readiness no longer said "from memory" (red, or on evidence), and to the registry entry's expiry by Redis' clock. */
  readonly offLeaseAfterMs?: number;
  readonly absentAfterMs?: number;
  readonly red: { totalMs: number; longestMs: number };
  readonly name: string;
}

/**
 * The last replica's own Redis proxy fails (`mode`) 2 s before the refresh window opens,
 * while the load balancer keeps sending it a third of the requests; the others hand over and
 * refresh. It heals 3 s after the new token is stored, and must then catch up.
 */
async function cutOffAcrossHandOver(cluster: FaultCluster, order: number, label: string, mode: FaultMode) {
  let cut: Omit<CutOff, 'result'> | undefined;
  const result = await runScenario(
    cluster,
    { order, name: `one replica's Redis ${label} across a hand-over`, extraUpstream: 1 },
    async (s) => {
      const replica = s.live()[s.live().length - 1];
      await beforeNextRefreshWindow(s, 2_000);
      const watch = new PresenceWatch(replica, cluster.redis.url);
      await s.faultStarted();
      const fenceAtCut = (await cluster.record())!.fence;
      const cutAt = Date.now();
      replica.redisProxy.setMode(mode);
      await waitUntil(
        'another replica to store a new token',
        async () => (await cluster.storedFence())! > fenceAtCut,
        20_000,
      );
      await sleep(3_000);
      replica.redisProxy.setMode({ kind: 'pass' });
      s.healed();
      // Tokens are replaced every ~4 s here: the one stored when it is asked.
      const caughtUp = async () => (await cluster.info(replica)).fence === (await cluster.storedFence());
      await waitUntil('the cut-off replica to catch up', caughtUp, 15_000);
      await waitUntil('its readiness back', () => watch.samples.at(-1)?.ready === true, 10_000);
      await watch.stop();
      const since = (at: number | undefined) => (at === undefined ? undefined : at - cutAt);
      cut = {
        name: replica.name,
        offLeaseAfterMs: since(watch.firstOffLease(cutAt)),
        absentAfterMs: since(watch.firstAbsent(cutAt)),
        red: watch.red(),
      };
      s.note(
        `${replica.name} cut off: off its lease (readiness red or on evidence) ${cut.offLeaseAfterMs} ms after the cut, its registry entry expired ` +
          `${cut.absentAfterMs} ms after it (Redis' clock); red ${cut.red.totalMs} ms in all, ${cut.red.longestMs} ms at most at once`,
      );
    },
  );
  return { ...cut!, result };
}

/** Everything but the cut-off replica's own 503s must be as in any fault; those must be bounded. */
function expectCutOffBounded(cluster: FaultCluster, run: CutOff): void {
  const { result } = run;
  const fromCutOff = result.non200.filter((s) => cluster.nameOf(s.target) === run.name);
  expectCallersUnharmed({ ...result, non200: result.non200.filter((s) => !fromCutOff.includes(s)) });
  expect(fromCutOff.filter((s) => s.status !== 503 || s.error !== 'token_unavailable')).toEqual([]);
  // Off its lease before a holder could go on without it (its entry expired), never after.
  expect(run.offLeaseAfterMs).toBeDefined();
  expect(run.absentAfterMs).toBeDefined();
  expect(run.offLeaseAfterMs!).toBeLessThan(run.absentAfterMs!);
  // Red at most from the cut until it caught up after the heal (cut + new token + 3 s + catch-up).
  expect(run.red.totalMs).toBeLessThan(result.figures.durationS * 1000);
}

describe('one replica cut off from Redis, policy revoke-previous', () => {
  const cluster = useFaultCluster('revoke-previous');

  it('blackholed across a hand-over: no revoked token served, red before its presence expires', async () => {
    expectCutOffBounded(cluster(), await cutOffAcrossHandOver(cluster(), 11, 'blackholed', { kind: 'blackhole' }));
  }, 90_000);

  it('connection refused (every connection reset) across a hand-over: no revoked token served', async () => {
    expectCutOffBounded(cluster(), await cutOffAcrossHandOver(cluster(), 12, 'refused', { kind: 'reset' }));
  }, 90_000);
});

describe('Redis down for every replica, policy revoke-previous', () => {
  const cluster = useFaultCluster('revoke-previous');

  // No hand-over can happen without Redis: Proof keeps calling the token valid, and the
  // replicas keep serving it on that evidence past their presence leases.
  it('killed across the refresh point for 8 s: every request answered 200, no revoked token', async () => {
    const c = cluster();
    const checksBefore = (await c.admin.stats()).tokenInfoRequests;
    const countingSince = Date.now();
    let checks = 0;
    let countedMs = 0;
    const result = await runScenario(
      c,
      { order: 13, name: 'Redis down for every replica across the refresh point (8 s)', extraUpstream: 1 },
      async (s) => {
        const opens = await beforeNextRefreshWindow(s, 2_000);
        await s.faultStarted();
        await c.redis.kill();
        s.note(`Redis killed ${opens - Date.now()} ms before the refresh window opened`);
        await sleep(8_000);
        await c.redis.restart();
        s.healed();
        checks = (await c.admin.stats()).tokenInfoRequests - checksBefore;
        countedMs = Date.now() - countingSince;
        s.note(`${checks} token/info checks by the replicas during the outage`);
      },
    );
    expectCallersUnharmed(result);
    // The outage outlived the presence lease (3 s presence TTL here): served on Proof's word,
    // asked at most once per BROKER_LEASE_CHECK_INTERVAL_MS by each replica, over the whole
    // time the checks were counted (on a loaded machine the kill and restart add seconds to the 8).
    expect(checks).toBeGreaterThan(0);
    expect(checks).toBeLessThanOrEqual(c.replicas.length * (Math.ceil(countedMs / TIMINGS.leaseCheckIntervalMs) + 1));
  }, 90_000);
});

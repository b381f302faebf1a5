import { sleep } from '../support/wait';
import { expectCallersUnharmed } from './support/expectations';
import type { FaultCluster } from './support/fault-cluster';
import { useFaultCluster } from './support/fault-suite';
import { runScenario } from './support/scenario';

// Each fault starts 1 s before the replicas' refresh window opens and covers it.

/**
 * Nobody can take the lock while Redis is down; once it is back (empty) one replica
 * refreshes with a fence above the one Redis lost (its own highest fence is the floor).
 */
const redisKilled = (cluster: FaultCluster) =>
  runScenario(cluster, { order: 1, name: 'Redis killed, restarted empty after 4 s', extraUpstream: 1 }, async (s) => {
    await s.beforeRefreshWindow(1_000);
    await s.faultStarted();
    await cluster.redis.kill();
    await sleep(4_000);
    await cluster.redis.restart();
    s.healed();
  });

/**
 * Every replica's Redis proxy holds every byte for 5 s (a partition): commands time out on
 * the replicas, and what they sent reaches Redis late, on heal (late lock takes, late
 * fenced writes).
 */
const redisBlackholed = (cluster: FaultCluster) =>
  runScenario(cluster, { order: 2, name: 'Redis blackholed for 5 s', extraUpstream: 1 }, async (s) => {
    await s.beforeRefreshWindow(1_000);
    await s.faultStarted();
    cluster.setRedisMode({ kind: 'blackhole' });
    await sleep(5_000);
    cluster.setRedisMode({ kind: 'pass' });
    s.healed();
    await sleep(200); // what was held reaches Redis
    const held = await cluster.lockPttl();
    s.note(held === undefined ? 'lock free after heal' : `lock held ${held} ms more right after heal`);
  });

/** 300 ms each way: every command takes 0.6 s, under the 2 s command timeout. */
const redisSlow = (cluster: FaultCluster) =>
  runScenario(cluster, { order: 3, name: 'Redis slow (+300 ms each way) for 7 s', extraUpstream: 1 }, async (s) => {
    await s.beforeRefreshWindow(1_000);
    await s.faultStarted();
    cluster.setRedisMode({ kind: 'latency', ms: 300 });
    await sleep(7_000);
    cluster.setRedisMode({ kind: 'pass' });
    s.healed();
  });

describe('Redis faults, policy new', () => {
  const cluster = useFaultCluster('new');

  it('Redis killed and restarted empty: served from memory, refreshed with a higher fence', async () => {
    expectCallersUnharmed(await redisKilled(cluster()));
  }, 60_000);

  it('Redis blackholed for 5 s: served from memory, refreshed after the partition heals', async () => {
    expectCallersUnharmed(await redisBlackholed(cluster()));
  }, 60_000);

  it('Redis slow (+300 ms each way) for 7 s: the refresh completes during the fault', async () => {
    const result = await redisSlow(cluster());
    expectCallersUnharmed(result);
    expect(result.figures.recoveryS).toBe(0);
  }, 60_000);
});

describe('Redis faults, policy revoke-previous', () => {
  const cluster = useFaultCluster('revoke-previous');

  // Replicas reconnect at different times: the first one back must not refresh (and revoke
  // the served token) before every replica has registered and acknowledged the hand-over.
  it('Redis killed and restarted empty: no revoked token served', async () => {
    expectCallersUnharmed(await redisKilled(cluster()));
  }, 60_000);
});

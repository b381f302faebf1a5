import calculateSlot from 'cluster-key-slot';
import type Redis from 'ioredis';
import type { RedisTopology } from '../../apps/broker/src/config/broker-config';
import { tokenKeys } from '../../apps/broker/src/store/token-keys';
import { startRedisCluster } from '../support/redis-cluster';
import { startRedisSentinel, TestRedisSentinel } from '../support/redis-sentinel';

export type TopologyKind = 'cluster' | 'sentinel';

/** One Redis topology other than a single server, seen the same way by every spec here. */
export interface TestTopology {
  readonly kind: TopologyKind;
  /** What `connectRedis` takes. */
  readonly redis: RedisTopology;
  /** What a broker process takes instead of REDIS_URL. */
  readonly brokerEnv: Record<string, string>;
  /** Profiles whose keys live on different masters: one per master on a cluster. */
  profilesOnEveryMaster(prefix: string): Promise<string[]>;
  /** A plain client of the master holding `key` (its slot's owner, or the current primary). */
  masterFor(key: string): Promise<Redis>;
  /** Plain clients of every master: where a PUBLISH can be sent and NUMSUB is node-local. */
  masters(): Promise<Redis[]>;
  /** Empties every master: a cluster FLUSHALL only empties the node it is sent to. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTopology(kind: 'sentinel'): Promise<TestTopology & { sentinel: TestRedisSentinel }>;
export async function startTopology(kind: TopologyKind): Promise<TestTopology>;
export async function startTopology(kind: TopologyKind): Promise<TestTopology> {
  return kind === 'cluster' ? clusterTopology() : sentinelTopology();
}

async function clusterTopology(): Promise<TestTopology> {
  const cluster = await startRedisCluster();
  const ownerPort = async (key: string) => (await cluster.ownerOfSlot(calculateSlot(key))).port;
  return {
    kind: 'cluster',
    redis: { kind: 'cluster', nodes: cluster.nodes },
    brokerEnv: { REDIS_CLUSTER_NODES: cluster.nodesEnv },
    async profilesOnEveryMaster(prefix) {
      const byMaster = new Map<number, string>();
      for (let i = 0; byMaster.size < cluster.nodes.length; i++) {
        const profile = `${prefix}-${i}`;
        const port = await ownerPort(tokenKeys(profile).token);
        if (!byMaster.has(port)) byMaster.set(port, profile);
      }
      return [...byMaster.values()];
    },
    masterFor: async (key) => cluster.node(await ownerPort(key)),
    masters: () => Promise.resolve(cluster.nodes.map((n) => cluster.node(n.port))),
    flushAll: () => cluster.flushAll(),
    stop: () => cluster.stop(),
  };
}

async function sentinelTopology(): Promise<TestTopology & { sentinel: TestRedisSentinel }> {
  const sentinel = await startRedisSentinel();
  const primary = async () => sentinel.node(await sentinel.masterPort());
  return {
    kind: 'sentinel',
    sentinel,
    redis: { kind: 'sentinel', sentinels: sentinel.sentinels, name: sentinel.name },
    brokerEnv: { REDIS_SENTINELS: sentinel.sentinelsEnv, REDIS_SENTINEL_NAME: sentinel.name },
    profilesOnEveryMaster: (prefix) => Promise.resolve([prefix]),
    masterFor: () => primary(),
    masters: async () => [await primary()],
    flushAll: async () => void (await (await primary()).flushall()),
    stop: () => sentinel.stop(),
  };
}

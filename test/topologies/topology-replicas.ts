import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import type { TestRedisSentinel } from '../support/redis-sentinel';
import { startTopology, TestTopology, TopologyKind } from './test-topology';

/** Three broker processes on one Redis topology, with the emulator and one caller. */
export interface TopologyReplicas<T extends TestTopology = TestTopology> {
  readonly topology: T;
  readonly emulator: StartedEmulator;
  /** r1, r2, r3. */
  readonly replicas: readonly BrokerProcess[];
  /** The key of the caller `svc` (token:read on the default profile). */
  readonly key: string;
  /** Stops the brokers, the emulator and the topology. */
  stop(): Promise<void>;
}

/**
 * Starts `kind`, the emulator issuing `ttlSeconds` tokens and three brokers on it refreshing
 * at half the lifetime. What started is stopped again if a later part fails to.
 */
export async function startTopologyReplicas(
  kind: 'sentinel',
  ttlSeconds: number,
): Promise<TopologyReplicas<TestTopology & { sentinel: TestRedisSentinel }>>;
export async function startTopologyReplicas(kind: TopologyKind, ttlSeconds: number): Promise<TopologyReplicas>;
export async function startTopologyReplicas(kind: TopologyKind, ttlSeconds: number): Promise<TopologyReplicas> {
  const topology = await startTopology(kind);
  let emulator: StartedEmulator | undefined;
  let replicas: BrokerProcess[] = [];
  const stop = async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await topology.stop();
  };
  try {
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: ttlSeconds, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    const env = {
      ...brokerEnv({ emulator, callers }),
      ...topology.brokerEnv,
      BROKER_REFRESH_AT_FRACTION: '0.5',
      LOG_LEVEL: 'warn',
    };
    const started = await Promise.allSettled(['r1', 'r2', 'r3'].map((name) => startBrokerProcess(name, env)));
    replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { topology, emulator, replicas, key: callers.keys.svc, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { LocalCluster, LocalClusterOptions, startLocalCluster } from '../../scripts/lib/local-cluster';
import { BROKER_MAIN, EMULATOR_MAIN, requireBuilt } from './broker-process';
import { recordSecret } from './leak-ledger';

// The cluster itself lives in scripts/lib, shared with `npm run cluster` (see ./haproxy.ts).
export type { ClusterReplica, LocalCluster, LocalClusterOptions } from '../../scripts/lib/local-cluster';

/** Redis, the emulator, broker replicas (the built apps) and HAProxy on loopback free ports. */
export async function startTestCluster(
  options: Omit<LocalClusterOptions, 'brokerMain' | 'emulatorMain'> = {},
): Promise<LocalCluster> {
  const cluster = await startLocalCluster({
    brokerMain: requireBuilt(BROKER_MAIN),
    emulatorMain: requireBuilt(EMULATOR_MAIN),
    ...options,
  });
  recordSecret('caller-key', cluster.callerKey);
  recordSecret('client-secret', cluster.secrets.clientSecret);
  recordSecret('encryption-key', cluster.secrets.encryptionKey);
  return cluster;
}

import { FaultCluster, Policy } from './fault-cluster';
import { printSummary } from './fault-report';

/**
 * Starts a cluster before the enclosing block's tests (its scenarios share it: each one
 * ends healed) and closes it after them, then prints the figures measured so far.
 */
export function useFaultCluster(policy: Policy, overrides: NodeJS.ProcessEnv = {}): () => FaultCluster {
  let cluster: FaultCluster | undefined;
  beforeAll(async () => {
    cluster = await FaultCluster.start(policy, 3, overrides);
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    printSummary();
  });
  return () => {
    if (!cluster) throw new Error('the fault cluster did not start');
    return cluster;
  };
}

import { emulatorAdmin, validAt } from '../support/emulator-admin';
import type { Served } from '../support/load';
import type { LocalCluster } from '../support/local-cluster';
import { Restart, restartReplica, startRollingCluster } from '../support/rolling-restart';
import { sleep } from '../support/wait';
import { startSteadyLoad } from './steady-load';

const TTL_SECONDS = 10;

/**
 * A rolling restart behind HAProxy: steady GET /token load through the load balancer while
 * each replica in turn gets SIGTERM and a replacement starts on its port. Refreshes go on
 * meanwhile (a 10 s token, refreshed at half its life).
 */
describe('rolling restart of 3 replicas behind HAProxy', () => {
  let cluster: LocalCluster;
  let bootedAt: number;

  beforeAll(async () => {
    bootedAt = Date.now();
    cluster = await startRollingCluster(TTL_SECONDS);
  }, 150_000);
  afterAll(() => cluster?.stop(), 30_000);

  it('serves every request with 200 and a valid token while each replica is replaced', async () => {
    const load = startSteadyLoad(cluster.url, cluster.callerKey, 4);
    const restarts: Restart[] = [];
    let served: Served[] = [];
    try {
      for (const { name } of cluster.replicas) restarts.push(await restartReplica(cluster, name));
      await cluster.waitAllInRotation();
      await sleep(500);
    } finally {
      served = await load.stop();
    }

    // The load ran (how much is a bench figure, not a test's).
    expect(served.length).toBeGreaterThan(0);
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    expect(restarts.map((r) => [r.name, r.exitCode])).toEqual(cluster.replicas.map((r) => [r.name, 0]));
    // HAProxy took each replica out while it was still draining, not only after it closed
    // (its retries would hide a shutdown delay too short for the health checks).
    expect(restarts.filter((r) => r.downAfterMs >= r.exitedAfterMs)).toEqual([]);

    const admin = emulatorAdmin(cluster.emulatorUrl);
    const distinct = [...new Set(served.map((s) => s.token as string))];
    const lookups = new Map((await admin.lookup(distinct)).map((l, i) => [distinct[i], l]));
    const invalid = served.filter((s) => !validAt(lookups.get(s.token as string)!, s.at));
    expect(invalid).toEqual([]);

    // Refreshes went on during the restarts, at most one per window (half the lifetime, less
    // the 5 % jitter) since the cluster booted: replacements read the token from Redis
    // instead of asking Proof.
    const stats = await admin.stats();
    const windows = Math.ceil((Date.now() - bootedAt) / (TTL_SECONDS * (0.5 - 0.05) * 1000));
    expect(distinct.length).toBeGreaterThanOrEqual(2);
    expect(stats.tokenRequests).toBe(stats.tokensIssued);
    expect(stats.tokensIssued).toBeLessThanOrEqual(windows + 1);
  }, 120_000);
});

import { FAST_TIMINGS } from '../support/broker';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import type { Served } from '../support/load';
import { LocalCluster, startTestCluster } from '../support/local-cluster';
import { sleep, waitUntil } from '../support/wait';
import { startSteadyLoad } from './steady-load';

const TTL_SECONDS = 10;
// Readiness is red this long before a replica stops accepting. HAProxy checks every 500 ms
// and needs 2 failures: the replica leaves the rotation 0.5 to 1 s after SIGTERM.
const SHUTDOWN_DELAY_MS = 1_500;

interface Restart {
  readonly name: string;
  readonly exitCode: number | null;
  /** When HAProxy marked the replica DOWN and when the process exited, in ms after SIGTERM. */
  readonly downAfterMs: number;
  readonly exitedAfterMs: number;
}

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
    cluster = await startTestCluster({
      replicas: 3,
      brokerEnv: {
        ...FAST_TIMINGS,
        BROKER_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        BROKER_REFRESH_AT_FRACTION: '0.5',
        LOG_LEVEL: 'warn',
      },
      emulatorEnv: { EMULATOR_TOKEN_TTL_SECONDS: String(TTL_SECONDS) },
    });
  }, 90_000);
  afterAll(() => cluster?.stop(), 30_000);

  async function restart(name: string): Promise<Restart> {
    await cluster.waitAllInRotation();
    const signalled = Date.now();
    const exit = cluster.stopReplica(name, 'SIGTERM').then((code) => ({ code, at: Date.now() }));
    await waitUntil(
      `haproxy to mark ${name} DOWN`,
      async () => (await cluster.haproxy.servers()).get(name)?.status === 'DOWN',
      10_000,
      20,
    );
    const downAt = Date.now();
    const exited = await exit;
    await cluster.startReplica(name);
    return { name, exitCode: exited.code, downAfterMs: downAt - signalled, exitedAfterMs: exited.at - signalled };
  }

  it('serves every request with 200 and a valid token while each replica is replaced', async () => {
    const load = startSteadyLoad(cluster.url, cluster.callerKey, 4);
    const restarts: Restart[] = [];
    let served: Served[] = [];
    try {
      for (const { name } of cluster.replicas) restarts.push(await restart(name));
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

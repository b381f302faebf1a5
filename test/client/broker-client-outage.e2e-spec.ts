import { startClientCluster, type ClientCluster } from './support/client-cluster';
import { prepareWorker, startWorker } from './support/client-workers';
import { sleep } from '../support/wait';

const TTL_SECONDS = 10;
const SAFETY_MARGIN_SECONDS = 2;

/**
 * Every broker replica stopped for longer than a token lives: clients keep calling Proof on
 * their cached token until the safety margin, then fail with the typed error
 * (broker_unreachable), never with a Proof 401, and recover once the replicas are back.
 */
describe('BrokerClient processes while every replica is down', () => {
  let cluster: ClientCluster;
  let worker: string;

  beforeAll(async () => {
    worker = prepareWorker();
    cluster = await startClientCluster('new', TTL_SECONDS);
  }, 150_000);
  afterAll(async () => cluster?.stop());

  it('serves from cache until the margin, then fails typed, and recovers', async () => {
    const runs = [0, 1].map((i) =>
      startWorker(worker, {
        MODE: 'client',
        BROKER_URL: cluster.urls[i],
        BROKER_KEY: cluster.keys.svc,
        PROOF_URL: cluster.emulator.url,
        DURATION_MS: '34000',
        BACKOFF_MAX_MS: '2000',
        SAFETY_MARGIN_SECONDS: String(SAFETY_MARGIN_SECONDS),
      }),
    );
    await sleep(2_000);
    const stoppedAt = Date.now();
    await cluster.stopReplicas();
    // Longer than any token the clients hold can last.
    await sleep(TTL_SECONDS * 1000 + 1_000);
    await cluster.startReplicas();
    const backAt = Date.now();
    const stats = await Promise.all(runs.map((r) => r.result()));
    console.log(
      `outage of ${backAt - stoppedAt} ms:\n${stats
        .map(
          (s) =>
            `  client: calls ${s.calls}, ok ${s.ok}, Proof 401s ${s.proof401}, served stale ${s.staleServed}, ` +
            `failed ${JSON.stringify(s.failures)} from +${s.firstFailureAt - stoppedAt} ms to +${s.lastFailureAt - stoppedAt} ms`,
        )
        .join('\n')}`,
    );

    for (const s of stats) {
      expect(s.proof401).toBe(0);
      // Kept working on the cached token for a while, asking the broker in the background.
      expect(s.staleServed).toBeGreaterThan(0);
      expect(s.firstFailureAt - stoppedAt).toBeGreaterThan(500);
      // Then the typed error, and only that, before the token itself expired.
      expect(Object.keys(s.failures)).toEqual(['broker_unreachable']);
      expect(s.firstFailureAt - stoppedAt).toBeLessThan(TTL_SECONDS * 1000);
      // Back to work once a replica answers again.
      expect(s.lastFailureAt).toBeLessThan(backAt + 5_000);
      expect(s.okAfterLastFailure).toBeGreaterThan(10);
    }
  }, 150_000);
});

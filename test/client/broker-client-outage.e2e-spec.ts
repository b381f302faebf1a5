import { startClientCluster, type ClientCluster } from './support/client-cluster';
import { prepareWorker, startWorker, stopAll } from './support/client-workers';
import { sleep } from '../support/wait';

const TTL_SECONDS = 10;
const SAFETY_MARGIN_SECONDS = 2;

/**
 * Every broker replica stopped (then one started again) for longer than a token lives: clients keep calling Proof on
 * their cached token until the safety margin, then fail with the typed error
 * (broker_unreachable), never with a Proof 401, and recover once the replicas are back.
 */
describe('BrokerClient processes while every replica is down', () => {
  let cluster: ClientCluster;
  let worker: string;

  beforeAll(async () => {
    worker = prepareWorker();
    // Refreshed at 30 % of their life, the tokens clients hold keep most of it: on a loaded
    // machine a late refresh still leaves them seconds of use past their refresh point.
    cluster = await startClientCluster('new', TTL_SECONDS, { BROKER_REFRESH_AT_FRACTION: '0.3' });
  }, 150_000);
  afterAll(async () => cluster?.stop());

  it('serves from cache until the margin, then fails typed, and recovers', async () => {
    const runs = [0, 1].map(() =>
      startWorker(worker, {
        MODE: 'client',
        BROKER_URL: cluster.urls[0],
        BROKER_KEY: cluster.keys.svc,
        PROOF_URL: cluster.emulator.url,
        SAFETY_MARGIN_SECONDS: String(SAFETY_MARGIN_SECONDS),
        BACKOFF_MAX_MS: '2000',
      }),
    );
    await Promise.all(runs.map((r) => r.started()));
    const stoppedAt = Date.now();
    await cluster.stopReplicas();
    // Longer than any token the clients hold can last.
    await sleep(TTL_SECONDS * 1000 + 1_000);
    await cluster.startReplicas([0]);
    const backAt = Date.now();
    await sleep(3_000);
    const stats = await stopAll(runs);
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
      // (a replica that is back may first answer token_unavailable while it gets a token)
      expect(Object.keys(s.failures)).toContain('broker_unreachable');
      expect(Object.keys(s.failures).filter((code) => code !== 'token_unavailable')).toEqual(['broker_unreachable']);
      expect(s.firstFailureAt - stoppedAt).toBeLessThan(TTL_SECONDS * 1000);
      // Back to work once a replica answers again.
      expect(s.lastFailureAt).toBeLessThan(backAt + 2_500);
      expect(s.okAfterLastFailure).toBeGreaterThan(5);
    }
  }, 150_000);
});

import { startClientCluster, type ClientCluster, type TokenPolicy } from './support/client-cluster';
import { prepareWorker, startWorker, stopAll, total, type WorkerStats } from './support/client-workers';
import { emulatorAdmin } from '../support/emulator-admin';
import { sleep } from '../support/wait';

const TTL_SECONDS = 8;
const CLIENTS = 3;

/** One line per worker, so the naive caller's 401s stay visible beside the client's. */
function report(title: string, stats: WorkerStats[]): void {
  const rows = stats.map(
    (s, i) =>
      `  ${s.mode.padEnd(6)} #${i}: calls ${s.calls}, ok ${s.ok}, Proof 401s ${s.proof401}, failed ${s.failed}, ` +
      `reports ${s.reports}, broker requests ${s.brokerRequests}` +
      (s.failed > 0 ? `, failures ${JSON.stringify(s.failures)}` : ''),
  );
  console.log(`${title}\n${rows.join('\n')}`);
}

/**
 * Client processes calling the emulator's /v1/transactions through BrokerClient.fetch, in
 * front of three broker processes with 8-second tokens (a refresh every ~4 s), for each of
 * Doorkeeper's token policies; beside them, a naive caller that caches until expires_at.
 */
describe.each(['new', 'reuse', 'revoke-previous'] as const)(
  'BrokerClient processes, policy %s',
  (policy: TokenPolicy) => {
    let cluster: ClientCluster;
    let worker: string;

    beforeAll(async () => {
      worker = prepareWorker();
      cluster = await startClientCluster(policy, TTL_SECONDS);
    }, 150_000);
    afterAll(async () => cluster?.stop());

    const start = (mode: 'client' | 'naive', i: number) =>
      startWorker(worker, {
        MODE: mode,
        BROKER_URL: cluster.urls[i % cluster.urls.length],
        BROKER_KEY: cluster.keys.svc,
        PROOF_URL: cluster.emulator.url,
        SAFETY_MARGIN_SECONDS: '2',
      });

    /** POST /token/refresh, again after Retry-After if the token is too young (429 refresh_too_soon). */
    const forceRefresh = async (): Promise<Response> => {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${cluster.urls[1]}/token/refresh`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cluster.keys.ops}` },
        });
        if (response.status !== 429 || attempt === 3) return response;
        await sleep(Number(response.headers.get('retry-after')) * 1000);
      }
    };

    it('sees 0 Proof 401s and 0 failed calls across scheduled refreshes', async () => {
      const before = await emulatorAdmin(cluster.emulator.url).stats();
      const runs = [...Array.from({ length: CLIENTS }, (_, i) => start('client', i)), start('naive', 0)];
      await Promise.all(runs.map((r) => r.started()));
      // Three refresh windows (4 s each).
      await sleep(12_500);
      const stats = await stopAll(runs);
      const after = await emulatorAdmin(cluster.emulator.url).stats();
      report(
        `policy ${policy}, scheduled refreshes (${after.tokenRequests - before.tokenRequests} token requests):`,
        stats,
      );

      // Several refresh windows passed during the run.
      expect(after.tokenRequests - before.tokenRequests).toBeGreaterThanOrEqual(2);
      const clients = stats.filter((s) => s.mode === 'client');
      for (const s of clients) {
        expect(s.calls).toBeGreaterThan(10);
        expect({ proof401: s.proof401, failed: s.failed, failures: s.failures }).toEqual({
          proof401: 0,
          failed: 0,
          failures: {},
        });
      }
      // Without the client, a revoked token is used until it fails.
      if (policy === 'revoke-previous') expect(stats.find((s) => s.mode === 'naive')!.proof401).toBeGreaterThan(0);
    }, 120_000);

    it('after a forced refresh, each client sees at most one Proof 401, reports it once, and the application no failure', async () => {
      const runs = Array.from({ length: CLIENTS }, (_, i) => start('client', i));
      await Promise.all(runs.map((r) => r.started()));
      await sleep(1_000);
      const forced = await forceRefresh();
      await sleep(3_000);
      const stats = await stopAll(runs);
      report(`policy ${policy}, forced refresh (${forced.status}):`, stats);

      expect(forced.status).toBe(200);
      for (const s of stats) {
        expect(s.proof401).toBeLessThanOrEqual(1);
        expect(s.reports).toBe(s.proof401);
        expect({ failed: s.failed, failures: s.failures }).toEqual({ failed: 0, failures: {} });
      }
      // Under the other policies the previous token stays valid: nothing to recover from.
      if (policy !== 'revoke-previous') expect(total(stats, 'proof401')).toBe(0);
    }, 120_000);
  },
);

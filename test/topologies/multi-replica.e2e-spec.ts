import { tokenKeys } from '../../apps/broker/src/store/token-keys';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { runLoad } from '../support/load';
import type { TopologyKind } from './test-topology';
import { startTopologyReplicas, TopologyReplicas } from './topology-replicas';

const TTL_SECONDS = 6;
const WINDOWS = 3;

/**
 * test/broker/multi-replica.e2e-spec.ts on a Redis Cluster and on Sentinel: three broker
 * processes, a 6-second token lifetime and steady load on every replica for three refresh
 * windows.
 */
describe.each<TopologyKind>(['cluster', 'sentinel'])('3 replicas on Redis %s', (kind) => {
  let setup: TopologyReplicas;

  beforeAll(async () => {
    setup = await startTopologyReplicas(kind, TTL_SECONDS);
  }, 60_000);
  afterAll(() => setup?.stop());

  it('issues exactly one token per refresh window and serves only valid tokens, all 200', async () => {
    const { topology, emulator, replicas, key } = setup;
    const admin = emulatorAdmin(emulator.url);
    const started = Date.now();
    const served = await runLoad(
      replicas.map((r) => r.url),
      key,
      WINDOWS * (TTL_SECONDS / 2) * 1000 + 1_500,
    );
    const elapsed = Date.now() - started;
    const stats = await admin.stats();
    const failures = served.filter((s) => s.status !== 200);
    if (failures.length) console.log(replicas.map((r) => `${r.name}:\n${r.process.output()}`).join('\n'));

    // The load ran (how much is a bench figure, not a test's).
    expect(served.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    const windows = Math.ceil(elapsed / ((TTL_SECONDS / 2) * 1000));
    expect(stats.tokensIssued).toBeGreaterThanOrEqual(WINDOWS);
    expect(stats.tokensIssued).toBeLessThanOrEqual(windows + 1);
    expect(stats.tokenRequests).toBe(stats.tokensIssued);

    const distinct = [...new Set(served.map((s) => s.token as string))];
    const lookups = new Map((await admin.lookup(distinct)).map((l, i) => [distinct[i], l]));
    const issued = [...lookups.values()].map((l) => l.issuedAtMs as number).sort((a, b) => a - b);
    const gaps = issued.slice(1).map((t, i) => t - issued[i]);
    // Replicas never refreshed together: consecutive tokens are most of a window apart.
    expect(Math.min(...gaps)).toBeGreaterThan((TTL_SECONDS / 2) * 1000 * 0.7);
    const invalid = served
      .filter((s) => !validAt(lookups.get(s.token as string)!, s.at))
      .map((s) => ({ ...s, ...lookups.get(s.token as string) }));
    expect(invalid).toEqual([]);

    // The record went through the topology: its master holds it, with the latest fence.
    const master = await topology.masterFor(tokenKeys('default').token);
    expect(Number(await master.hget(tokenKeys('default').token, 'fence'))).toBeGreaterThanOrEqual(WINDOWS);
  });
});

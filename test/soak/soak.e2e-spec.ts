import { renderSoakMarkdown } from '../../scripts/soak/soak-report';
import { runSoak } from '../../scripts/soak/soak-run';
import type { SoakSummary } from '../../scripts/soak/soak-verdict';
import { BROKER_MAIN, EMULATOR_MAIN, requireBuilt } from '../support/broker-process';
import { recordSecret } from '../support/leak-ledger';

/**
 * The chaos soak's short mode (`npm run soak -- --minutes N` is the long one): 3 replicas
 * behind HAProxy on Redis, one profile per token policy, services calling Proof through the
 * client library and through /proof/*, random faults of Redis, the replicas, Proof and
 * operators the whole time. Fails when any invariant breaks. SOAK_MINUTES (1.25) and
 * SOAK_SEED (random, printed) replay a run.
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 1.25);
const SEED = process.env.SOAK_SEED === undefined ? undefined : Number(process.env.SOAK_SEED);

describe('chaos soak (short)', () => {
  let summary: SoakSummary;

  beforeAll(
    async () => {
      summary = await runSoak({
        brokerMain: requireBuilt(BROKER_MAIN),
        emulatorMain: requireBuilt(EMULATOR_MAIN),
        minutes: MINUTES,
        seed: SEED,
        onCluster: (cluster) => {
          recordSecret('caller-key', cluster.keys.svc);
          recordSecret('caller-key', cluster.keys.ops);
          recordSecret('client-secret', cluster.secrets.clientSecret);
          recordSecret('encryption-key', cluster.secrets.encryptionKey);
        },
      });
      console.log(renderSoakMarkdown(summary, `### Soak (short mode, ${MINUTES} min)`));
    },
    (MINUTES * 60 + 240) * 1000,
  );

  it('injected faults of Redis, the replicas, Proof and operators while callers ran', () => {
    expect(Object.keys(summary.faults).length).toBeGreaterThanOrEqual(4);
    expect(summary.calls.client).toBeGreaterThan(0);
    expect(summary.calls.proxy).toBeGreaterThan(0);
  });

  it('kept every invariant: no bad token served, fence monotonic, upstream bounded, no unexcused failed call', () => {
    expect(summary.invariants.filter((i) => !i.ok)).toEqual([]);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { SoakCluster, SoakProfile } from './soak-cluster';
import type { Fault, FaultContext } from './fault-kinds';

/** Queues faults at one profile's emulator; half the time forces a refresh so that they meet one now. */
const proofFault = (kind: string, arm: (c: FaultContext, admin: SoakProfile['admin']) => Promise<unknown>): Fault => ({
  kind,
  lane: 'upstream',
  extraUpstream: 5,
  async run(context) {
    const profile = context.random.pick(context.cluster.profiles);
    await arm(context, profile.admin);
    if (context.random.next() < 0.5) await forceRefresh(context.cluster, profile.name);
    await sleep(context.random.int(2_000, 5_000));
    return profile.name;
  },
});

async function forceRefresh(cluster: SoakCluster, profile: string): Promise<number> {
  const response = await fetch(`${cluster.url}/token/refresh?profile=${profile}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cluster.keys.ops}` },
    signal: AbortSignal.timeout(15_000),
  }).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status ?? 0;
}

/** Proof failing, slow, dropping or revoking everything; operators forcing refreshes and reloading. */
export const upstreamFaults: Fault[] = [
  proofFault('proof-5xx (1-3 answers)', ({ random }, admin) =>
    admin.fault({ mode: random.pick(['500', '503'] as const), count: random.int(1, 3), retryAfterSeconds: 1 }),
  ),
  proofFault('proof-429 (Retry-After 1 s)', ({ random }, admin) =>
    admin.fault({ mode: '429', count: random.int(1, 2), retryAfterSeconds: 1 }),
  ),
  proofFault('proof-slow (0.5-3 s; the deadline is 2 s)', ({ random }, admin) =>
    admin.fault({ mode: 'latency', count: 1, latencyMs: random.int(500, 3_000) }),
  ),
  proofFault('proof-drop (connection dropped, nothing issued)', (_, admin) => admin.fault({ mode: 'drop', count: 1 })),
  {
    kind: 'proof-revoke-all',
    lane: 'upstream',
    extraUpstream: 2,
    async run({ cluster, windows, random }) {
      const profile = random.pick(cluster.profiles);
      const { fence } = await cluster.redis.stored(profile.name);
      const at = Date.now();
      await profile.admin.revokeAll();
      // Nothing the broker holds is valid until a new token is stored; callers report theirs.
      windows.open(profile.name, 'Proof revoked every token (revoke-all)', at, fence ?? 0);
      await sleep(random.int(2_000, 5_000));
      return profile.name;
    },
  },
  {
    kind: 'forced-refresh (POST /token/refresh)',
    lane: 'upstream',
    extraUpstream: 1,
    async run({ cluster, random, note }) {
      const profile = random.pick(cluster.profiles).name;
      const status = await forceRefresh(cluster, profile);
      if (status !== 200) note(`POST /token/refresh (${profile}) answered ${status}`);
      await sleep(random.int(2_000, 5_000));
      return profile;
    },
  },
  {
    kind: 'config-reload (SIGHUP)',
    lane: 'upstream',
    extraUpstream: 0,
    async run({ cluster, random }) {
      const replicas = cluster.readyReplicas();
      if (replicas.length > 0) cluster.reloadConfig(random.pick(replicas));
      await sleep(random.int(1_000, 3_000));
    },
  },
];

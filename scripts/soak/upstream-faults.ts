import { setTimeout as sleep } from 'node:timers/promises';
import type { SoakCluster, SoakProfile } from './soak-cluster';
import { FAST_BROKER_TIMINGS } from '../lib/fast-timings';
import { REVOKE_ALL_CAUSE } from './excuse-windows';
import type { Fault, FaultContext } from './fault-kinds';

/** The broker's deadline for a token request: a slower answer is ambiguous to it. */
const DEADLINE_MS = Number(FAST_BROKER_TIMINGS.BROKER_UPSTREAM_TIMEOUT_MS);

/**
 * Queues faults at one profile's emulator; half the time forces a refresh so that they meet
 * one now. `arm` resolves true when the fault leaves the broker unsure whether Proof issued a
 * token (an answer past the deadline, a connection dropped after the request was sent): under
 * revoke-previous the served token is then taken as revoked, and nothing is servable until a
 * new token is stored. That stretch is opened as a window, from the moment the fault is armed.
 */
const proofFault = (kind: string, arm: (c: FaultContext, admin: SoakProfile['admin']) => Promise<boolean>): Fault => ({
  kind,
  lane: 'upstream',
  extraUpstream: 5,
  async run(context) {
    const profile = context.random.pick(context.cluster.profiles);
    const { fence } = await context.cluster.redis.stored(profile.name);
    const at = Date.now();
    if ((await arm(context, profile.admin)) && profile.name === 'revoke-previous')
      context.windows.open(
        profile.name,
        `${kind}: an ambiguous answer, the served token taken as revoked`,
        at,
        fence ?? 0,
      );
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
  proofFault('proof-5xx (1-3 answers)', async ({ random }, admin) => {
    await admin.fault({ mode: random.pick(['500', '503'] as const), count: random.int(1, 3), retryAfterSeconds: 1 });
    return false;
  }),
  proofFault('proof-429 (Retry-After 1 s)', async ({ random }, admin) => {
    await admin.fault({ mode: '429', count: random.int(1, 2), retryAfterSeconds: 1 });
    return false;
  }),
  proofFault('proof-slow (0.5-3 s; the deadline is 2 s)', async ({ random }, admin) => {
    const latencyMs = random.int(500, 3_000);
    await admin.fault({ mode: 'latency', count: 1, latencyMs });
    return latencyMs >= DEADLINE_MS;
  }),
  proofFault('proof-drop (connection dropped, nothing issued)', async (_, admin) => {
    await admin.fault({ mode: 'drop', count: 1 });
    return true;
  }),
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
      windows.open(profile.name, REVOKE_ALL_CAUSE, at, fence ?? 0);
      await sleep(random.int(2_000, 5_000));
      return profile.name;
    },
  },
  {
    // Proof's clock off by 10 s to 1 h (its Date header): expiry is expires_in, so nothing changes.
    kind: 'proof-clock-skew (Date header ±10 s-1 h, 3-10 s)',
    lane: 'upstream',
    extraUpstream: 1,
    async run({ cluster, random }) {
      const profile = random.pick(cluster.profiles);
      await profile.admin.clock((random.next() < 0.5 ? -1 : 1) * random.int(10_000, 3_600_000));
      if (random.next() < 0.5) await forceRefresh(cluster, profile.name);
      await sleep(random.int(3_000, 10_000));
      await profile.admin.clock(0);
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

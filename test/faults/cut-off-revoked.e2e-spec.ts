import { validAt } from '../../scripts/lib/emulator-admin';
import { sleep, waitUntil } from '../support/wait';
import type { FaultCluster, Policy, Replica } from './support/fault-cluster';
import { useFaultCluster } from './support/fault-suite';

// Under `new` and `reuse`, a replica cut off from Redis (not from its callers, nor from Proof)
// kept serving a token Proof revoked out of band (a revoke-all) after the other replicas had
// replaced it: the chaos soak's callers routed there got 401 after their single retry, until
// Redis was back. It must find out from Proof and get a valid token by itself.

interface Served {
  readonly token?: string;
  readonly status: number;
  readonly at: number;
}

async function tokenOf(cluster: FaultCluster, replica: Replica): Promise<Served> {
  const response = await fetch(`${replica.url}/token`, {
    headers: { authorization: `Bearer ${cluster.key}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { access_token?: string };
  return { token: body.access_token, status: response.status, at: Date.now() };
}

async function report(cluster: FaultCluster, replica: Replica, token: string): Promise<number> {
  const response = await fetch(`${replica.url}/token/rejected`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ access_token: token }),
    signal: AbortSignal.timeout(15_000),
  });
  await response.body?.cancel();
  return response.status;
}

/**
 * The last replica's Redis path blackholed, then every token revoked at Proof and the revoked
 * one reported to another replica (which replaces it through Redis). `reportToCutOff`: a
 * second caller reports it to the cut-off replica too; else that one must notice alone.
 */
async function revokedWhileCutOff(cluster: FaultCluster, reportToCutOff: boolean) {
  const [healthy, , cutOff] = cluster.replicas;
  const before = await tokenOf(cluster, cutOff);
  expect(before.status).toBe(200);
  cutOff.redisProxy.setMode({ kind: 'blackhole' });
  try {
    // Past its presence lease (3 s presence TTL here, 1 s margin): surely cut off.
    await sleep(3_000);
    const revokedAt = Date.now();
    await cluster.admin.revokeAll();
    expect(await report(cluster, healthy, before.token!)).toBe(200);
    if (reportToCutOff) expect(await report(cluster, cutOff, before.token!)).toBe(200);
    // Within a check interval (1 s here) and a few round trips; 10 s is generous on 2 busy cores.
    const samples: Served[] = [];
    await waitUntil(
      'the cut-off replica to serve a valid token',
      async () => {
        const served = await tokenOf(cluster, cutOff);
        samples.push(served);
        if (!served.token) return false;
        const [lookup] = await cluster.admin.lookup([served.token]);
        return validAt(lookup, served.at);
      },
      10_000,
    );
    const last = samples.at(-1)!;
    expect(last.token).not.toBe(before.token);
    // What Proof refused is never served again by that replica, Redis still out of reach.
    await sleep(1_000);
    expect((await tokenOf(cluster, cutOff)).token).toBe(last.token);
    return { foundAfterMs: last.at - revokedAt };
  } finally {
    cutOff.redisProxy.setMode({ kind: 'pass' });
  }
}

for (const policy of ['new', 'reuse'] as Policy[]) {
  describe(`a token revoked out of band while one replica is cut off from Redis, policy ${policy}`, () => {
    const cluster = useFaultCluster(policy);

    it('the cut-off replica finds out from Proof by itself and gets a valid token alone', async () => {
      const { foundAfterMs } = await revokedWhileCutOff(cluster(), false);
      expect(foundAfterMs).toBeLessThan(10_000);
    }, 60_000);

    it('a report of the revoked token to the cut-off replica is checked and answered there', async () => {
      await waitUntil(
        'every replica to be back on Redis',
        async () => {
          const fences = await Promise.all(cluster().replicas.map((r) => cluster().info(r)));
          return fences.every((i) => i.servable && i.fence === fences[0].fence);
        },
        15_000,
      );
      await revokedWhileCutOff(cluster(), true);
    }, 60_000);
  });
}

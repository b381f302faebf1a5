import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { runLoad } from '../support/load';
import { startRedis, TestRedis } from '../support/redis-server';
import { ReplicaSetBase, startReplicaSetBase } from '../support/replica-set';

const TTL_SECONDS = 6;
const WINDOWS = 3;

/**
 * Three broker processes on one Redis, a 6-second token lifetime and steady load on every
 * replica for three refresh windows, for each of Doorkeeper's token policies.
 */
describe.each(['new', 'revoke-previous'] as const)('3 replicas, policy %s', (policy) => {
  let base: ReplicaSetBase;
  let emulator: StartedEmulator;
  let replicas: BrokerProcess[] = [];
  let key: string;

  beforeAll(async () => {
    base = await startReplicaSetBase(policy, TTL_SECONDS, [
      { name: 'svc', roles: ['token:read'], profiles: ['default'] },
    ]);
    emulator = base.emulator;
    key = base.keys.svc;
    replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => startBrokerProcess(name, base.env)));
    // Three Node boots at once on a loaded 2-core machine can take well over 30 s.
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await base?.stop();
  });

  it('issues exactly one token per refresh window and serves only valid tokens, all 200', async () => {
    const admin = emulatorAdmin(emulator.url);
    const started = Date.now();
    const served = await runLoad(
      replicas.map((r) => r.url),
      key,
      WINDOWS * (TTL_SECONDS / 2) * 1000 + 1_500,
    );
    const elapsed = Date.now() - started;
    const stats = await admin.stats();

    // The load ran (how much is a bench figure, not a test's).
    expect(served.length).toBeGreaterThan(0);
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    // A refresh is due every TTL/2 s (jitter only brings it a little earlier): one token per window.
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
  });
});

describe('3 replicas, policy reuse (Doorkeeper reuse_access_token)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let replicas: BrokerProcess[] = [];
  let key: string;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 4, tokenPolicy: 'reuse', clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    const env = {
      ...brokerEnv({ emulator, callers, redis }),
      BROKER_REFRESH_AT_FRACTION: '0.5',
      LOG_LEVEL: 'warn',
    };
    replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => startBrokerProcess(name, env)));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await redis?.stop();
  });

  it('does not loop on a reused token, and serves only valid tokens', async () => {
    const admin = emulatorAdmin(emulator.url);
    // Counted over the load only: the replicas' boot (seconds on a loaded machine) is not in `lifetimes`.
    const before = await admin.stats();
    const started = Date.now();
    const served = await runLoad(
      replicas.map((r) => r.url),
      key,
      10_000,
    );
    const lifetimes = Math.ceil((Date.now() - started) / 4_000) + 1;
    const after = await admin.stats();
    const stats = {
      tokensIssued: after.tokensIssued - before.tokensIssued,
      tokenRequests: after.tokenRequests - before.tokenRequests,
    };
    // Proof hands back the same token until it expires: one new token per lifetime, and at
    // most one early attempt (answered with the same token) per lifetime on top.
    expect(stats.tokensIssued).toBeLessThanOrEqual(lifetimes);
    expect(stats.tokenRequests).toBeLessThanOrEqual(2 * lifetimes + 1);
    const distinct = [...new Set(served.filter((s) => s.token).map((s) => s.token as string))];
    const lookups = new Map((await admin.lookup(distinct)).map((l, i) => [distinct[i], l]));
    expect(served.filter((s) => s.status === 200 && !validAt(lookups.get(s.token as string)!, s.at))).toEqual([]);
    // The only failures are the unavoidable gap between the floor and the expiry of a reused token.
    const failures = served.filter((s) => s.status !== 200);
    expect(failures.every((s) => s.status === 503 && s.error === 'token_unavailable')).toBe(true);
    expect(failures.length / served.length).toBeLessThan(0.4);
  });
});

describe('cold start: 3 replicas started together', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let replicas: BrokerProcess[] = [];

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await redis?.stop();
  });

  it('makes one upstream token request for 50 concurrent first requests', async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    const env = {
      ...brokerEnv({ emulator, callers, redis }),
      LOG_LEVEL: 'warn',
    };
    replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => startBrokerProcess(name, env)));
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${replicas[i % 3].url}/token`, { headers: { authorization: `Bearer ${callers.keys.svc}` } }).then(
          async (r) => ({ status: r.status, token: ((await r.json()) as { access_token: string }).access_token }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(responses.map((r) => r.token)).size).toBe(1);
    const stats = await emulatorAdmin(emulator.url).stats();
    expect(stats.tokenRequests).toBe(1);
  });
});

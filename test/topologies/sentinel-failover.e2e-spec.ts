import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { tokenKeys } from '../../apps/broker/src/store/token-keys';
import { FAST_TIMINGS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { runLoad, Served } from '../support/load';
import type { TestRedisSentinel } from '../support/redis-sentinel';
import { sleep, waitUntil } from '../support/wait';
import { startTopology, TestTopology } from './test-topology';
import { TEST_APP, TEST_CLIENTS } from '../support/broker';

const TTL_SECONDS = 6;
const WINDOW_MS = (TTL_SECONDS / 2) * 1000;
const TOKEN = tokenKeys('default').token;

/**
 * Three broker processes on Sentinel under steady load while Sentinel moves the primary:
 * first on request (SENTINEL FAILOVER), then after the primary is killed. No caller sees an
 * error, every token served is valid, and the replicas keep refreshing through the new primary.
 */
describe('3 replicas on Redis Sentinel, failover under load', () => {
  let topology: TestTopology & { sentinel: TestRedisSentinel };
  let sentinel: TestRedisSentinel;
  let emulator: StartedEmulator;
  let replicas: BrokerProcess[] = [];
  let key: string;
  // Filled by the SENTINEL FAILOVER test, checked by the one after it.
  let switchedAt: number | undefined;
  let brokersMovedAt: number | undefined;

  beforeAll(async () => {
    topology = await startTopology('sentinel');
    sentinel = topology.sentinel;
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: TTL_SECONDS, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    const env = {
      ...FAST_TIMINGS,
      ...topology.brokerEnv,
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: TEST_APP.secret,
      BROKER_CALLERS_FILE: callers.path,
      BROKER_REFRESH_AT_FRACTION: '0.5',
      LOG_LEVEL: 'warn',
    };
    replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => startBrokerProcess(name, env)));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await topology?.stop();
  });

  /** Command connections of the brokers (ioredis names them token-broker-client) on a data node. */
  const brokerConnections = async (port: number) =>
    ((await sentinel.node(port).client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(' name=token-broker-client ')).length;
  const fenceOn = async (port: number) => Number(await sentinel.node(port).hget(TOKEN, 'fence'));
  const refreshedOn = (port: number, above: number) =>
    waitUntil(`a refresh written to port ${port}`, async () => (await fenceOn(port)) > above, 3 * WINDOW_MS);

  /** Every response 200, every token valid when served; returns the served tokens' lookups. */
  async function expectAllServedValid(served: Served[]) {
    const failures = served.filter((s) => s.status !== 200);
    if (failures.length) console.log(replicas.map((r) => `${r.name}:\n${r.process.output()}`).join('\n'));
    // The load ran (how much is a bench figure, not a test's).
    expect(served.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    const distinct = [...new Set(served.map((s) => s.token as string))];
    const lookups = new Map((await emulatorAdmin(emulator.url).lookup(distinct)).map((l, i) => [distinct[i], l]));
    const invalid = served
      .filter((s) => !validAt(lookups.get(s.token as string)!, s.at))
      .map((s) => ({ ...s, ...lookups.get(s.token as string) }));
    expect(invalid).toEqual([]);
    return [...lookups.values()];
  }

  it('serves only 200s with valid tokens through SENTINEL FAILOVER, and refreshes via the new primary', async () => {
    const oldPrimary = sentinel.primaryPort;
    await waitUntil('a first token in the primary', async () => (await sentinel.node(oldPrimary).exists(TOKEN)) === 1);
    const before = await emulatorAdmin(emulator.url).stats();
    const started = Date.now();
    const load = runLoad(
      replicas.map((r) => r.url),
      key,
      20_000,
    );
    await sleep(WINDOW_MS);

    // When the sentinels switch, and when the brokers' connections follow.
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const [master, moved] = await Promise.all([
          sentinel.masterPort().catch(() => undefined),
          brokerConnections(sentinel.replicaPort).catch(() => 0),
        ]);
        if (master === sentinel.replicaPort) switchedAt ??= Date.now();
        if (moved === replicas.length) brokersMovedAt ??= Date.now();
        await sleep(100);
      }
    })();
    const newPrimary = await sentinel.failover();
    const settledAt = Date.now();
    expect(newPrimary).toBe(sentinel.replicaPort);
    await refreshedOn(newPrimary, await fenceOn(newPrimary));
    const served = await load;
    watching = false;
    await watch;
    const elapsed = Date.now() - started;

    const lookups = await expectAllServedValid(served);
    // Tokens kept coming after the failover, and callers were given them.
    expect(lookups.filter((l) => (l.issuedAtMs as number) > settledAt).length).toBeGreaterThanOrEqual(1);
    // Every broker's command connection followed the primary; the old one now replicates it.
    expect((await sentinel.node(oldPrimary).role())[0]).toBe('slave');
    expect(await brokerConnections(newPrimary)).toBe(replicas.length);
    expect(await brokerConnections(oldPrimary)).toBe(0);
    // One token per window, at most one more for the failover, and no wasted upstream call.
    const stats = await emulatorAdmin(emulator.url).stats();
    expect(stats.tokensIssued - before.tokensIssued).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 1);
    expect(stats.tokenRequests).toBe(stats.tokensIssued);
  }, 60_000);

  // Not yet: ioredis learns of a failover only when the old primary drops its connections,
  // which Sentinel does when it demotes it, ~10 s after promoting the replica (its INFO period).
  // Until then every broker keeps reading and writing the old primary, and those writes are
  // lost (TokenRestorer writes the held token back on reconnect). With `failoverDetector: true`
  // in the Sentinel options of apps/broker/src/redis/redis-connect.ts, ioredis subscribes to
  // +switch-master and reconnects within ~1 s (measured with a plain ioredis client).
  it('moves every broker to the new primary within 3 s of the switch', () => {
    expect(switchedAt).toBeDefined();
    expect(brokersMovedAt! - switchedAt!).toBeLessThan(3_000);
  });

  it('keeps serving when the primary is killed, and refreshes via the promoted replica', async () => {
    const doomed = await sentinel.masterPort();
    const survivor = doomed === sentinel.primaryPort ? sentinel.replicaPort : sentinel.primaryPort;
    const load = runLoad(
      replicas.map((r) => r.url),
      key,
      15_000,
    );
    // Kill right after a refresh: the outage (down-after 1 s, election, reconnect) then falls
    // inside a window instead of on its refresh point.
    await refreshedOn(doomed, await fenceOn(doomed));
    const killedAt = Date.now();
    expect(await sentinel.killPrimary()).toBe(survivor);
    await refreshedOn(survivor, await fenceOn(survivor).catch(() => 0));
    const served = await load;

    const lookups = await expectAllServedValid(served);
    expect(lookups.filter((l) => (l.issuedAtMs as number) > killedAt).length).toBeGreaterThanOrEqual(1);
    expect(await brokerConnections(survivor)).toBe(replicas.length);
  }, 60_000);
});

import { BrokerClient } from '@proof-broker/client';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { emulatorAdmin } from '../support/emulator-admin';
import { startRedis, TestRedis } from '../support/redis-server';
import { TEST_CLIENTS } from '../support/broker';

const CONCURRENT = 1_000;
const BURST = 200;

/** The client's single flights against the real broker (Redis store) and the emulator. */
describe('BrokerClient single flight (real broker, Redis and emulator)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let key: string;
  const paths: string[] = [];
  const counting: typeof fetch = (input, init) => {
    paths.push(new URL(input instanceof Request ? input.url : input).pathname);
    return fetch(input, init);
  };
  const count = (path: string) => paths.filter((p) => p === path).length;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 120, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    broker = await startBrokerInProcess({
      ...brokerEnv({ emulator, callers, redis }),
      BROKER_UPSTREAM_TIMEOUT_MS: '10000',
      BROKER_LOCK_TTL_MS: '30000',
    });
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it(`makes 1 request to the broker for ${CONCURRENT} concurrent getToken() calls`, async () => {
    paths.length = 0;
    const client = new BrokerClient({ url: broker.url, key, fetch: counting });
    const tokens = await Promise.all(Array.from({ length: CONCURRENT }, () => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(paths).toEqual(['/token']);
    client.close();
  });

  it(`reports a token Proof revoked once for a burst of ${BURST} 401s, and every call succeeds on the new one`, async () => {
    paths.length = 0;
    const client = new BrokerClient({ url: broker.url, key, fetch: counting });
    const old = await client.getToken();
    const admin = emulatorAdmin(emulator.url);
    const checksBefore = (await admin.stats()).tokenInfoRequests;
    await admin.revokeAll();
    const responses = await Promise.all(
      Array.from({ length: BURST }, (_, i) => client.fetch(`${emulator.url}/v1/transactions/burst-${i}`)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(BURST).fill(200));
    expect(count('/token/rejected')).toBe(1);
    expect(count('/v1/transactions/burst-0')).toBe(2);
    expect(await client.getToken()).not.toBe(old);
    // The broker asked Proof about the reported token once.
    expect((await admin.stats()).tokenInfoRequests - checksBefore).toBe(1);
    client.close();
  }, 60_000);
});

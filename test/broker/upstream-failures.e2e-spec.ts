import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { emulatorAdmin } from '../support/emulator-admin';
import { testSecret } from '../support/leak-ledger';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep, waitUntil } from '../support/wait';
import { TEST_CLIENTS } from '../support/broker';

const CALLERS = [{ name: 'ops', roles: ['token:read' as const, 'token:info' as const], profiles: ['*'] }];

describe('upstream failures (real emulator, real Redis)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let callers: ReturnType<typeof writeCallersFile>;
  const brokers: InProcessBroker[] = [];
  const boot = async (env: NodeJS.ProcessEnv) => {
    const broker = await startBrokerInProcess({
      ...brokerEnv({ emulator, callers, redis }),
      ...env,
    });
    brokers.push(broker);
    return broker;
  };
  const auth = () => `Bearer ${callers.keys.ops}`;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 30, clients: TEST_CLIENTS });
    callers = writeCallersFile(CALLERS);
  });
  beforeEach(async () => {
    await redis.client().flushall();
    await emulatorAdmin(emulator.url).reset();
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await emulator?.close();
    await redis?.stop();
  });

  it('does not retry invalid_client in a loop, and shows it in /token/info', async () => {
    const wrong = testSecret();
    const broker = await boot({ PROOF_CLIENT_SECRET: wrong });
    const res = await request(broker.url).get('/token').set('Authorization', auth());
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('token_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
    expect(JSON.stringify(res.body)).not.toContain(wrong);
    for (let i = 0; i < 5; i++) await request(broker.url).get('/token').set('Authorization', auth()).expect(503);
    await sleep(1_000); // ten scheduler ticks
    expect((await emulatorAdmin(emulator.url).stats()).tokenRequests).toBe(1);
    const info = await request(broker.url).get('/token/info').set('Authorization', auth());
    expect(info.body).toMatchObject({
      servable: false,
      last_refresh: { outcome: 'permanent_failure', error: 'invalid_client' },
      consecutive_failures: 1,
    });
    expect(Date.parse(info.body.next_attempt_not_before)).toBeGreaterThan(Date.now() + 60_000);
  });

  it('backs off on 503 with Retry-After, then recovers on the first success', async () => {
    const admin = emulatorAdmin(emulator.url);
    await admin.fault({ mode: '503', count: 2, retryAfterSeconds: 1 });
    const started = Date.now();
    const broker = await boot({ BROKER_COLD_WAIT_MS: '8000' });
    const res = await request(broker.url).get('/token').set('Authorization', auth());
    expect(res.status).toBe(200);
    // Two 503s, each honoured for at least its Retry-After of 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    const stats = await admin.stats();
    expect(stats.tokenRequests).toBe(3);
    expect(stats.tokensIssued).toBe(1);
    const info = await request(broker.url).get('/token/info').set('Authorization', auth());
    expect(info.body.last_refresh.outcome).toBe('refreshed');
    expect(info.body.consecutive_failures).toBe(0);
  });

  it('treats a dropped connection and a timeout as transient', async () => {
    const admin = emulatorAdmin(emulator.url);
    await admin.fault({ mode: 'drop', count: 1 });
    await admin.fault({ mode: 'latency', count: 1, latencyMs: 3_000 });
    const broker = await boot({ BROKER_UPSTREAM_TIMEOUT_MS: '1000', BROKER_COLD_WAIT_MS: '8000' });
    const res = await request(broker.url).get('/token').set('Authorization', auth());
    expect(res.status).toBe(200);
    expect((await admin.stats()).tokenRequests).toBe(3);
  });

  it('answers 503 token_unavailable with Retry-After when Proof stays down past the wait', async () => {
    await emulatorAdmin(emulator.url).fault({ mode: '500', count: 1000 });
    const broker = await boot({ BROKER_COLD_WAIT_MS: '1000' });
    const res = await request(broker.url).get('/token').set('Authorization', auth());
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'token_unavailable', message: expect.any(String) });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Backoff keeps the request count low: far fewer than one per 100 ms tick.
    await sleep(1_500);
    expect((await emulatorAdmin(emulator.url).stats()).tokenRequests).toBeLessThanOrEqual(8);
    await emulatorAdmin(emulator.url).reset();
  });

  it('shares one cold-start refresh between 50 concurrent callers on two replicas', async () => {
    const [a, b] = await Promise.all([boot({}), boot({})]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request(i % 2 ? a.url : b.url)
          .get('/token')
          .set('Authorization', auth()),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect((await emulatorAdmin(emulator.url).stats()).tokenRequests).toBe(1);
  });

  it('rotates client secrets: uses the first while valid, falls back to the next once it is revoked', async () => {
    const [first, second] = [testSecret(), testSecret()];
    const both = await startEmulator({ admin: true, clients: `rot-app:${first}|${second}` });
    const onlySecond = await startEmulator({ admin: true, clients: `rot-app:${second}` });
    try {
      const env = { PROOF_CLIENT_ID: 'rot-app', PROOF_CLIENT_SECRET: `${first},${second}` };
      const a = await boot({ ...env, PROOF_BASE_URL: both.url });
      await request(a.url).get('/token').set('Authorization', auth()).expect(200);
      const infoA = await request(a.url).get('/token/info').set('Authorization', auth());
      expect(infoA.body.client_secret_position).toBe(1);
      expect((await emulatorAdmin(both.url).stats()).tokenRequests).toBe(1);

      await redis.client().flushall();
      const b = await boot({ ...env, PROOF_BASE_URL: onlySecond.url });
      await request(b.url).get('/token').set('Authorization', auth()).expect(200);
      const infoB = await request(b.url).get('/token/info').set('Authorization', auth());
      expect(infoB.body.client_secret_position).toBe(2);
      expect(infoB.body.last_refresh.outcome).toBe('refreshed');
      // One refused try with the first secret, one success with the second: no loop.
      expect((await emulatorAdmin(onlySecond.url).stats()).tokenRequests).toBe(2);
      expect(JSON.stringify(infoB.body)).not.toContain(second);
    } finally {
      await both.close();
      await onlySecond.close();
    }
  });

  it('runs on the embedded store without Redis', async () => {
    const broker = await boot({ REDIS_URL: '' });
    await waitUntil('readiness', async () => (await fetch(`${broker.url}/health/ready`)).status === 200, 5_000);
    const res = await request(broker.url).get('/token').set('Authorization', auth());
    expect(res.status).toBe(200);
    const info = await request(broker.url).get('/token/info').set('Authorization', auth());
    expect(info.body.store).toBe('memory');
  });
});

import request from 'supertest';
import { Lifecycle } from '../../apps/broker/src/health/lifecycle.service';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import {
  FAST_TIMINGS,
  InProcessBroker,
  startBrokerInProcess,
  TEST_APP,
  TEST_CLIENTS,
  writeCallersFile,
} from '../support/broker';
import { startRedis, TestRedis } from '../support/redis-server';
import { waitUntil } from '../support/wait';

describe('health probes and metrics (real Redis, real emulator)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let key: string;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    broker = await startBrokerInProcess({
      ...FAST_TIMINGS,
      REDIS_URL: redis.url,
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: TEST_APP.secret,
      BROKER_CALLERS_FILE: callers.path,
    });
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it('is ready once a token is held, with a Terminus report', async () => {
    await waitUntil('readiness', async () => (await fetch(`${broker.url}/health/ready`)).status === 200, 10_000);
    const res = await request(broker.url).get('/health/ready');
    expect(res.body).toMatchObject({
      status: 'ok',
      details: { lifecycle: { status: 'up' }, tokens: { status: 'up', profiles: 1 } },
    });
  });

  it('exports the TTL gauge, served counter and refresh outcomes, without secrets', async () => {
    const token = await request(broker.url).get('/token').set('Authorization', `Bearer ${key}`).expect(200);
    const res = await request(broker.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const ttl = Number(/broker_token_ttl_seconds\{profile="default"\} ([\d.]+)/.exec(res.text)?.[1]);
    expect(ttl).toBeGreaterThan(7000);
    expect(res.text).toMatch(/broker_tokens_served_total\{profile="default",caller="svc"\} [1-9]/);
    expect(res.text).toMatch(/broker_refreshes_total\{profile="default",outcome="refreshed"\} 1/);
    expect(res.text).toMatch(/broker_lock_total\{profile="default",result="acquired"\} [1-9]/);
    expect(res.text).toMatch(
      /broker_upstream_request_duration_seconds_count\{profile="default",status_class="2xx"\} 1/,
    );
    expect(res.text).toMatch(/broker_redis_up 1/);
    expect(res.text).toMatch(/^broker_log_lines_dropped_total 0$/m);
    expect(res.text).toContain('process_resident_memory_bytes');
    for (const secret of [token.body.access_token as string, key, TEST_APP.secret])
      expect(res.text).not.toContain(secret);
  });

  it('serves the OpenAPI UI and JSON at /docs', async () => {
    const ui = await request(broker.url).get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
    const json = await request(broker.url).get('/docs-json');
    expect(json.status).toBe(200);
    expect(Object.keys(json.body.paths)).toContain('/token');
  });

  it('turns readiness red when draining, while liveness stays green', async () => {
    broker.app.get(Lifecycle).startDraining();
    const ready = await request(broker.url).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'error', error: { lifecycle: { status: 'down' } } });
    await request(broker.url).get('/health/live').expect(200);
  });
});

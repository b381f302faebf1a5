import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { testSecret } from '../support/leak-ledger';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep } from '../support/wait';

const ALPHA_SECRET = testSecret();
const BETA_SECRET = testSecret();
const CALLERS = [
  { name: 'reader', roles: ['token:read' as const], profiles: ['alpha'] },
  { name: 'dashboard', roles: ['token:info' as const], profiles: ['*'] },
  { name: 'ops', roles: ['token:read' as const, 'token:info' as const], profiles: ['*'] },
];

describe('GET /token and /token/info (real Redis, real emulator)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let keys: Record<string, string>;
  const bearer = (name: string) => `Bearer ${keys[name]}`;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({
      admin: true,
      tokenTtlSeconds: 30,
      clients: `alpha-app:${ALPHA_SECRET},beta-app:${BETA_SECRET}`,
    });
    const dir = mkdtempSync(join(tmpdir(), 'broker-profiles-'));
    writeFileSync(
      join(dir, 'profiles.json'),
      JSON.stringify([
        { name: 'alpha', baseUrl: emulator.url, clientId: 'alpha-app', clientSecret: ALPHA_SECRET },
        { name: 'beta', baseUrl: emulator.url, clientId: 'beta-app', clientSecret: BETA_SECRET, scope: 'read' },
      ]),
    );
    const callers = writeCallersFile(CALLERS);
    keys = callers.keys;
    broker = await startBrokerInProcess({
      ...FAST_TIMINGS,
      REDIS_URL: redis.url,
      BROKER_PROFILES_FILE: join(dir, 'profiles.json'),
      BROKER_CALLERS_FILE: callers.path,
      BROKER_RECONCILE_INTERVAL_MS: '60000',
    });
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown key', 'Bearer not-a-real-key'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['an oversized key', `Bearer ${'k'.repeat(5000)}`],
  ])('answers 401 unauthenticated for %s', async (_case, authorization) => {
    const req = request(broker.url).get('/token?profile=alpha');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthenticated', message: expect.any(String) });
  });

  it.each([
    ['GET /token without token:read', '/token?profile=alpha', 'dashboard'],
    ['GET /token/info without token:info', '/token/info?profile=alpha', 'reader'],
    ['a profile the caller lacks', '/token?profile=beta', 'reader'],
    ['an unknown profile the caller lacks', '/token?profile=nope', 'reader'],
  ])('answers 403 forbidden for %s', async (_case, path, caller) => {
    const res = await request(broker.url).get(path).set('Authorization', bearer(caller));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
  });

  it('answers 404 unknown_profile to a caller allowed every profile', async () => {
    const res = await request(broker.url).get('/token?profile=nope').set('Authorization', bearer('ops'));
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('unknown_profile');
  });

  it('asks to name a profile when several are configured', async () => {
    const res = await request(broker.url).get('/token').set('Authorization', bearer('ops'));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('profile_required');
  });

  it.each([
    ['a non-numeric min_ttl', '/token?profile=alpha&min_ttl=abc'],
    ['a negative min_ttl', '/token?profile=alpha&min_ttl=-5'],
    ['an unknown parameter', '/token?profile=alpha&foo=1'],
    ['a repeated profile', '/token?profile=alpha&profile=alpha'],
  ])('answers 400 invalid_request for %s', async (_case, path) => {
    const res = await request(broker.url).get(path).set('Authorization', bearer('ops'));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('serves a valid Proof token with the documented body and no-store headers', async () => {
    const before = Date.now();
    const res = await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('reader'));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['pragma']).toBe('no-cache');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      expires_at: expect.any(String),
      refresh_at: expect.any(String),
      refresh_in: expect.any(Number),
      scope: 'read write',
      profile: 'alpha',
    });
    expect(res.body.expires_in).toBeGreaterThan(20);
    expect(res.body.expires_in).toBeLessThanOrEqual(30);
    expect(Math.abs(Date.parse(res.body.expires_at) - (before + res.body.expires_in * 1000))).toBeLessThan(3_000);
    // The refresh hint comes before expiry, and refresh_in counts down to it.
    expect(Date.parse(res.body.refresh_at)).toBeLessThan(Date.parse(res.body.expires_at));
    expect(res.body.refresh_in).toBeLessThan(res.body.expires_in);
    expect(Math.abs(Date.parse(res.body.refresh_at) - (before + res.body.refresh_in * 1000))).toBeLessThan(3_000);
    const [lookup] = await emulatorAdmin(emulator.url).lookup([res.body.access_token]);
    expect(validAt(lookup, Date.now())).toBe(true);
    expect(lookup.clientId).toBe('alpha-app');
    // And Proof itself accepts it, the way a caller will use it.
    const info = await request(emulator.url)
      .get('/oauth/v2/token/info')
      .set('Authorization', `Bearer ${res.body.access_token}`);
    expect(info.status).toBe(200);
  });

  it("uses each profile's own credentials and scope", async () => {
    const res = await request(broker.url).get('/token?profile=beta').set('Authorization', bearer('ops'));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read');
    const [lookup] = await emulatorAdmin(emulator.url).lookup([res.body.access_token]);
    expect(lookup.clientId).toBe('beta-app');
  });

  it('serves from memory: no upstream request and no Redis command per GET /token', async () => {
    await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('reader')).expect(200);
    const admin = emulatorAdmin(emulator.url);
    const upstreamBefore = (await admin.stats()).tokenRequests;
    const redisClient = redis.client();
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await redisClient.info('stats'))?.[1]);
    const before = await commands();
    const tokens = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('reader'));
      tokens.add(res.body.access_token as string);
    }
    const after = await commands();
    expect(tokens.size).toBe(1);
    expect((await admin.stats()).tokenRequests).toBe(upstreamBefore);
    // Only our own INFO call plus the few scheduler ticks' lock attempts may show up; 40 requests did not.
    expect(after - before).toBeLessThan(10);
  });

  it('honours min_ttl: same token when it has enough left, 503 when no token could', async () => {
    const first = await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('reader'));
    const enough = await request(broker.url)
      .get('/token?profile=alpha&min_ttl=5')
      .set('Authorization', bearer('reader'));
    expect(enough.status).toBe(200);
    expect(enough.body.access_token).toBe(first.body.access_token);
    const impossible = await request(broker.url)
      .get('/token?profile=alpha&min_ttl=3600')
      .set('Authorization', bearer('reader'));
    expect(impossible.status).toBe(503);
    expect(impossible.body.error).toBe('min_ttl_unsatisfiable');
    expect(Number(impossible.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('forces an early refresh for a min_ttl the current token cannot meet', async () => {
    const first = await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('reader'));
    // 30 s tokens: after ~4 s the token is older than a tenth of its life and has < 27 s left.
    await sleep(4_000);
    const res = await request(broker.url).get('/token?profile=alpha&min_ttl=27').set('Authorization', bearer('reader'));
    expect(res.status).toBe(200);
    expect(res.body.access_token).not.toBe(first.body.access_token);
    expect(res.body.expires_in).toBeGreaterThanOrEqual(27);
  });

  it('shows TTL metadata on /token/info, never the token', async () => {
    const token = await request(broker.url).get('/token?profile=alpha').set('Authorization', bearer('ops'));
    const res = await request(broker.url).get('/token/info?profile=alpha').set('Authorization', bearer('dashboard'));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      profile: 'alpha',
      servable: true,
      scope: 'read write',
      fence: expect.any(Number),
      fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
      last_refresh: { replica: expect.any(String), outcome: 'refreshed', error: null },
      consecutive_failures: 0,
      store: 'redis',
    });
    expect(res.body.expires_in).toBeGreaterThan(0);
    expect(Date.parse(res.body.next_refresh_at)).toBeLessThan(Date.parse(res.body.expires_at));
    // The hint GET /token gave for the same token: no replica's planned refresh comes before it.
    expect(res.body.refresh_at).toBe(token.body.refresh_at);
    expect(Date.parse(res.body.next_refresh_at)).toBeGreaterThanOrEqual(Date.parse(res.body.refresh_at));
    expect(JSON.stringify(res.body)).not.toContain(token.body.access_token);
  });

  it('sets security headers on every answer, and refuses a key passed in the query string', async () => {
    for (const path of ['/token?profile=alpha', '/token/info?profile=alpha', '/health/live', '/nope']) {
      const res = await request(broker.url).get(path).set('Authorization', bearer('ops'));
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
    const res = await request(broker.url).get(`/token?profile=alpha&key=${keys.ops}`);
    expect(res.status).toBe(401);
    const withAuth = await request(broker.url)
      .get(`/token?profile=alpha&api_key=${keys.ops}`)
      .set('Authorization', bearer('ops'));
    expect(withAuth.status).toBe(400);
    expect(withAuth.body.error).toBe('invalid_request');
    expect(JSON.stringify(withAuth.body)).not.toContain(keys.ops);
  });

  it('answers liveness without auth, and a stable 404 for unknown routes', async () => {
    const live = await request(broker.url).get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    const res = await request(broker.url).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

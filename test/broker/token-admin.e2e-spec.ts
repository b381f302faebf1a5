import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { runLoad } from '../support/load';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep, waitUntil } from '../support/wait';
import { TEST_APP, TEST_CLIENTS } from '../support/broker';
import { recordSecret } from '../support/leak-ledger';

const OTHER_SECRET = randomBytes(24).toString('base64url');
recordSecret('client-secret', OTHER_SECRET);

/** 60 s tokens: a forced refresh is refused for 6 s after each token (a tenth of its life). */
const TTL_SECONDS = 60;
const CONCURRENT = 25;

describe('POST /token/refresh (real Redis, real emulator)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let keys: Record<string, string>;
  const bearer = (name: string) => `Bearer ${keys[name]}`;
  const refresh = (caller?: string, path = '/token/refresh') => {
    const req = request(broker.url).post(path);
    return caller ? req.set('Authorization', bearer(caller)) : req;
  };
  /** Token requests of profile `default`'s application. */
  const tokenRequests = async () => (await emulatorAdmin(emulator.url).stats()).clients.app?.tokenRequests ?? 0;
  /** Lock attempts (acquired or contended) for profile `default`, from /metrics. */
  const lockAttempts = async () => {
    const text = (await request(broker.url).get('/metrics')).text;
    return [...text.matchAll(/broker_lock_total\{profile="default",result="(?:acquired|contended)"\} (\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  };
  const currentToken = async () =>
    (await request(broker.url).get('/token').set('Authorization', bearer('reader')).expect(200)).body
      .access_token as string;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({
      admin: true,
      tokenTtlSeconds: TTL_SECONDS,
      clients: `${TEST_CLIENTS},other-app:${OTHER_SECRET}`,
    });
    const profiles = join(mkdtempSync(join(tmpdir(), 'broker-profiles-')), 'profiles.json');
    writeFileSync(
      profiles,
      JSON.stringify([
        { name: 'default', baseUrl: emulator.url, clientId: TEST_APP.id, clientSecret: TEST_APP.secret },
        { name: 'other', baseUrl: emulator.url, clientId: 'other-app', clientSecret: OTHER_SECRET },
      ]),
    );
    const callers = writeCallersFile([
      { name: 'reader', roles: ['token:read'], profiles: ['default'] },
      { name: 'ops', roles: ['token:read', 'token:info'], profiles: ['*'] },
      { name: 'root', roles: ['admin'], profiles: ['*'] },
      { name: 'other-admin', roles: ['admin'], profiles: ['other'] },
    ]);
    keys = callers.keys;
    broker = await startBrokerInProcess({
      ...FAST_TIMINGS,
      REDIS_URL: redis.url,
      BROKER_PROFILES_FILE: profiles,
      BROKER_CALLERS_FILE: callers.path,
      // No scheduled refresh while the tests count Proof's token requests.
      BROKER_REFRESH_AT_FRACTION: '0.9',
    });
    // The boot-time refresh is done before anything is counted.
    await currentToken();
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it.each([
    ['no caller key', undefined, 401, 'unauthenticated'],
    ['a token:read caller', 'reader', 403, 'forbidden'],
    ['a token:read + token:info caller', 'ops', 403, 'forbidden'],
    ['an admin of another profile', 'other-admin', 403, 'forbidden'],
  ])('refuses %s', async (_case, caller, status, error) => {
    const before = await tokenRequests();
    const res = await refresh(caller);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(await tokenRequests()).toBe(before);
  });

  it('answers 400 for an unknown query parameter and 404 for an unknown profile', async () => {
    const unknownParameter = await refresh('root', '/token/refresh?profile=default&force=1');
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body.error).toBe('invalid_request');
    const unknownProfile = await refresh('root', '/token/refresh?profile=nope');
    expect(unknownProfile.status).toBe(404);
    expect(unknownProfile.body.error).toBe('unknown_profile');
  });

  it('refuses a refresh of a token younger than a tenth of its life: 429 refresh_too_soon with Retry-After', async () => {
    // Stand alone: start from a token refreshed just now, however long the earlier tests took
    // (on a loaded machine the boot-time token can be past a tenth of its life by now).
    const first = await refresh('root', '/token/refresh?profile=default');
    if (first.status === 429) await sleep(Number(first.headers['retry-after']) * 1000 + 200);
    if (first.status === 429) expect((await refresh('root', '/token/refresh?profile=default')).status).toBe(200);
    else expect(first.status).toBe(200);
    const token = await currentToken();
    const before = await tokenRequests();
    const res = await refresh('root', '/token/refresh?profile=default');
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'refresh_too_soon', message: expect.any(String) });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(TTL_SECONDS / 10);
    expect(await tokenRequests()).toBe(before);
    expect(await currentToken()).toBe(token);
  });

  it(`makes exactly one refresh for ${CONCURRENT} concurrent calls, and answers metadata only`, async () => {
    const admin = emulatorAdmin(emulator.url);
    const old = await currentToken();
    const oldFence = (await request(broker.url).get('/token/info').set('Authorization', bearer('ops'))).body
      .fence as number;
    // Wait until the token is old enough, as the 429 says.
    const tooSoon = await refresh('root');
    if (tooSoon.status === 429) await sleep(Number(tooSoon.headers['retry-after']) * 1000 + 200);
    const before = await tokenRequests();
    const locksBefore = await lockAttempts();
    // A slow Proof keeps the refresh in flight while every call arrives.
    await admin.fault({ mode: 'latency', count: 1, latencyMs: 800 });
    const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => refresh('root')));
    const after = await tokenRequests();

    expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(200));
    expect(after - before).toBe(1);
    // Single flight: the calls shared one refresh, not one lock attempt each.
    expect((await lockAttempts()) - locksBefore).toBe(1);
    const fences = new Set(responses.map((r) => r.body.fence as number));
    expect(fences.size).toBe(1);
    const [fence] = [...fences];
    expect(fence).toBeGreaterThan(oldFence);
    const body = responses[0].body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'created_at',
        'expires_at',
        'expires_in',
        'fence',
        'fingerprint',
        'outcome',
        'profile',
        'refresh_at',
        'refresh_in',
        'refreshed_by',
      ].sort(),
    );
    expect(body).toMatchObject({
      profile: 'default',
      outcome: 'refreshed',
      fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(body.expires_in).toBeGreaterThan(TTL_SECONDS - 5);
    expect(body.refresh_in).toBeLessThan(body.expires_in as number);
    expect(responses[0].headers['cache-control']).toBe('no-store');

    const fresh = await currentToken();
    expect(fresh).not.toBe(old);
    for (const r of responses) {
      expect(r.text).not.toContain(fresh);
      expect(r.text).not.toContain(old);
    }
    const info = await request(broker.url).get('/token/info').set('Authorization', bearer('ops'));
    expect(info.body).toMatchObject({ fence, fingerprint: body.fingerprint });
    const [lookup] = await admin.lookup([fresh]);
    expect(validAt(lookup, Date.now())).toBe(true);
    // The new token is young: the next call is refused until a tenth of its life has passed.
    const again = await refresh('root');
    expect(again.status).toBe(429);
    expect(again.body.error).toBe('refresh_too_soon');
  });
});

describe('POST /token/refresh under revoke-previous (the hand-over applies)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let keys: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({
      admin: true,
      tokenTtlSeconds: 20,
      tokenPolicy: 'revoke-previous',
      clients: TEST_CLIENTS,
    });
    const callers = writeCallersFile([
      { name: 'svc', roles: ['token:read'], profiles: ['default'] },
      { name: 'root', roles: ['admin'], profiles: ['default'] },
    ]);
    keys = callers.keys;
    broker = await startBrokerInProcess({
      ...FAST_TIMINGS,
      REDIS_URL: redis.url,
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: TEST_APP.secret,
      PROOF_TOKEN_POLICY: 'revoke-previous',
      BROKER_CALLERS_FILE: callers.path,
      BROKER_REFRESH_AT_FRACTION: '0.9',
    });
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it('never serves the token the forced refresh revokes, while callers keep asking', async () => {
    const admin = emulatorAdmin(emulator.url);
    await waitUntil('a first token', async () => (await fetch(`${broker.url}/health/ready`)).status === 200);
    // 20 s tokens: a forced refresh is allowed once the token is 2 s old.
    await sleep(2_500);
    const load = runLoad([broker.url], keys.svc, 3_000);
    await sleep(1_000);
    const res = await request(broker.url).post('/token/refresh').set('Authorization', `Bearer ${keys.root}`);
    const served = await load;

    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('refreshed');
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    const distinct = [...new Set(served.map((s) => s.token as string))];
    // The old token before the refresh, the new one after.
    expect(distinct).toHaveLength(2);
    const lookups = new Map((await admin.lookup(distinct)).map((l, i) => [distinct[i], l]));
    expect([...lookups.values()].filter((l) => l.revokedAtMs !== null)).toHaveLength(1);
    expect(served.filter((s) => !validAt(lookups.get(s.token as string)!, s.at))).toEqual([]);
  });
});

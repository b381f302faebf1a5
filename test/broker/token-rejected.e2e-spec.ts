import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep } from '../support/wait';
import { TEST_CLIENTS } from '../support/broker';

const STORM = 1_000;
/** Proof's "alive" stands this long: longer than a storm takes on a loaded machine. */
const RECHECK_MS = 60_000;
/** A storm of reports through Nest's pipeline on a busy 2-core machine takes seconds. */
const STORM_TIMEOUT_MS = 90_000;

interface Report {
  readonly status: number;
  readonly body: { verdict?: string; fence?: number | null; error?: string };
  readonly text: string;
}

/** Each test has a Redis, emulator and broker of its own: no verdict or token outlives a test. */
describe('POST /token/rejected (real Redis, real emulator)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let keys: Record<string, string>;
  const bearer = (name: string) => `Bearer ${keys[name]}`;
  const currentToken = async () =>
    (await request(broker.url).get('/token').set('Authorization', bearer('reader')).expect(200)).body
      .access_token as string;
  const report = async (caller: string, body: unknown): Promise<Report> => {
    const response = await fetch(`${broker.url}/token/rejected`, {
      method: 'POST',
      headers: { authorization: bearer(caller), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Report['body'], text };
  };
  /** `STORM` concurrent reports of `token`, spread over two callers (token:read and admin). */
  const storm = (token: string) =>
    Promise.all(Array.from({ length: STORM }, (_, i) => report(i % 2 ? 'reader' : 'root', { access_token: token })));

  beforeEach(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 120, clients: TEST_CLIENTS });
    const callers = writeCallersFile([
      { name: 'reader', roles: ['token:read'], profiles: ['default'] },
      { name: 'dashboard', roles: ['token:info'], profiles: ['*'] },
      { name: 'root', roles: ['admin'], profiles: ['*'] },
    ]);
    keys = callers.keys;
    broker = await startBrokerInProcess({
      ...brokerEnv({ emulator, callers, redis }),
      BROKER_REJECTION_RECHECK_MS: String(RECHECK_MS),
      // The emulator answers from the test's own (storm-busy) process: a generous deadline, so
      // the one token/info request is not cut short by a loaded machine.
      BROKER_UPSTREAM_TIMEOUT_MS: '10000',
      BROKER_LOCK_TTL_MS: '30000',
    });
    await currentToken();
  });
  afterEach(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it('needs a caller key, and token:read or admin for the profile', async () => {
    const token = await currentToken();
    const anonymous = await request(broker.url).post('/token/rejected').send({ access_token: token });
    expect(anonymous.status).toBe(401);
    const dashboard = await report('dashboard', { access_token: token });
    expect(dashboard.status).toBe(403);
    expect(dashboard.body.error).toBe('forbidden');
    const other = await report('reader', { profile: 'other', access_token: token });
    expect(other.status).toBe(403);
    expect(other.text).not.toContain(token);
  });

  it.each([
    ['an unknown field', { access_token: 'x', extra: 1 }],
    ['no access_token', { profile: 'default' }],
    ['an empty access_token', { access_token: '' }],
    ['a non-string profile', { profile: 7, access_token: 'x' }],
  ])('answers 400 invalid_request for %s', async (_case, body) => {
    const res = await report('reader', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers 400 to a profile in the query, and never quotes the token in errors', async () => {
    const token = await currentToken();
    const res = await request(broker.url)
      .post('/token/rejected?profile=default')
      .set('Authorization', bearer('reader'))
      .send({ access_token: token });
    expect(res.status).toBe(400);
    const unknown = await report('reader', { access_token: token, note: token });
    expect(unknown.status).toBe(400);
    expect(unknown.text).not.toContain(token);
  });

  it('answers "replaced" to a token that is not the current one, without asking Proof', async () => {
    const admin = emulatorAdmin(emulator.url);
    const before = await admin.stats();
    const res = await report('reader', { access_token: 'an-old-token-the-broker-no-longer-serves' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ verdict: 'replaced', profile: 'default', fence: expect.any(Number) });
    const after = await admin.stats();
    expect(after.tokenInfoRequests).toBe(before.tokenInfoRequests);
    expect(after.tokenRequests).toBe(before.tokenRequests);
  });

  it(
    `after Proof revoked the token: ${STORM} concurrent reports make one check and one refresh, and GET /token serves a valid new token`,
    async () => {
      const admin = emulatorAdmin(emulator.url);
      const token = await currentToken();
      expect((await admin.revokeAll()).revoked).toBeGreaterThanOrEqual(1);
      const before = await admin.stats();
      const started = Date.now();
      const reports = await storm(token);
      const elapsed = Date.now() - started;
      const verdicts = reports.map((r) => r.body.verdict);
      const after = await admin.stats();
      console.log(
        `revoked storm: ${STORM} reports in ${elapsed} ms, token/info ${after.tokenInfoRequests - before.tokenInfoRequests}, token requests ${after.tokenRequests - before.tokenRequests}, refreshed ${verdicts.filter((v) => v === 'refreshed').length}, replaced ${verdicts.filter((v) => v === 'replaced').length}`,
      );

      expect(reports.filter((r) => r.status !== 200)).toEqual([]);
      expect(verdicts).toContain('refreshed');
      expect(verdicts.every((v) => v === 'refreshed' || v === 'replaced')).toBe(true);
      expect(after.tokenInfoRequests - before.tokenInfoRequests).toBe(1);
      expect(after.tokenRequests - before.tokenRequests).toBeLessThanOrEqual(1);
      expect(after.tokensIssued - before.tokensIssued).toBe(1);
      const fences = new Set(reports.map((r) => r.body.fence));
      expect(fences.size).toBe(1);

      const fresh = await currentToken();
      expect(fresh).not.toBe(token);
      const [lookup] = await admin.lookup([fresh]);
      expect(validAt(lookup, Date.now())).toBe(true);
      for (const r of reports) expect(r.text).not.toContain(token);
      // The old token, reported again, is simply replaced: no further upstream call.
      expect((await report('reader', { access_token: token })).body.verdict).toBe('replaced');
      expect((await admin.stats()).tokenInfoRequests).toBe(after.tokenInfoRequests);
      // And Proof itself accepts the new token, the way a caller will use it.
      const info = await request(emulator.url).get('/oauth/v2/token/info').set('Authorization', `Bearer ${fresh}`);
      expect(info.status).toBe(200);
    },
    STORM_TIMEOUT_MS,
  );

  it(
    `asks Proof once for ${STORM} concurrent reports of a live token, and changes nothing`,
    async () => {
      const admin = emulatorAdmin(emulator.url);
      const token = await currentToken();
      const before = await admin.stats();
      const started = Date.now();
      const reports = await storm(token);
      const elapsed = Date.now() - started;
      const after = await admin.stats();
      console.log(
        `live storm: ${STORM} reports in ${elapsed} ms, token/info ${after.tokenInfoRequests - before.tokenInfoRequests}, token requests ${after.tokenRequests - before.tokenRequests}`,
      );

      expect(reports.filter((r) => r.status !== 200)).toEqual([]);
      expect(new Set(reports.map((r) => r.body.verdict))).toEqual(new Set(['alive']));
      expect(after.tokenInfoRequests - before.tokenInfoRequests).toBe(1);
      expect(after.tokenRequests).toBe(before.tokenRequests);
      expect(await currentToken()).toBe(token);
      // Within the recheck period, Proof's answer stands.
      expect((await report('reader', { access_token: token })).body.verdict).toBe('alive');
      expect((await admin.stats()).tokenInfoRequests).toBe(after.tokenInfoRequests);
    },
    STORM_TIMEOUT_MS,
  );
});

describe('POST /token/rejected in /metrics (a broker of its own)', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let key: string;

  beforeEach(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 120, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'reader', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.reader;
    broker = await startBrokerInProcess(brokerEnv({ emulator, callers, redis }));
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
    await redis?.stop();
  });

  const currentToken = async () =>
    (await request(broker.url).get('/token').set('Authorization', `Bearer ${key}`).expect(200)).body
      .access_token as string;
  const verdictOf = async (accessToken: string) =>
    (
      await request(broker.url)
        .post('/token/rejected')
        .set('Authorization', `Bearer ${key}`)
        .send({ access_token: accessToken })
        .expect(200)
    ).body.verdict as string;
  const counted = (text: string, verdict: string) =>
    Number(
      new RegExp(`broker_token_rejections_total\\{profile="default",verdict="${verdict}"\\} (\\d+)`).exec(text)?.[1],
    );

  it('counts reports by verdict in /metrics, without the token', async () => {
    const before = (await request(broker.url).get('/metrics')).text;
    expect(await verdictOf('a-token-this-broker-never-handed-to-anyone')).toBe('replaced');
    const revoked = await currentToken();
    await emulatorAdmin(emulator.url).revokeAll();
    expect(await verdictOf(revoked)).toBe('refreshed');
    const fresh = await currentToken();
    expect(await verdictOf(fresh)).toBe('alive');
    const after = (await request(broker.url).get('/metrics')).text;
    for (const verdict of ['replaced', 'refreshed', 'alive'])
      expect(counted(after, verdict) - counted(before, verdict)).toBe(1);
    expect(counted(after, 'check_failed')).toBe(counted(before, 'check_failed'));
    expect(after).not.toContain(revoked);
    expect(after).not.toContain(fresh);
  });
});

describe('POST /token/rejected on the embedded store (no Redis), short recheck period', () => {
  const RECHECK = 1_000;
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let key: string;
  const token = async () =>
    (await request(broker.url).get('/token').set('Authorization', `Bearer ${key}`).expect(200)).body
      .access_token as string;
  const report = async (accessToken: string) =>
    (
      await request(broker.url)
        .post('/token/rejected')
        .set('Authorization', `Bearer ${key}`)
        .send({ access_token: accessToken })
    ).body as { verdict: string; fence: number };

  beforeAll(async () => {
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 120, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    broker = await startBrokerInProcess({
      ...brokerEnv({ emulator, callers }),
      BROKER_REJECTION_RECHECK_MS: String(RECHECK),
    });
  });
  afterAll(async () => {
    await broker?.close();
    await emulator?.close();
  });

  it('answers "alive" for a live token, keeps that answer for the recheck period, then finds it revoked and refreshes', async () => {
    const admin = emulatorAdmin(emulator.url);
    const live = await token();
    const start = await admin.stats();
    const first = await report(live);
    expect(first.verdict).toBe('alive');
    await admin.revokeAll();
    // Proof's "alive" stands: no second check, no refresh yet.
    expect((await report(live)).verdict).toBe('alive');
    const standing = await admin.stats();
    expect(standing.tokenInfoRequests - start.tokenInfoRequests).toBe(1);
    expect(standing.tokenRequests).toBe(start.tokenRequests);
    await sleep(RECHECK + 200);
    const second = await report(live);
    expect(second.verdict).toBe('refreshed');
    expect(second.fence).toBeGreaterThan(first.fence);
    const end = await admin.stats();
    expect(end.tokenInfoRequests - start.tokenInfoRequests).toBe(2);
    expect(end.tokenRequests - start.tokenRequests).toBe(1);
    const fresh = await token();
    expect(fresh).not.toBe(live);
    const [lookup] = await admin.lookup([fresh]);
    expect(validAt(lookup, Date.now())).toBe(true);
  });
});

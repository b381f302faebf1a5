import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, InProcessBroker, startBrokerInProcess, writeCallersFile } from '../support/broker';
import { sleep } from '../support/wait';
import { TEST_CLIENTS } from '../support/broker';

// Windows long enough that a slow, shared machine finishes each burst well inside one.
const WINDOW_MS = 5_000;
const CALLERS = [
  { name: 'busy', roles: ['token:read' as const, 'token:info' as const], profiles: ['*'] },
  { name: 'quiet', roles: ['token:read' as const, 'token:info' as const], profiles: ['*'] },
];

/** The embedded store (one replica): rate limits are per replica and never touch Redis. */
async function brokerWith(emulator: StartedEmulator, env: NodeJS.ProcessEnv) {
  const callers = writeCallersFile(CALLERS);
  const broker = await startBrokerInProcess({
    ...brokerEnv({ emulator, callers }),
    BROKER_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
    ...env,
  });
  return { broker, bearer: (name: string) => `Bearer ${callers.keys[name]}` };
}

const expectRateLimited = (res: request.Response) => {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: 'rate_limited', message: expect.any(String) });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
  return retryAfter;
};

describe('rate limits (in-process broker, real emulator)', () => {
  let emulator: StartedEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ clients: TEST_CLIENTS });
  });
  afterAll(() => emulator?.close());

  describe('per caller', () => {
    let broker: InProcessBroker;
    let bearer: (name: string) => string;
    beforeAll(async () => {
      ({ broker, bearer } = await brokerWith(emulator, { BROKER_RATE_LIMIT_PER_CALLER: '5' }));
    });
    afterAll(() => broker?.close());

    it('answers 429 rate_limited with Retry-After on GET /token and GET /token/info, to that caller only, until the window ends', async () => {
      const get = (path: string, caller: string) => request(broker.url).get(path).set('Authorization', bearer(caller));
      // One budget per caller across routes: 3 + 2 requests use it up.
      for (let i = 0; i < 3; i++) expect((await get('/token', 'busy')).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await get('/token/info', 'busy')).status).toBe(200);
      const retryAfter = expectRateLimited(await get('/token', 'busy'));
      expectRateLimited(await get('/token/info', 'busy'));
      // The other caller is unaffected.
      expect((await get('/token', 'quiet')).status).toBe(200);
      expect((await get('/token/info', 'quiet')).status).toBe(200);
      // Retry-After is honest: after it, the caller is served again.
      await sleep(retryAfter * 1000 + 250);
      expect((await get('/token', 'busy')).status).toBe(200);
      expect((await get('/token/info', 'busy')).status).toBe(200);
    });
  });

  describe('failed authentications per address', () => {
    let broker: InProcessBroker;
    let bearer: (name: string) => string;
    beforeAll(async () => {
      ({ broker, bearer } = await brokerWith(emulator, { BROKER_RATE_LIMIT_AUTH_FAILURES: '3' }));
    });
    afterAll(() => broker?.close());

    it('turns the address away with 429 before checking keys once it used its budget, then recovers', async () => {
      const get = (path: string, authorization?: string) => {
        const req = request(broker.url).get(path);
        return authorization === undefined ? req : req.set('Authorization', authorization);
      };
      expect((await get('/token', 'Bearer guess-1')).status).toBe(401);
      expect((await get('/token/info', 'Bearer guess-2')).status).toBe(401);
      expect((await get('/token')).status).toBe(401);
      const retryAfter = expectRateLimited(await get('/token', 'Bearer guess-3'));
      // Even a valid key gets no answer from this address now: guessing cannot tell hits from misses.
      expectRateLimited(await get('/token', bearer('busy')));
      expectRateLimited(await get('/token/info', bearer('busy')));
      await sleep(retryAfter * 1000 + 250);
      expect((await get('/token', bearer('busy'))).status).toBe(200);
      expect((await get('/token', 'Bearer guess-4')).status).toBe(401);
    });
  });

  describe('behind a trusted load balancer (BROKER_TRUSTED_PROXIES)', () => {
    let trusting: InProcessBroker;
    let untrusting: InProcessBroker;
    let bearer: (name: string) => string;
    beforeAll(async () => {
      ({ broker: trusting, bearer } = await brokerWith(emulator, {
        BROKER_RATE_LIMIT_AUTH_FAILURES: '2',
        BROKER_TRUSTED_PROXIES: 'loopback',
      }));
      ({ broker: untrusting } = await brokerWith(emulator, { BROKER_RATE_LIMIT_AUTH_FAILURES: '2' }));
    });
    afterAll(async () => {
      await trusting?.close();
      await untrusting?.close();
    });

    const from = (broker: InProcessBroker, client: string, authorization: string) =>
      request(broker.url).get('/token').set('X-Forwarded-For', client).set('Authorization', authorization);

    it('counts failures per forwarded client: one client guessing does not lock out the others', async () => {
      for (const guess of ['Bearer guess-a', 'Bearer guess-b'])
        expect((await from(trusting, '10.0.0.1', guess)).status).toBe(401);
      expectRateLimited(await from(trusting, '10.0.0.1', bearer('busy')));
      expect((await from(trusting, '10.0.0.2', bearer('busy'))).status).toBe(200);
    });

    it('believes no X-Forwarded-For from an untrusted peer: a forged header does not escape the limit', async () => {
      for (const guess of ['Bearer guess-a', 'Bearer guess-b'])
        expect((await from(untrusting, '10.0.0.1', guess)).status).toBe(401);
      expectRateLimited(await from(untrusting, '10.0.0.2', bearer('busy')));
    });
  });
});

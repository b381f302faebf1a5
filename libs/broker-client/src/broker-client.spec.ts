import { randomBytes } from 'node:crypto';
import { BrokerClient } from './broker-client';
import { BrokerClientConfigError, BrokerClientError } from './broker-client.errors';

const KEY = `key-${randomBytes(24).toString('base64url')}`;
const T0 = 1_800_000_000_000;
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/** A scripted broker (and Proof): records every request, answers from `reply`. */
function fakeBroker(reply: (url: URL, init: RequestInit) => Reply | Promise<Reply>) {
  const calls: { path: string; init: RequestInit }[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    calls.push({ path: url.pathname, init });
    const { status, body, headers } = await reply(url, init);
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers });
  };
  return {
    calls,
    fetch: fetch,
    count: (path: string) => calls.filter((c) => c.path === path).length,
  };
}

const token = (name: string, expiresIn = 60, refreshIn = 30) => ({
  status: 200,
  body: { access_token: name, token_type: 'Bearer', expires_in: expiresIn, refresh_in: refreshIn, profile: 'default' },
});

describe('BrokerClient', () => {
  let clock: number;
  const client = (fetch: typeof globalThis.fetch, extra: object = {}) =>
    new BrokerClient({
      url: 'http://127.0.0.1:1',
      key: KEY,
      safetyMarginSeconds: 5,
      fetch,
      now: () => clock,
      random: () => 0,
      ...extra,
    });
  beforeEach(() => (clock = T0));

  it('makes one request for 1,000 concurrent calls, then answers from memory until refresh_in', async () => {
    let n = 0;
    const broker = fakeBroker(() => token(`t${++n}`));
    const c = client(broker.fetch);
    const tokens = await Promise.all(Array.from({ length: 1_000 }, () => c.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(broker.count('/token')).toBe(1);
    expect(broker.calls[0].init.headers).toMatchObject({ authorization: `Bearer ${KEY}` });
    clock = T0 + 29_999;
    expect(await c.getToken()).toBe('t1');
    expect(broker.count('/token')).toBe(1);
    clock = T0 + 30_000;
    expect(await c.getToken()).toBe('t2');
    expect(broker.count('/token')).toBe(2);
  });

  it('serves the cached token while the broker fails, honours Retry-After, retries in the background, then recovers', async () => {
    jest.useFakeTimers({ now: T0 });
    try {
      let down = false;
      const broker = fakeBroker(() =>
        down
          ? { status: 503, body: { error: 'token_unavailable', message: 'x' }, headers: { 'retry-after': '7' } }
          : token('fresh'),
      );
      const stale: Date[] = [];
      const failed: string[] = [];
      const c = client(broker.fetch, {
        hooks: {
          servedStale: (e: { usableUntil: Date }) => stale.push(e.usableUntil),
          failed: (e: { error: BrokerClientError }) => failed.push(e.error.code),
        },
      });
      await c.getToken();
      down = true;
      clock = T0 + 31_000;
      expect(await c.getToken()).toBe('fresh');
      expect(await c.getToken()).toBe('fresh');
      // Retry-After 7 s: nobody asks the broker before then.
      expect(broker.count('/token')).toBe(2);
      expect(failed).toEqual(['token_unavailable']);
      expect(stale).toHaveLength(2);
      down = false;
      await jest.advanceTimersByTimeAsync(6_900);
      expect(broker.count('/token')).toBe(2);
      await jest.advanceTimersByTimeAsync(200);
      expect(broker.count('/token')).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('past the safety margin, fails with the broker error code, never quoting the key; recovers when the broker does', async () => {
    let down = false;
    const broker = fakeBroker(() =>
      down
        ? { status: 503, body: { error: 'token_unavailable', message: 'x' }, headers: { 'retry-after': '1' } }
        : token('t'),
    );
    const c = client(broker.fetch);
    await c.getToken();
    down = true;
    clock = T0 + 55_000; // 60 s token, 5 s margin
    const error = (await c.getToken().catch((e: unknown) => e)) as BrokerClientError;
    expect(error).toBeInstanceOf(BrokerClientError);
    expect(error).toMatchObject({ code: 'token_unavailable', status: 503, retryAfterSeconds: 1, retryable: true });
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(KEY);
    down = false;
    clock += 1_000;
    expect(await c.getToken()).toBe('t');
  });

  it('says broker_unreachable when nothing answers', async () => {
    const c = client(() => Promise.reject(new TypeError('fetch failed')));
    await expect(c.getToken()).rejects.toMatchObject({ code: 'broker_unreachable', retryable: true });
  });

  it('reports a refused token once for a burst of 401s, drops it, and returns the new one', async () => {
    let current = 'old';
    const broker = fakeBroker((url) => {
      if (url.pathname === '/token/rejected') {
        current = 'new';
        return { status: 200, body: { verdict: 'refreshed', profile: 'default', fence: 2 } };
      }
      return token(current);
    });
    const c = client(broker.fetch);
    const old = await c.getToken();
    const next = await Promise.all(Array.from({ length: 50 }, () => c.tokenRejected(old)));
    expect(new Set(next)).toEqual(new Set(['new']));
    expect(broker.count('/token/rejected')).toBe(1);
    expect(JSON.parse(broker.calls.find((call) => call.path === '/token/rejected')!.init.body as string)).toEqual({
      access_token: 'old',
    });
    expect(await c.tokenRejected(old)).toBe('new');
    expect(broker.count('/token/rejected')).toBe(1);
    expect(await c.getToken()).toBe('new');
  });

  it('reports a refused token again when the broker handed it back (a replica that had not heard yet)', async () => {
    const served = ['old', 'old', 'new'];
    const broker = fakeBroker((url, init) => {
      if (url.pathname === '/token/rejected') return { status: 200, body: { verdict: 'replaced' } };
      if (url.pathname === '/token') return token(served.shift() ?? 'new');
      return { status: new Headers(init.headers).get('authorization') === 'Bearer new' ? 200 : 401 };
    });
    const c = client(broker.fetch);
    // The report's follow-up GET /token reaches the lagging replica: the refused token again.
    expect((await c.fetch('http://127.0.0.1:2/v1/transactions/1')).status).toBe(401);
    expect(broker.count('/token/rejected')).toBe(1);
    // The next 401 is reported again (not answered from the first report), and the retry gets the new token.
    expect((await c.fetch('http://127.0.0.1:2/v1/transactions/2')).status).toBe(200);
    expect(broker.count('/token/rejected')).toBe(2);
  });

  it('fetch adds the bearer token and retries once after a 401, not with a streamed body', async () => {
    let current = 'old';
    const proofSaw: string[] = [];
    const broker = fakeBroker((url, init) => {
      if (url.pathname === '/token/rejected' && current === 'old') current = 'new';
      if (url.pathname.startsWith('/token'))
        return url.pathname === '/token' ? token(current) : { status: 200, body: { verdict: 'refreshed' } };
      const auth = new Headers(init.headers).get('authorization') ?? '';
      proofSaw.push(auth);
      return { status: auth === 'Bearer new' ? 200 : 401 };
    });
    const c = client(broker.fetch);
    const response = await c.fetch('http://127.0.0.1:2/v1/transactions/1', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(proofSaw).toEqual(['Bearer old', 'Bearer new']);

    current = 'other';
    await c.tokenRejected('new');
    current = 'stale';
    proofSaw.length = 0;
    const stream = new ReadableStream({ start: (controller) => controller.close() });
    const streamed = await c.fetch('http://127.0.0.1:2/v1/x', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    });
    expect(streamed.status).toBe(401);
    expect(proofSaw).toHaveLength(1);
  });

  it('refuses http: outside loopback unless allowed, and lists every problem at once', () => {
    const build = (options: object) => () => new BrokerClient({ url: 'http://127.0.0.1', key: KEY, ...options });
    expect(build({ url: 'https://broker.internal' })).not.toThrow();
    expect(build({ url: 'http://localhost:8080' })).not.toThrow();
    expect(build({ url: 'http://broker.internal', allowInsecureHttp: true })).not.toThrow();
    try {
      build({ url: 'http://broker.internal', keyFile: '/nonexistent', safetyMarginSeconds: -1 })();
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(BrokerClientConfigError);
      expect((error as BrokerClientConfigError).problems).toEqual([
        expect.stringContaining('http: outside loopback'),
        'give exactly one of key, keyFile',
        'keyFile cannot be read (ENOENT)',
        'safetyMarginSeconds must be a number >= 0',
      ]);
      expect((error as Error).message).not.toContain(KEY);
    }
  });
});

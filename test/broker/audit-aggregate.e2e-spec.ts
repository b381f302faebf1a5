import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, TEST_APP, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { sleep } from '../support/wait';

type Line = Record<string, unknown> & { req?: { id?: string; path?: string }; res?: { statusCode?: number } };

const jsonLines = (output: string): Line[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);

/** `total` requests, `concurrency` at a time; returns the statuses. */
async function requests(total: number, concurrency: number, request: (i: number) => Promise<Response>) {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const response = await request(next++);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** The handouts of GET /token in the aggregate lines: sum of counts. */
const handedOut = (lines: Line[]) =>
  lines
    .filter((line) => line.msg === 'handouts' && line.req?.path === '/token' && line.res?.statusCode === 200)
    .reduce((sum, line) => sum + (line.count as number), 0);

describe('the default audit (aggregate) of a broker process', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess | undefined;
  let key: string;
  let callersFile: string;
  // The defaults (LOG_LEVEL=log, BROKER_ACCESS_LOG=aggregate) but for the test timings.
  const env = (extra: NodeJS.ProcessEnv) => ({
    ...FAST_TIMINGS,
    PROOF_BASE_URL: emulator.url,
    PROOF_CLIENT_ID: TEST_APP.id,
    PROOF_CLIENT_SECRET: TEST_APP.secret,
    BROKER_RATE_LIMIT_PER_CALLER: '0',
    BROKER_CALLERS_FILE: callersFile,
    ...extra,
  });
  const token = (i: number) =>
    fetch(`${broker!.url}/token`, { headers: { authorization: `Bearer ${key}`, 'x-request-id': `ok-${i}` } });

  beforeAll(async () => {
    emulator = await startEmulator({ clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'billing', roles: ['token:read', 'token:info'], profiles: ['*'] }]);
    [key, callersFile] = [callers.keys.billing, callers.path];
  });
  afterEach(async () => {
    await broker?.process.stop('SIGKILL');
    broker = undefined;
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('writes the handouts at SIGTERM before exiting: the counts sum to the tokens served; refusals get a line each', async () => {
    // Only the shutdown writes: the interval is longer than the test.
    broker = await startBrokerProcess('audit-sigterm', env({ BROKER_AUDIT_INTERVAL_MS: '60000' }));
    const served = await requests(400, 10, token);
    const refused = await requests(5, 1, (i) =>
      fetch(`${broker!.url}/token`, { headers: { authorization: 'Bearer wrong', 'x-request-id': `refused-${i}` } }),
    );
    await fetch(`${broker.url}/token/info`, { headers: { authorization: `Bearer ${key}` } });
    expect(handedOut(jsonLines(broker.process.output()))).toBe(0);
    expect(await broker.process.stop('SIGTERM')).toBe(0);

    const lines = jsonLines(broker.process.output());
    expect(served.filter((status) => status === 200)).toHaveLength(400);
    expect(handedOut(lines)).toBe(400);
    expect(lines.find((line) => line.msg === 'handouts' && line.req?.path === '/token')).toMatchObject({
      replica: 'audit-sigterm',
      caller: 'billing',
      profile: 'default',
      fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
      first: expect.any(String),
      last: expect.any(String),
    });
    expect(lines.find((line) => line.msg === 'handouts' && line.req?.path === '/token/info')).toMatchObject({
      caller: 'billing',
      count: 1,
    });
    // No line of its own for an answer < 400; one per refusal, with its request id.
    expect(lines.filter((line) => line.req?.id?.startsWith('ok-'))).toEqual([]);
    expect(refused.every((status) => status === 401)).toBe(true);
    expect(lines.filter((line) => line.req?.id?.startsWith('refused-')).map((line) => line.res?.statusCode)).toEqual([
      401, 401, 401, 401, 401,
    ]);
  }, 60_000);

  it('under back-pressure (stdout not read for a while) keeps answering, and every line and count arrives once read', async () => {
    broker = await startBrokerProcess('audit-slow-reader', env({}));
    const stdout = broker.process.child.stdout!;
    stdout.pause();
    // More than a pipe holds (64 KiB) plus the reader's buffer: ~800 lines of ~350 bytes.
    // Ids of at most 64 characters, or the broker would log a UUID of its own instead.
    const id = (i: number) => `slow-${i}-${'x'.repeat(48)}`;
    const refused = await requests(800, 10, (i) =>
      fetch(`${broker!.url}/token`, { headers: { authorization: 'Bearer wrong', 'x-request-id': id(i) } }),
    );
    // Past the window in which this address spent its budget of failed keys (1 s).
    await sleep(1500);
    const served = await requests(300, 10, token);
    // Still answering while nothing is read: the lines wait in the broker's memory.
    expect((await token(9999)).status).toBe(200);
    const stopped = broker.process.stop('SIGTERM');
    await sleep(1000);
    stdout.resume();
    expect(await stopped).toBe(0);

    const lines = jsonLines(broker.process.output());
    expect(served.every((status) => status === 200)).toBe(true);
    expect(handedOut(lines)).toBe(301);
    // 401s, then 429s once the address's budget of failed keys is spent: a line each.
    const refusals = lines.filter((line) => line.req?.id?.startsWith('slow-'));
    expect(new Set(refusals.map((line) => line.req?.id)).size).toBe(800);
    expect(refused.every((status) => status === 401 || status === 429)).toBe(true);
    expect(lines.some((line) => String(line.msg).startsWith('log lines dropped'))).toBe(false);
  }, 120_000);
});

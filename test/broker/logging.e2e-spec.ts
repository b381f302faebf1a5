import { createHash, randomBytes } from 'node:crypto';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, FAST_TIMINGS, startBrokerInProcess, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { testSecret } from '../support/leak-ledger';
import { capturedOutput, ledgerValues } from '../support/leak-scan';
import { waitUntil } from '../support/wait';

// Long and random, and deliberately not put in the ledger here: the last test checks that
// booting the broker with it recorded it.
const SECRET = randomBytes(24).toString('base64url');
/** A caller key nobody was given (recorded, so the whole-run scan looks for it too). */
const WRONG_KEY = testSecret('caller-key');

describe('structured logs of a broker process', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let key: string;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: `app:${SECRET}` });
    const callers = writeCallersFile([{ name: 'billing', roles: ['token:read', 'token:info'], profiles: ['default'] }]);
    key = callers.keys.billing;
    broker = await startBrokerProcess('logger', {
      ...FAST_TIMINGS,
      LOG_LEVEL: 'log',
      // A line per request (the debugging mode); the default aggregate is audit-aggregate.e2e-spec.ts's.
      BROKER_ACCESS_LOG: 'all',
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: SECRET,
      BROKER_CALLERS_FILE: callers.path,
    });
  });
  afterAll(async () => {
    await broker?.process.stop('SIGTERM');
    await emulator?.close();
  });

  it('writes one JSON access/audit line per token handed out, and never a token, key or secret', async () => {
    const response = await fetch(`${broker.url}/token?profile=default`, {
      headers: { authorization: `Bearer ${key}`, 'x-request-id': 'req-abc-123' },
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    const info = (await (
      await fetch(`${broker.url}/token/info`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as {
      fingerprint: string;
    };
    // An HMAC, not a bare hash: a token cannot be confirmed from the logs by hashing it.
    expect(info.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(info.fingerprint).not.toBe(createHash('sha256').update(token).digest('hex').slice(0, 12));
    await fetch(`${broker.url}/token`, { headers: { authorization: `Bearer ${WRONG_KEY}` } });
    await fetch(`${broker.url}/token?key=${key}`);
    await waitUntil('the access lines', () => broker.process.output().includes('req-abc-123'), 5_000);
    await waitUntil('the 401 line', () => /"statusCode":401/.test(broker.process.output()), 5_000);

    const lines = broker.process
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(5);
    const served = lines.find((line) => (line.req as { id?: string } | undefined)?.id === 'req-abc-123');
    expect(served).toMatchObject({
      replica: 'logger',
      caller: 'billing',
      profile: 'default',
      fence: 1,
      fingerprint: info.fingerprint,
      req: { method: 'GET', path: '/token', remoteAddress: expect.any(String) },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    // Nest routes get the same line, with what their guard recorded; probes get none.
    const requestPath = (line: Record<string, unknown>) => (line.req as { path?: string } | undefined)?.path;
    expect(lines.find((line) => requestPath(line) === '/token/info')).toMatchObject({
      caller: 'billing',
      profile: 'default',
      res: { statusCode: 200 },
    });
    expect(lines.some((line) => requestPath(line)?.startsWith('/health'))).toBe(false);
    const output = broker.process.output();
    for (const secret of [token, key, SECRET, WRONG_KEY]) expect(output).not.toContain(secret);
  });

  it('feeds the whole-run leak scan: the issued token and the caller key are in its ledger, the output is captured', async () => {
    const dir = process.env.LEAK_SCAN_DIR as string;
    expect(dir).toBeTruthy();
    const response = await fetch(`${broker.url}/token`, {
      headers: { authorization: `Bearer ${key}`, 'x-request-id': 'req-ledger-1' },
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    await waitUntil('the captured line', () => capturedOutput(dir).includes('req-ledger-1'), 5_000);
    const ledger = ledgerValues(dir);
    expect(ledger.has(token)).toBe(true);
    expect(ledger.has(key)).toBe(true);
    expect(ledger.has(SECRET)).toBe(true);
  });
});

describe('the logs of a broker the tests run in-process', () => {
  it('are captured for the whole-run leak scan, like a process output', async () => {
    const dir = process.env.LEAK_SCAN_DIR as string;
    expect(dir).toBeTruthy();
    const emulator = await startEmulator({ clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'inproc', roles: ['token:read'], profiles: ['default'] }]);
    const broker = await startBrokerInProcess({ ...brokerEnv({ emulator, callers }), BROKER_ACCESS_LOG: 'all' });
    try {
      const response = await fetch(`${broker.url}/token`, {
        headers: { authorization: `Bearer ${callers.keys.inproc}`, 'x-request-id': 'req-in-process-1' },
      });
      expect(response.status).toBe(200);
    } finally {
      await broker.close();
      await emulator.close();
    }
    await waitUntil('the captured line', () => capturedOutput(dir).includes('req-in-process-1'), 5_000);
  });
});

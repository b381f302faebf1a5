import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { emulatorAdmin } from '../support/emulator-admin';
import { recordSecret, recordServedToken } from '../support/leak-ledger';
import { waitUntil } from '../support/wait';
import { ECHO_PATH, Echo, rawExchange, valuesOf } from './proxy-calls';

const MAX_BODY = 1024 * 1024;
/** Tagged values: any echo of them in an answer or a log line is found by a substring search. */
const tag = randomBytes(6).toString('hex');
const SECRETS = {
  alpha: `alpha-secret-${randomBytes(18).toString('hex')}`,
  beta: `beta-secret-${randomBytes(18).toString('hex')}`,
};

interface FidelityStats {
  requests: number;
}

describe('hostile input to /proof/*', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let keys: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulator({ admin: true, clients: `alpha-app:${SECRETS.alpha},beta-app:${SECRETS.beta}` });
    const callers = writeCallersFile([
      { name: 'alpha-caller', roles: ['proof:call'], profiles: ['alpha'] },
      { name: 'any-caller', roles: ['proof:call'], profiles: ['*'] },
      { name: 'reader', roles: ['token:read', 'token:info'], profiles: ['*'] },
    ]);
    keys = callers.keys;
    const profiles = join(mkdtempSync(join(tmpdir(), 'proxy-profiles-')), 'profiles.json');
    writeFileSync(
      profiles,
      JSON.stringify(
        (['alpha', 'beta'] as const).map((name) => ({
          name,
          baseUrl: emulator.url,
          clientId: `${name}-app`,
          clientSecret: SECRETS[name],
        })),
      ),
    );
    broker = await startBrokerProcess('proxy-hostile', {
      ...FAST_TIMINGS,
      LOG_LEVEL: 'verbose',
      // A line per request (the default aggregates answers < 400): the most the log can say.
      BROKER_ACCESS_LOG: 'all',
      BROKER_PROFILES_FILE: profiles,
      BROKER_CALLERS_FILE: callers.path,
      BROKER_PROXY_MAX_BODY_BYTES: String(MAX_BODY),
      BROKER_RATE_LIMIT_AUTH_FAILURES: '100000',
    });
  }, 60_000);
  afterAll(async () => {
    await broker?.process.stop();
    await emulator?.close();
  });

  const reached = async () =>
    ((await (await fetch(`${emulator.url}/_emulator/fidelity/stats`)).json()) as FidelityStats).requests;
  const request = (lines: string[], body = '') =>
    rawExchange(broker.url, `${lines.join('\r\n')}\r\nConnection: close\r\n\r\n${body}`);
  const call = (target: string, extra: string[] = [], key = keys['any-caller']) =>
    request([
      `GET ${target} HTTP/1.1`,
      'Host: localhost',
      `Authorization: Bearer ${key}`,
      'X-Broker-Profile: alpha',
      ...extra,
    ]);
  const errorOf = (answer: { body: string }) => (JSON.parse(answer.body) as { error?: string }).error;
  const echoOf = (answer: { body: string }) => {
    const seen = JSON.parse(answer.body) as Echo;
    recordServedToken(valuesOf(seen.headers, 'authorization')[0]?.slice('Bearer '.length));
    return seen;
  };

  it.each([
    ['..', `${ECHO_PATH}/../../token`],
    ['encoded ..', `${ECHO_PATH}/%2e%2e/%2E%2E/token`],
    ['a . segment', `${ECHO_PATH}/./x`],
    ['an encoded slash', `${ECHO_PATH}/a%2fb`],
    ['an encoded backslash', `${ECHO_PATH}/a%5c..%5cb`],
    ['a double slash', `${ECHO_PATH}//x`],
    ['an encoded CRLF', `${ECHO_PATH}/x%0d%0aHost:%20evil`],
    ['absolute-form to another host', `http://evil.example${ECHO_PATH}/x`],
    ['absolute-form to Proof itself', `PROOF${ECHO_PATH}/x`],
    ['no path at all', '/proof'],
  ])('refuses %s with 400 invalid_proxy_path, Proof never asked', async (_case, target) => {
    const before = await reached();
    const answer = await call(target.replace(/^PROOF/, emulator.url));
    expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status: 400, error: 'invalid_proxy_path' });
    expect(await reached()).toBe(before);
  });

  it('sends Proof its own Host whatever the caller names, and header values as they are', async () => {
    const answer = await call(`${ECHO_PATH}/host?q=${tag}`, [`X-Note: v%0d%0aInjected:%20${tag}`]);
    expect(answer.status).toBe(200);
    const seen = echoOf(answer);
    expect(valuesOf(seen.headers, 'host')).toEqual([new URL(emulator.url).host]);
    expect(valuesOf(seen.headers, 'x-note')).toEqual([`v%0d%0aInjected:%20${tag}`]);
    expect(valuesOf(seen.headers, 'injected')).toEqual([]);
  });

  it.each([
    ['a bare CR in a value', `X-Note: a\rInjected: ${tag}`],
    ['a NUL in a value', `X-Note: a\0b`],
    ['a folded header line', `X-Note: a\r\n Injected: ${tag}`],
  ])('refuses %s before Proof is asked', async (_case, line) => {
    const before = await reached();
    const answer = await call(`${ECHO_PATH}/inject`, [line]);
    expect(answer.status).toBe(400);
    expect(await reached()).toBe(before);
  });

  it('refuses an oversized head with 431', async () => {
    const answer = await call(`${ECHO_PATH}/big-head`, [`X-Big: ${'b'.repeat(10_000)}`]);
    expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status: 431, error: 'headers_too_large' });
  });

  it('refuses a declared body over the limit with 413 before reading it', async () => {
    const before = await reached();
    const answer = await request(
      [
        `POST ${ECHO_PATH}/big`,
        'Host: localhost',
        `Authorization: Bearer ${keys['any-caller']}`,
        'X-Broker-Profile: alpha',
        `Content-Length: ${MAX_BODY + 1}`,
      ].map((l, i) => (i === 0 ? `${l} HTTP/1.1` : l)),
      'x'.repeat(1000),
    );
    expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status: 413, error: 'payload_too_large' });
    expect(await reached()).toBe(before);
  });

  it('cuts a chunked body at the limit with 413', async () => {
    const chunk = `${(64 * 1024).toString(16)}\r\n${'y'.repeat(64 * 1024)}\r\n`;
    const answer = await request(
      [
        `POST ${ECHO_PATH}/chunked HTTP/1.1`,
        'Host: localhost',
        `Authorization: Bearer ${keys['any-caller']}`,
        'X-Broker-Profile: alpha',
        'Transfer-Encoding: chunked',
      ],
      `${chunk.repeat(MAX_BODY / (64 * 1024) + 2)}0\r\n\r\n`,
    );
    expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status: 413, error: 'payload_too_large' });
  });

  it('refuses a caller without proof:call, or without the profile, and an unknown or doubled profile', async () => {
    const cases = [
      { key: keys.reader, profile: 'alpha', status: 403, error: 'forbidden' },
      { key: keys['alpha-caller'], profile: 'beta', status: 403, error: 'forbidden' },
      { key: keys['any-caller'], profile: 'gamma', status: 404, error: 'unknown_profile' },
      { key: `${keys['any-caller']}x`, profile: 'alpha', status: 401, error: 'unauthenticated' },
    ];
    const before = await reached();
    for (const c of cases) {
      const answer = await request([
        `GET ${ECHO_PATH}/authz HTTP/1.1`,
        'Host: localhost',
        `Authorization: Bearer ${c.key}`,
        `X-Broker-Profile: ${c.profile}`,
      ]);
      expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status: c.status, error: c.error });
      expect(answer.body).not.toContain(c.key);
    }
    const doubled = await call(`${ECHO_PATH}/authz`, ['X-Broker-Profile: beta']);
    expect({ status: doubled.status, error: errorOf(doubled) }).toEqual({ status: 400, error: 'invalid_request' });
    // Several profiles and none named: the caller must choose.
    const unnamed = await request([
      `GET ${ECHO_PATH}/authz HTTP/1.1`,
      'Host: localhost',
      `Authorization: Bearer ${keys['any-caller']}`,
    ]);
    expect({ status: unnamed.status, error: errorOf(unnamed) }).toEqual({ status: 400, error: 'profile_required' });
    expect(await reached()).toBe(before);
  });

  it("injects each profile's own token", async () => {
    const answers = await Promise.all(
      ['alpha', 'beta'].map((profile) =>
        request([
          `GET ${ECHO_PATH}/which HTTP/1.1`,
          'Host: localhost',
          `Authorization: Bearer ${keys['any-caller']}`,
          `X-Broker-Profile: ${profile}`,
        ]),
      ),
    );
    const tokens = answers.map((a) => valuesOf(echoOf(a).headers, 'authorization')[0].slice('Bearer '.length));
    const lookups = await emulatorAdmin(emulator.url).lookup(tokens);
    expect(lookups.map((l) => l.clientId)).toEqual(['alpha-app', 'beta-app']);
  });

  it('never logs keys, tokens, query values or bodies', async () => {
    const answer = await request(
      [
        `POST ${ECHO_PATH}/logged?secret=${tag}-query HTTP/1.1`,
        'Host: localhost',
        `Authorization: Bearer ${keys['any-caller']}`,
        'X-Broker-Profile: alpha',
        'Content-Length: 20',
      ],
      `${tag}-body-of-20`.slice(0, 20).padEnd(20, '.'),
    );
    expect(answer.status).toBe(200);
    const token = valuesOf(echoOf(answer).headers, 'authorization')[0].slice('Bearer '.length);
    recordSecret('caller-key', keys['any-caller']);
    // The access line is written once the answer has gone (asynchronously): wait for it.
    await waitUntil('the access line', () => broker.process.output().includes('/proof/_emulator/fidelity/echo/logged'));
    const output = broker.process.output();
    for (const secret of [...Object.values(keys), token, `${tag}-query`, `${tag}-body`])
      expect(output).not.toContain(secret);
  });
});

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { emulatorAdmin, validAt } from '../support/emulator-admin';

interface Answer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Garbage is tagged so that any echo of it (answer or log) is found by a substring search. */
const tag = randomBytes(6).toString('hex');
const garbage = (what: string) => `G${tag}-${what}`;

/** Writes bytes as they are (fetch would refuse or normalise most of these) and reads the answer. */
function raw(port: number, request: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // No half-close: the server closes (Connection: close), as after any real client's request.
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that answers before reading everything (431) resets a client still writing.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' || chunks.length === 0) reject(error);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: text.slice(0, split), body: text.slice(split + 4) });
    });
  });
}

const head = (lines: string[]) => `${lines.join('\r\n')}\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

describe('hostile input against a broker process', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let port: number;
  let key: string;
  const sent: string[] = [];

  const errorOf = (answer: Answer) => (JSON.parse(answer.body) as { error?: unknown }).error;
  const expectError = (answer: Answer, status: number, code: string) => {
    expect({ status: answer.status, error: errorOf(answer) }).toEqual({ status, error: code });
    for (const secret of [key, ...sent]) expect(answer.body).not.toContain(secret);
  };
  const get = (path: string, headers: string[] = [`Authorization: Bearer ${key}`]) =>
    raw(port, head([`GET ${path} HTTP/1.1`, ...headers]));
  const send = (method: string, path: string, contentType: string, body: string | Buffer) =>
    raw(
      port,
      Buffer.concat([
        Buffer.from(
          `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer ${key}\r\n` +
            `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        ),
        Buffer.from(body),
      ]),
    );

  beforeAll(async () => {
    emulator = await startEmulator({ admin: true, clients: 'app:app-secret' });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read', 'token:info'], profiles: ['*'] }]);
    key = callers.keys.svc;
    broker = await startBrokerProcess('hostile', {
      ...FAST_TIMINGS,
      LOG_LEVEL: 'verbose',
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: 'app-secret',
      BROKER_CALLERS_FILE: callers.path,
      // Every case below comes from 127.0.0.1: keep the per-address gate out of the way.
      BROKER_RATE_LIMIT_AUTH_FAILURES: '100000',
    });
    port = Number(new URL(broker.url).port);
    expect((await get('/token')).status).toBe(200);
  });
  afterAll(async () => {
    await broker?.process.stop('SIGTERM');
    await emulator?.close();
  });

  describe('Authorization', () => {
    it.each([
      ['missing', []],
      ['an empty value', ['Authorization: ']],
      ['Bearer without a key', ['Authorization: Bearer']],
      ['a wrong key', [`Authorization: Bearer ${garbage('wrong-key')}`]],
      ['another scheme', [`Authorization: Basic ${garbage('basic')}`]],
      ['a key and more', [`Authorization: Bearer ${garbage('two')} ${garbage('parts')}`]],
      ['unicode', [`Authorization: Bearer ${garbage('☃é')}`]],
      ['a 1 KB key', [`Authorization: Bearer ${garbage('k'.repeat(1024))}`]],
      ['a 7 KB key (under the head limit)', [`Authorization: Bearer ${garbage('k'.repeat(7 * 1024))}`]],
      ['two headers, garbage first', [`Authorization: Bearer ${garbage('first')}`, 'Authorization: Bearer x']],
    ])('answers 401 unauthenticated to %s', async (_case, headers) => {
      sent.push(...headers.map((h) => h.replace(/^Authorization: (Bearer |Basic )?/, '')).filter((v) => v.length > 8));
      expectError(await get('/token', headers), 401, 'unauthenticated');
      expectError(await get('/token/info', headers), 401, 'unauthenticated');
    });

    it.each([
      ['10 KB', 10 * 1024],
      ['100 KB', 100 * 1024],
    ])('answers 431 headers_too_large to a %s header, before any code of ours runs', async (_case, size) => {
      const value = garbage('h'.repeat(size));
      sent.push(value.slice(0, 64));
      expectError(await get('/token', [`Authorization: Bearer ${value}`]), 431, 'headers_too_large');
    });

    it.each([
      ['a NUL', '\0'],
      ['a bare CR', '\r'],
      ['a bare LF (header injection)', '\nX-Injected: 1'],
    ])('answers 400 invalid_request to %s in a header value', async (_case, bad) => {
      const value = `${garbage('ctl')}${bad}${garbage('after')}`;
      sent.push(garbage('ctl'), garbage('after'));
      const answer = await get('/token', [`Authorization: Bearer ${value}`]);
      expect(answer.headers).not.toMatch(/x-injected/i);
      expect([400, 401]).toContain(answer.status);
      expectError(answer, answer.status, answer.status === 400 ? 'invalid_request' : 'unauthenticated');
    });
  });

  describe('query', () => {
    it.each([
      ['a repeated profile', '?profile=default&profile=other'],
      ['an unknown parameter', '?foo=1'],
      ['a bracketed parameter', '?profile[x]=1'],
      ['a NUL in a name', '?pro%00file=default'],
    ])('answers 400 invalid_request to %s, on both GET routes', async (_case, query) => {
      expectError(await get(`/token${query}`), 400, 'invalid_request');
      expectError(await get(`/token/info${query}`), 400, 'invalid_request');
    });

    it.each([
      ['letters', 'abc'],
      ['a NUL', '%00'],
      ['CRLF', '1%0d%0a2'],
      ['a huge number', '9'.repeat(40)],
      ['a negative', '-1'],
    ])('answers 400 invalid_request to min_ttl with %s', async (_case, value) => {
      expectError(await get(`/token?min_ttl=${value}`), 400, 'invalid_request');
    });

    it.each([
      ['a NUL', '%00'],
      ['CRLF and a header', `${garbage('p')}%0d%0aX-Injected:%201`],
      ['unicode', '%E2%98%83'],
      ['an invalid UTF-8 byte', '%ff'],
      ['a path', '..%2F..%2Fetc%2Fpasswd'],
      ['an empty name', ''],
      ['4 KB', garbage('p'.repeat(4096))],
    ])('answers 404 unknown_profile to a profile name with %s', async (_case, value) => {
      for (const path of [`/token?profile=${value}`, `/token/info?profile=${value}`]) {
        const answer = await get(path);
        expect(answer.headers).not.toMatch(/x-injected/i);
        expectError(answer, 404, 'unknown_profile');
      }
    });
  });

  describe('paths and methods', () => {
    it.each([
      ['a traversal', '/../../etc/passwd'],
      ['an encoded traversal', '/token/..%2f..%2fetc%2fpasswd'],
      ['a traversal under /docs', '/docs/..%2f..%2fpackage.json'],
      ['a double slash', '//token'],
      ['a trailing slash', '/token/'],
      ['another case', '/TOKEN'],
    ])('answers 404 not_found to %s', async (_case, path) => {
      const answer = await get(path);
      expectError(answer, 404, 'not_found');
      expect(answer.body).not.toContain('etc/passwd');
      expect(answer.body).not.toContain('proof-token-broker');
    });

    it('answers 400 invalid_request to an undecodable path, without echoing it', async () => {
      const answer = await get('/token/%ff%fe');
      expectError(answer, 400, 'invalid_request');
      expect(answer.body).not.toContain('%ff');
    });

    it.each([
      ['POST', '/token'],
      ['PUT', '/token'],
      ['DELETE', '/token'],
      ['PATCH', '/token/info'],
      ['DELETE', '/token/info'],
      ['OPTIONS', '/token'],
      ['PUT', '/health/live'],
    ])('answers 404 not_found to %s %s (no such route)', async (method, path) => {
      expectError(await raw(port, head([`${method} ${path} HTTP/1.1`])), 404, 'not_found');
    });

    it.each([
      ['an unknown method', 'BREW /token HTTP/1.1'],
      ['a space in the path', 'GET /to ken HTTP/1.1'],
      ['a NUL in the path', 'GET /token?profile=a\0b HTTP/1.1'],
    ])('answers 400 invalid_request to %s', async (_case, line) => {
      expectError(await raw(port, head([line])), 400, 'invalid_request');
    });
  });

  describe('bodies', () => {
    const big = JSON.stringify({ access_token: garbage('b'.repeat(100 * 1024)) });

    it.each(['/token/rejected', '/token/refresh', '/token'])(
      'answers POST %s with a 100 KB body 413 payload_too_large (bodyLimit 16 KB, even without a route)',
      async (path) => {
        expectError(await send('POST', path, 'application/json', big), 413, 'payload_too_large');
      },
    );

    it.each([
      ['XML', 'application/xml', '<a/>', 415, 'unsupported_media_type'],
      ['form data', 'multipart/form-data; boundary=x', '--x--', 415, 'unsupported_media_type'],
      ['malformed JSON', 'application/json', '{"access_token":', 400, 'invalid_request'],
      ['a JSON array', 'application/json', '[1,2]', 400, 'invalid_request'],
      ['JSON null', 'application/json', 'null', 400, 'invalid_request'],
      ['an unknown field', 'application/json', '{"access_token":"a","x":1}', 400, 'invalid_request'],
      [
        'a __proto__ key',
        'application/json',
        '{"access_token":"a","__proto__":{"admin":true}}',
        400,
        'invalid_request',
      ],
      ['a number as profile', 'application/json', '{"access_token":"a","profile":5}', 400, 'invalid_request'],
      [
        'control characters and unicode in the profile',
        'application/json',
        JSON.stringify({ access_token: garbage('t'), profile: `☃\u0000\r\n${garbage('p')}` }),
        404,
        'unknown_profile',
      ],
    ])('answers POST /token/rejected with %s %i %s', async (_case, contentType, body, status, code) => {
      expectError(await send('POST', '/token/rejected', contentType, body), status, code);
    });

    it('ignores the body of a GET (never read nor parsed), whatever its size or type', async () => {
      const answer = await send('GET', '/token', 'application/json', `{${garbage('x'.repeat(100 * 1024))}`);
      expect(answer.status).toBe(200);
    });
  });

  // Declared last, in a describe of its own, so it runs after every case above.
  describe('afterwards', () => {
    it('still serves a valid token, and the log never holds a key or the garbage sent', async () => {
      const answer = await get('/token');
      expect(answer.status).toBe(200);
      const token = (JSON.parse(answer.body) as { access_token: string }).access_token;
      const [lookup] = await emulatorAdmin(emulator.url).lookup([token]);
      expect(validAt(lookup, Date.now())).toBe(true);
      expect(broker.process.child.exitCode).toBeNull();
      const output = broker.process.output();
      expect(output).toContain('"statusCode":401');
      expect(output).not.toContain(key);
      expect(output).not.toContain(token);
      // Not even a fragment: every piece of garbage carries the tag.
      expect(output).not.toContain(tag);
      expect(output).not.toMatch(/"level":50/);
    });
  });
});

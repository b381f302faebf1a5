import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, TEST_APP, TEST_CLIENTS, writeCallersFile } from '../support/broker';
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
  /** `headers` as sent, after Host and Connection; Content-Length is added unless one is given. */
  const request = (method: string, path: string, headers: string[], body: string | Buffer) => {
    const length = headers.some((h) => /^content-length:/i.test(h))
      ? []
      : [`Content-Length: ${Buffer.byteLength(body)}`];
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...headers, ...length];
    return raw(port, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(body)]));
  };
  const send = (method: string, path: string, contentType: string, body: string | Buffer) =>
    request(method, path, [`Authorization: Bearer ${key}`, `Content-Type: ${contentType}`], body);
  /** A report of a token that is not the current one: 200 `replaced`, nothing asked of Proof. */
  const report = () => JSON.stringify({ access_token: garbage('not-the-current-token') });
  const verdictOf = (answer: Answer) => (JSON.parse(answer.body) as { verdict?: unknown }).verdict;

  beforeAll(async () => {
    emulator = await startEmulator({ admin: true, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read', 'token:info'], profiles: ['*'] }]);
    key = callers.keys.svc;
    broker = await startBrokerProcess('hostile', {
      ...FAST_TIMINGS,
      LOG_LEVEL: 'verbose',
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: TEST_APP.id,
      PROOF_CLIENT_SECRET: TEST_APP.secret,
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

    // RFC 9110 §11.1: the scheme is case-insensitive and 1*SP parts it from the credentials;
    // field names are case-insensitive and the whitespace around a value is not part of it (§5.5).
    const everyRoute = async (headers: string[]) => [
      await get('/token', headers),
      await get('/token/info', headers),
      await request('POST', '/token/rejected', [...headers, 'Content-Type: application/json'], report()),
    ];

    it.each([
      ['a lowercase scheme', (k: string) => [`Authorization: bearer ${k}`]],
      ['an uppercase scheme', (k: string) => [`Authorization: BEARER ${k}`]],
      ['a mixed-case scheme', (k: string) => [`Authorization: bEaReR ${k}`]],
      ['three spaces between scheme and key', (k: string) => [`Authorization: Bearer   ${k}`]],
      ['spaces and tabs around the value', (k: string) => [`Authorization: \t Bearer ${k} \t`]],
      ['a lowercase field name', (k: string) => [`authorization: Bearer ${k}`]],
      ['an uppercase field name and scheme', (k: string) => [`AUTHORIZATION: BEARER ${k}`]],
    ])('accepts %s on every route', async (_case, headers) => {
      const [token, info, rejected] = await everyRoute(headers(key));
      expect([token.status, info.status, rejected.status]).toEqual([200, 200, 200]);
      expect(verdictOf(rejected)).toBe('replaced');
    });

    it.each([
      ['a tab between scheme and key (not SP)', (k: string) => [`Authorization: Bearer\t${k}`]],
      ['no space between scheme and key', (k: string) => [`Authorization: Bearer${k}`]],
      ['a longer scheme', (k: string) => [`Authorization: Bearers ${k}`]],
      ['the valid key sent twice', (k: string) => [`Authorization: Bearer ${k}`, `Authorization: Bearer ${k}`]],
      [
        'the valid key twice, names cased apart',
        (k: string) => [`Authorization: Bearer ${k}`, `authorization: bearer ${k}`],
      ],
      [
        'the valid key, then garbage',
        (k: string) => [`Authorization: Bearer ${k}`, `Authorization: Bearer ${garbage('2nd')}`],
      ],
    ])('answers 401 unauthenticated to %s, on every route', async (_case, headers) => {
      for (const answer of await everyRoute(headers(key))) expectError(answer, 401, 'unauthenticated');
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
    ])(
      'answers 400 invalid_request or 401 unauthenticated to %s in a header value, never passing it on',
      async (_case, bad) => {
        const value = `${garbage('ctl')}${bad}${garbage('after')}`;
        sent.push(garbage('ctl'), garbage('after'));
        const answer = await get('/token', [`Authorization: Bearer ${value}`]);
        expect(answer.headers).not.toMatch(/x-injected/i);
        expect([400, 401]).toContain(answer.status);
        expectError(answer, answer.status, answer.status === 400 ? 'invalid_request' : 'unauthenticated');
      },
    );
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

    const postRoutes = ['/token/rejected', '/token/refresh'];

    // Refused before any recursive parse or validation: a stack overflow here was a 500.
    const tooDeepOrWide: [string, string][] = [
      ['5,000 nested arrays', `${'['.repeat(5_000)}${']'.repeat(5_000)}`],
      ['2,000 nested objects', `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`],
      ['a field nested one level over the limit (9)', `{"access_token":${'['.repeat(8)}${']'.repeat(8)}}`],
      ['an unclosed 10,000-deep array', '['.repeat(10_000)],
      [
        'an object of 65 members',
        JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]))),
      ],
      ['an array of 5,000 elements', `{"access_token":[${new Array(5_000).fill(0).join(',')}]}`],
      ['a repeated access_token', '{"access_token":"a","access_token":"b"}'],
      ['a repeated profile', '{"access_token":"a","profile":"default","profile":"other"}'],
      ['a key repeated through an escape', '{"access_token":"a","access\\u005ftoken":"b"}'],
      ['a __proto__ key nested', '{"access_token":"a","x":{"__proto__":{"admin":true}}}'],
      ['a constructor.prototype key', '{"access_token":"a","constructor":{"prototype":{"admin":true}}}'],
      ['an empty body', ''],
      ['malformed JSON', '{"access_token":"a",}'],
    ];
    it.each(postRoutes.flatMap((path) => tooDeepOrWide.map(([name, body]) => [path, name, body] as const)))(
      'answers POST %s 400 invalid_request to %s, in the parser',
      async (path, _case, body) => {
        expectError(await send('POST', path, 'application/json', body), 400, 'invalid_request');
      },
    );

    it.each([
      ['a JSON string', '"x"'],
      ['a JSON number', '5'],
      ['an access_token of 5,000 characters', JSON.stringify({ access_token: garbage('t'.repeat(5_000)) })],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ])('answers POST /token/rejected 400 invalid_request to %s', async (_case, body) => {
      expectError(await send('POST', '/token/rejected', 'application/json', body), 400, 'invalid_request');
    });

    it.each([
      ['16 KB + 1 byte', 16 * 1024 + 1, 413, 'payload_too_large'],
      ['exactly 16 KB (an access_token too long)', 16 * 1024, 400, 'invalid_request'],
    ])('answers a JSON body of %s with %i %s', async (_case, size, status, code) => {
      const opening = '{"access_token":"';
      const body = `${opening}${'s'.repeat(size - opening.length - 2)}"}`;
      expect(Buffer.byteLength(body)).toBe(size);
      expectError(await send('POST', '/token/rejected', 'application/json', body), status, code);
    });

    it.each(
      postRoutes.flatMap((path) =>
        [
          ['a form (was accepted)', 'application/x-www-form-urlencoded'],
          ['plain text holding JSON', 'text/plain'],
          ['text/json', 'text/json'],
          ['a +json suffix type', 'application/merge-patch+json'],
          ['a type that starts like JSON', 'application/jsonp'],
          ['octet-stream', 'application/octet-stream'],
          ['an empty Content-Type', ''],
        ].map(([name, type]) => [path, name, type] as const),
      ),
    )('answers POST %s 415 unsupported_media_type to %s', async (path, _case, type) => {
      const body = type.includes('form') ? `access_token=${garbage('form')}` : report();
      expectError(await send('POST', path, type, body), 415, 'unsupported_media_type');
    });

    it.each(postRoutes)('answers POST %s 415 unsupported_media_type to a body without Content-Type', async (path) => {
      const answer = await request('POST', path, [`Authorization: Bearer ${key}`], report());
      expectError(answer, 415, 'unsupported_media_type');
    });

    it.each([
      ['a charset', 'application/json; charset=utf-8'],
      ['upper case', 'APPLICATION/JSON; Charset=UTF-8'],
      ['spaces around the parameter', 'application/json ; charset=utf-8'],
    ])('accepts JSON with %s', async (_case, type) => {
      const answer = await send('POST', '/token/rejected', type, report());
      expect({ status: answer.status, verdict: verdictOf(answer) }).toEqual({ status: 200, verdict: 'replaced' });
    });

    it('ignores the body of a GET (never read nor parsed), whatever its size or type', async () => {
      const answer = await send('GET', '/token', 'application/json', `{${garbage('x'.repeat(100 * 1024))}`);
      expect(answer.status).toBe(200);
    });
  });

  describe('duplicated headers', () => {
    const json = (extra: string[]) => [`Authorization: Bearer ${key}`, ...extra];

    it.each([
      ['JSON, then a form', ['Content-Type: application/json', 'Content-Type: application/x-www-form-urlencoded']],
      ['a form, then JSON', ['Content-Type: application/x-www-form-urlencoded', 'Content-Type: application/json']],
      ['JSON twice', ['Content-Type: application/json', 'content-type: application/json']],
    ])('answers two Content-Types (%s) 415 unsupported_media_type', async (_case, types) => {
      expectError(await request('POST', '/token/rejected', json(types), report()), 415, 'unsupported_media_type');
    });

    it.each([
      ['two different Content-Lengths', ['Content-Length: 2', 'Content-Length: 3']],
      ['Content-Length and chunked Transfer-Encoding', ['Content-Length: 2', 'Transfer-Encoding: chunked']],
    ])('answers %s 400 invalid_request (request smuggling)', async (_case, lengths) => {
      const headers = json(['Content-Type: application/json', ...lengths]);
      expectError(await request('POST', '/token/rejected', headers, '{}'), 400, 'invalid_request');
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

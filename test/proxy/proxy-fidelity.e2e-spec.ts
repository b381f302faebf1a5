import { createHash, createHash as hashOf, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import type { BrokerProcess } from '../support/broker-process';
import { ProxyFixture, startProxyFixture } from '../support/proxy-fixture';
import { emulatorAdmin } from '../support/emulator-admin';
import { recordServedToken } from '../support/leak-ledger';
import { ECHO_PATH, Echo, generatedBody, proxyCall, rawExchange, valuesOf } from './proxy-calls';

const LARGE_BYTES = 128 * 1024 * 1024;
/** Peak RSS may move with the GC's mood, never by a body's size: well under LARGE_BYTES. */
const MAX_PEAK_GROWTH_BYTES = 48 * 1024 * 1024;
const TIMEOUT_MS = 1_500;

/** Peak resident set size of a process (VmHWM), in bytes. */
const peakRss = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

describe('proxy fidelity: /proof/* against the emulator', () => {
  let fixture: ProxyFixture;
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let key: string;

  beforeAll(async () => {
    fixture = await startProxyFixture('proxy-fidelity', {
      BROKER_PROXY_MAX_BODY_BYTES: String(2 * LARGE_BYTES),
      BROKER_PROXY_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
      BROKER_PROXY_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    ({ emulator, broker, key } = fixture);
  }, 60_000);
  afterAll(() => fixture?.stop());

  const echo = async (path: string, options: Parameters<typeof proxyCall>[3] = {}) => {
    const response = await proxyCall(broker.url, `${ECHO_PATH}${path}`, key, options);
    expect(response.statusCode).toBe(200);
    const seen = (await response.body.json()) as Echo;
    recordServedToken(valuesOf(seen.headers, 'authorization')[0]?.slice('Bearer '.length));
    return seen;
  };

  it('sends method, path, query, headers and body as the caller sent them, with the token instead of the key', async () => {
    const body = randomBytes(10_000);
    const seen = await echo('/v1/a%20b/c?a=1&b=%20x&a=2&empty=&flag', {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'x-custom': 'Value With  Spaces', 'x-dup': ['a', 'b'] },
      body,
    });
    expect(seen.method).toBe('PATCH');
    expect(seen.path).toBe('/_emulator/fidelity/echo/v1/a%20b/c');
    expect(seen.query).toBe('a=1&b=%20x&a=2&empty=&flag');
    expect(seen.body).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(valuesOf(seen.headers, 'x-custom')).toEqual(['Value With  Spaces']);
    expect(valuesOf(seen.headers, 'x-dup')).toEqual(['a', 'b']);
    expect(valuesOf(seen.headers, 'content-type')).toEqual(['application/octet-stream']);
    const authorization = valuesOf(seen.headers, 'authorization');
    expect(authorization).toHaveLength(1);
    expect(authorization[0]).not.toContain(key);
    const [lookup] = await emulatorAdmin(emulator.url).lookup([authorization[0].slice('Bearer '.length)]);
    expect(lookup.known).toBe(true);
    expect(valuesOf(seen.headers, 'host')).toEqual([new URL(emulator.url).host]);
  });

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'])('forwards %s', async (method) => {
    const seen = await echo('/m', { method, body: method === 'GET' ? undefined : 'x=1' });
    expect(seen.method).toBe(method);
    expect(seen.body.bytes).toBe(method === 'GET' ? 0 : 3);
  });

  it('answers HEAD with the status and headers of Proof, no body', async () => {
    const response = await proxyCall(broker.url, `${ECHO_PATH}/head`, key, { method: 'HEAD' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect((await response.body.arrayBuffer()).byteLength).toBe(0);
  });

  it('sends neither the profile header, hop-by-hop fields, X-Forwarded-* nor the caller address', async () => {
    const head = [
      `GET ${ECHO_PATH}/hops HTTP/1.1`,
      'Host: evil.example',
      `Authorization: Bearer ${key}`,
      'X-Broker-Profile: default',
      'Connection: close, X-Hop',
      'X-Hop: 1',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Proxy-Authorization: Basic eDp5',
      'X-Forwarded-For: 10.1.2.3',
      'X-Forwarded-Proto: https',
      'Forwarded: for=10.1.2.3',
      'X-Real-IP: 10.1.2.3',
      'X-Kept: yes',
    ];
    const answer = await rawExchange(broker.url, `${head.join('\r\n')}\r\n\r\n`);
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as Echo;
    recordServedToken(valuesOf(seen.headers, 'authorization')[0]?.slice('Bearer '.length));
    const names = seen.headers.filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).toContain('x-kept');
    for (const dropped of [
      'x-broker-profile',
      'x-hop',
      'keep-alive',
      'te',
      'proxy-authorization',
      'x-forwarded-for',
      'x-forwarded-proto',
      'forwarded',
      'x-real-ip',
    ])
      expect(names).not.toContain(dropped);
    expect(JSON.stringify(seen.headers)).not.toContain('10.1.2.3');
    // No Host steering: Proof is reached under its own name only.
    expect(valuesOf(seen.headers, 'host')).toEqual([new URL(emulator.url).host]);
  });

  it('streams large bodies both ways without holding them', async () => {
    const pid = broker.process.child.pid as number;
    await echo('/warm', { method: 'POST', body: randomBytes(1024 * 1024) });
    const before = peakRss(pid);
    const upload = generatedBody(LARGE_BYTES);
    const seen = await echo('/upload', { method: 'PUT', body: upload.stream });
    expect(seen.body).toEqual({ bytes: LARGE_BYTES, sha256: upload.sha256 });

    const response = await proxyCall(broker.url, `/proof/_emulator/fidelity/stream?bytes=${LARGE_BYTES}`, key);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(LARGE_BYTES));
    const expected = generatedBody(LARGE_BYTES).sha256;
    const hash = hashOf('sha256');
    let bytes = 0;
    for await (const chunk of response.body) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    expect({ bytes, sha256: hash.digest('hex') }).toEqual({ bytes: LARGE_BYTES, sha256: expected });
    expect(peakRss(pid) - before).toBeLessThan(MAX_PEAK_GROWTH_BYTES);
  }, 120_000);

  it('passes a slow answer through as it trickles', async () => {
    const started = Date.now();
    const response = await proxyCall(broker.url, '/proof/_emulator/fidelity/trickle?chunks=4&interval_ms=400', key);
    expect(response.statusCode).toBe(200);
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of response.body) {
      arrivals.push(Date.now() - started);
      text += (chunk as Buffer).toString();
    }
    expect(text).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\n');
    // The first chunk came long before the last was written (3 intervals later).
    expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThan(800);
  });

  it('answers 504 upstream_timeout when Proof sends no headers in time', async () => {
    const response = await proxyCall(broker.url, `/proof/_emulator/fidelity/trickle?delay_ms=${TIMEOUT_MS * 3}`, key);
    expect(response.statusCode).toBe(504);
    expect(await response.body.json()).toMatchObject({ error: 'upstream_timeout' });
  });

  it('cuts an answer whose body stalls past the idle timeout', async () => {
    const response = await proxyCall(
      broker.url,
      `/proof/_emulator/fidelity/trickle?chunks=2&interval_ms=${TIMEOUT_MS * 3}`,
      key,
    );
    expect(response.statusCode).toBe(200);
    await expect(response.body.text()).rejects.toThrow();
  });

  it("retries once with the new token after Proof's 401 to a revoked one", async () => {
    await emulatorAdmin(emulator.url).revokeAll();
    const seen = await echo('/after-revoke', { method: 'POST', body: 'small=1' });
    expect(seen.body.bytes).toBe(7);
    const metrics = await (await fetch(`${broker.url}/metrics`)).text();
    expect(metrics).toMatch(/broker_proxy_retries_total\{profile="default"\} [1-9]/);
  });

  it("passes Proof's 401 on, marked as reported, when the body was too large to replay", async () => {
    await emulatorAdmin(emulator.url).revokeAll();
    const response = await proxyCall(broker.url, `${ECHO_PATH}/big`, key, {
      method: 'POST',
      body: randomBytes(200_000),
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-broker-token-reported']).toBe('refreshed');
    expect(response.headers['www-authenticate']).toContain('invalid_token');
    expect(await response.body.text()).toBe('');
    // The report replaced the token: the same call now goes through.
    const again = await echo('/big', { method: 'POST', body: randomBytes(200_000) });
    expect(again.body.bytes).toBe(200_000);
  });
});

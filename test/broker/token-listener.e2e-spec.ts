import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { loadBrokerConfig } from '../../apps/broker/src/config/load-broker-config';
import { createBrokerApp } from '../../apps/broker/src/create-broker-app';
import { TokenEndpoint } from '../../apps/broker/src/token/serve/token-endpoint.service';
import { brokerEnv, inProcessLogs, writeCallersFile } from '../support/broker';
import { recordEnvSecrets } from '../support/leak-ledger';
import { TEST_CLIENTS } from '../support/broker';

/** Set per connection or per answer, not by the route. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length']);

const routeHeaders = (headers: IncomingHttpHeaders | Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));

/** expires_in may tick between two answers; everything else must match. */
const comparable = (text: string) => {
  const body = JSON.parse(text) as Record<string, unknown>;
  // Both count whole seconds, so they may tick between the two requests.
  return typeof body.expires_in === 'number' ? { ...body, expires_in: 'a number', refresh_in: 'a number' } : body;
};

// GET /token over the network is answered by the request listener in front of Fastify
// (token-request-listener.ts); HEAD, injected requests and a closing server get the Fastify
// route. Both must be the same route: one TokenEndpoint, the same headers and bodies.
describe('GET /token: the request listener in front of Fastify', () => {
  let emulator: StartedEmulator;
  let app: NestFastifyApplication;
  let url: string;
  let keys: Record<string, string>;
  /** Requests Fastify itself saw (an onRequest hook of the test's own). */
  let fastifyRequests = 0;

  beforeAll(async () => {
    emulator = await startEmulator({ tokenTtlSeconds: 3600, clients: TEST_CLIENTS });
    const callers = writeCallersFile([
      { name: 'reader', roles: ['token:read'], profiles: ['*'] },
      { name: 'dashboard', roles: ['token:info'], profiles: ['*'] },
    ]);
    keys = callers.keys;
    const env = { ...brokerEnv({ emulator, callers }), PORT: '0', HOST: '127.0.0.1' };
    recordEnvSecrets(env);
    app = await createBrokerApp(loadBrokerConfig(env), { logs: inProcessLogs() });
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (_request, _reply, done) => {
        fastifyRequests++;
        done();
      });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app?.close();
    await emulator?.close();
  });

  it('answers GET /token without Fastify, and hands every other request to it', async () => {
    const reader = `Bearer ${keys.reader}`;
    const before = fastifyRequests;
    await request(url).get('/token').set('Authorization', reader).expect(200);
    await request(url).get('/token?min_ttl=60').set('Authorization', reader).expect(200);
    await request(url).get('/token').expect(401);
    expect(fastifyRequests).toBe(before);

    await request(url).head('/token').set('Authorization', reader).expect(200);
    await request(url).post('/token').set('Authorization', reader).expect(404);
    await request(url).get('/token/').set('Authorization', reader).expect(404);
    await request(url).get('/token/info').set('Authorization', `Bearer ${keys.dashboard}`).expect(200);
    expect(fastifyRequests).toBe(before + 4);
  });

  const bearer = (key: string): string | string[] => `Bearer ${key}`;
  it.each([
    ['a token', '/token', 'reader', 200, bearer],
    ['a token with min_ttl', '/token?min_ttl=30', 'reader', 200, bearer],
    ['an unknown query parameter', '/token?scope=admin', 'reader', 400, bearer],
    ['a repeated parameter', '/token?min_ttl=1&min_ttl=2', 'reader', 400, bearer],
    ['an out-of-range min_ttl', '/token?min_ttl=99999', 'reader', 400, bearer],
    ['an unknown profile', '/token?profile=nope', 'reader', 404, bearer],
    ['no key', '/token', undefined, 401, bearer],
    ['a caller without token:read', '/token', 'dashboard', 403, bearer],
    // RFC 9110 §11.1: the scheme is case-insensitive, 1*SP before the key (a tab is not SP).
    ['a lowercase scheme', '/token', 'reader', 200, (key: string) => `bearer ${key}`],
    ['an uppercase scheme', '/token', 'reader', 200, (key: string) => `BEARER ${key}`],
    ['three spaces before the key', '/token', 'reader', 200, (key: string) => `Bearer   ${key}`],
    ['a tab before the key', '/token', 'reader', 401, (key: string) => `Bearer\t${key}`],
    ['no space before the key', '/token', 'reader', 401, (key: string) => `Bearer${key}`],
    ['a lowercase scheme without token:read', '/token', 'dashboard', 403, (key: string) => `bearer ${key}`],
    // Two Authorization lines (Node keeps the first) are no credentials.
    ['the key sent twice', '/token', 'reader', 401, (key: string) => [`Bearer ${key}`, `Bearer ${key}`]],
    ['the key, then another', '/token', 'reader', 401, (key: string) => [`Bearer ${key}`, 'Bearer other-key-xyz']],
  ])('gives the Fastify route the same answer for %s', async (_case, path, caller, status, scheme) => {
    const authorization = caller ? scheme(keys[caller]) : undefined;
    // An array goes to Node's setHeader as is: one Authorization line per value.
    const sent = authorization === undefined ? {} : { authorization: authorization as string };
    const network = await request(url).get(path).set(sent);
    const headers = authorization ? ({ authorization } as OutgoingHttpHeaders) : {};
    const injected = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: path, headers });
    expect(network.status).toBe(status);
    expect(injected.statusCode).toBe(network.status);
    expect(routeHeaders(injected.headers)).toEqual(routeHeaders(network.headers));
    expect(comparable(injected.body)).toEqual(comparable(network.text));
    expect(Number(network.headers['content-length'])).toBe(Buffer.byteLength(network.text));
  });

  it('answers 500 internal_error, never a crash, when serving throws, and serves again after', async () => {
    const authorization = `Bearer ${keys.reader}`;
    const serve = jest.spyOn(app.get(TokenEndpoint), 'serve');
    serve.mockImplementationOnce(() => {
      throw new Error('boom with token-like detail');
    });
    serve.mockImplementationOnce(() => Promise.reject(new Error('async boom')));
    for (let i = 0; i < 2; i++) {
      const failed = await request(url).get('/token').set({ authorization }).expect(500);
      expect(failed.body).toEqual({ error: 'internal_error', message: 'Internal error' });
      expect(failed.headers['x-content-type-options']).toBe('nosniff');
    }
    serve.mockRestore();
    await request(url).get('/token').set({ authorization }).expect(200);
  });

  it('answers HEAD /token (Fastify) with the headers of GET and no body', async () => {
    const authorization = `Bearer ${keys.reader}`;
    const head = await request(url).head('/token').set({ authorization }).expect(200);
    const get = await request(url).get('/token').set({ authorization }).expect(200);
    expect(head.text ?? '').toBe('');
    expect(routeHeaders(head.headers)).toEqual(routeHeaders(get.headers));
  });
});

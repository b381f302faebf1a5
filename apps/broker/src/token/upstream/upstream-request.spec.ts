import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendUpstream, UpstreamTimeoutError } from './upstream-request';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('sendUpstream (node:http, not fetch)', () => {
  let server: Server;
  let handler: Handler;
  let url: URL;
  const open = new Set<import('node:net').Socket>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => handler(req, res, body));
    });
    server.on('connection', (socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/v2/token`);
  });
  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the method, headers and body with its length, and parses the JSON answer', async () => {
    let seen: { method?: string; length?: string; type?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, length: req.headers['content-length'], type: req.headers['content-type'], body };
      res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '3' });
      res.end(JSON.stringify({ access_token: 'abc', expires_in: 7200 }));
    };
    const answer = await sendUpstream(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=é',
      timeoutMs: 5_000,
    });
    expect(seen).toEqual({
      method: 'POST',
      length: String(Buffer.byteLength('grant_type=client_credentials&scope=é')),
      type: 'application/x-www-form-urlencoded',
      body: 'grant_type=client_credentials&scope=é',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ access_token: 'abc', expires_in: 7200 });
    expect(answer.headers['retry-after']).toBe('3');
  });

  it('returns a redirect as an answer without following it, and a body that is not JSON as undefined', async () => {
    let hits = 0;
    handler = (_req, res) => {
      hits += 1;
      res.writeHead(302, { location: '/elsewhere' });
      res.end('<html>moved</html>');
    };
    const answer = await sendUpstream(url, { method: 'GET', headers: {}, timeoutMs: 5_000 });
    expect(answer).toMatchObject({ status: 302, body: undefined });
    expect(hits).toBe(1);
  });

  it('cuts an answer longer than any token answer and reads it as unreadable', async () => {
    handler = (_req, res) => res.end(JSON.stringify({ access_token: 'x'.repeat(100_000) }));
    await expect(sendUpstream(url, { method: 'GET', headers: {}, timeoutMs: 5_000 })).resolves.toMatchObject({
      status: 200,
      body: undefined,
    });
  });

  it('has one deadline for the whole answer: a server that trickles its body times out', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":');
      // Never ends.
    };
    const started = Date.now();
    await expect(sendUpstream(url, { method: 'GET', headers: {}, timeoutMs: 300 })).rejects.toBeInstanceOf(
      UpstreamTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("rejects with the signal's reason when it aborts, and with the socket's code when nothing listens", async () => {
    handler = () => undefined; // never answers
    const lease = new AbortController();
    const pending = sendUpstream(url, {
      method: 'POST',
      headers: {},
      body: 'x',
      timeoutMs: 10_000,
      signal: lease.signal,
    });
    setTimeout(() => lease.abort(new Error('lease lost')), 100);
    await expect(pending).rejects.toThrow('lease lost');

    // Aborted before it is sent (the lease ran out first): rejected, nothing sent. Seen in the
    // chaos soak: a request created and then destroyed with no 'error' listener ended the process.
    let requests = 0;
    handler = (_req, res) => {
      requests++;
      res.end('{}');
    };
    const before = new AbortController();
    before.abort(new Error('lease lost before the request'));
    await expect(
      sendUpstream(url, { method: 'POST', headers: {}, body: 'x', timeoutMs: 5_000, signal: before.signal }),
    ).rejects.toThrow('lease lost before the request');
    // The same server still answers (and the process is alive to see it).
    await expect(sendUpstream(url, { method: 'GET', headers: {}, timeoutMs: 5_000 })).resolves.toMatchObject({
      status: 200,
    });
    expect(requests).toBe(1);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      sendUpstream(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {}, timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

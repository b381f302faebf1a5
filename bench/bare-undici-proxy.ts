// The proxy bench's reference: a bare undici proxy doing the least the broker's /proof/* does
// (the caller's key compared, /proof stripped, the token swapped in, hop-by-hop fields dropped,
// one keep-alive pool of the same size, bodies streamed both ways with backpressure), with none
// of its checks, metrics or logs. It forwards the way the broker does, on undici's dispatch API
// with Proof's answer written straight to the response (no response Readable, no pipeline):
// the fastest way we know to proxy with undici, so the comparison measures the broker's own
// work, not a difference of mechanism. `BARE_PROXY_MODE=request` is the common
// `pool.request()` + `pipeline()` proxy instead (docs/BENCHMARKS.md quotes both).
import { createServer, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';

const pool = new Pool(process.env.UPSTREAM_URL ?? '', { connections: 64 });
const caller = `Bearer ${process.env.BENCH_CALLER_KEY}`;
const injected = `Bearer ${process.env.BENCH_TOKEN}`;
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'te', 'upgrade', 'trailer']);

/** Proof's answer written to `response` as it arrives, undici paused while the response's buffer is full. */
function streamTo(response: ServerResponse): Dispatcher.DispatchHandler {
  let controller: Dispatcher.DispatchController | undefined;
  const resume = () => controller?.resume();
  // A caller gone mid-answer never drains: without the abort, its upstream connection would stay paused for good.
  response.once('close', () => {
    if (!response.writableFinished) controller?.abort(new Error('caller gone'));
  });
  return {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(c, statusCode) {
      if (statusCode < 200) return;
      const raw = (c.rawHeaders ?? []) as Buffer[];
      const out: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toString('latin1');
        if (!HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1'));
      }
      response.writeHead(statusCode, out);
    },
    onResponseData(c, chunk) {
      if (!response.destroyed && !response.write(chunk)) {
        c.pause();
        response.once('drain', resume);
      }
    },
    onResponseEnd() {
      response.end();
    },
    onResponseError(_c, error) {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy(error);
    },
  };
}

const viaRequest = process.env.BARE_PROXY_MODE === 'request';

// A clean exit on SIGTERM, so `node --cpu-prof` can write its profile.
process.once('SIGTERM', () => process.exit(0));

createServer((request, response) => {
  const url = request.url ?? '';
  if (request.headers.authorization !== caller || !url.startsWith('/proof/')) return void response.writeHead(401).end();
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) if (!HOP.has(name)) headers[name] = value;
  headers.authorization = injected;
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  const options = {
    path: url.slice('/proof'.length),
    method: request.method ?? 'GET',
    headers,
    body: hasBody ? request : null,
  };
  if (!viaRequest) return void pool.dispatch(options, streamTo(response));
  pool
    .request(options)
    .then(async (answer) => {
      const out: Record<string, string | string[] | undefined> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value;
      response.writeHead(answer.statusCode, out);
      await pipeline(answer.body, response);
    })
    .catch(() => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
}).listen(Number(process.env.PORT), '127.0.0.1');

// The proxy bench's reference: a bare undici proxy doing the least the broker's /proof/* does
// (the caller's key compared, /proof stripped, the token swapped in, hop-by-hop fields dropped,
// one keep-alive pool of the same size, bodies piped), with none of its checks, metrics or logs.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const pool = new Pool(process.env.UPSTREAM_URL ?? '', { connections: 64 });
const caller = `Bearer ${process.env.BENCH_CALLER_KEY}`;
const injected = `Bearer ${process.env.BENCH_TOKEN}`;
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'te', 'upgrade', 'trailer']);

createServer((request, response) => {
  const url = request.url ?? '';
  if (request.headers.authorization !== caller || !url.startsWith('/proof/')) return void response.writeHead(401).end();
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) if (!HOP.has(name)) headers[name] = value;
  headers.authorization = injected;
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  pool
    .request({
      path: url.slice('/proof'.length),
      method: request.method as 'GET',
      headers,
      body: hasBody ? request : null,
    })
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

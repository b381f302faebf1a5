// Baseline: a bare node:http server answering GET /token with the broker's body and headers,
// no framework and no logic: the lower bound of this machine's cost per request.
import { createServer } from 'node:http';

const body = Buffer.from(process.env.BENCH_BODY ?? '{}');
// The broker's own response headers (security headers, no-store), captured by the bench.
const headers: string[] = Object.entries(JSON.parse(process.env.BENCH_HEADERS ?? '{}') as Record<string, string>)
  .concat([
    ['content-type', 'application/json; charset=utf-8'],
    ['content-length', String(body.length)],
  ])
  .flat();

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/token') response.writeHead(200, headers).end(body);
  else response.writeHead(404).end();
});

// A clean exit on SIGTERM, so `node --cpu-prof` can write its profile.
process.once('SIGTERM', () => process.exit(0));
server.listen(Number(process.env.PORT), '127.0.0.1');

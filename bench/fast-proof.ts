// A minimal stand-in for Proof for the proxy bench: the token endpoint (any client, a new
// random token each time) and GET /v1/transactions/:id checking the bearer, on plain node:http,
// so that the upstream costs as little as possible and the proxies' own cost shows.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const tokens = new Set<string>();
const REFUSED = { 'www-authenticate': 'Bearer realm="Doorkeeper", error="invalid_token"' };

createServer((request, response) => {
  const url = request.url ?? '';
  if (url === '/health') return void response.writeHead(200).end('ok');
  if (request.method === 'POST' && url === '/oauth/v2/token') {
    request.resume();
    const token = randomBytes(32).toString('base64url');
    tokens.add(token);
    const created = Math.floor(Date.now() / 1000);
    const body = {
      access_token: token,
      token_type: 'Bearer',
      expires_in: 7200,
      scope: 'read write',
      created_at: created,
    };
    return void response
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  }
  const id = /^\/v1\/transactions\/([\w-]+)$/.exec(url)?.[1];
  if (!id) return void response.writeHead(404).end();
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token || !tokens.has(token)) return void response.writeHead(401, REFUSED).end();
  response
    .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify({ id, status: 'completed' }));
}).listen(Number(process.env.PORT), '127.0.0.1');

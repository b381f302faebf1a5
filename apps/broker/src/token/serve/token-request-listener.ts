import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authorizationOf } from '../../auth/authorization-header';
import { AuditRecorder } from '../../logging/audit-recorder';
import type { RequestAudit } from '../../logging/request-audit';
import { requestIdOf } from '../../logging/request-id';
import type { TokenAnswer } from './token-answers';
import { TOKEN_HEADERS, TokenEndpoint } from './token-endpoint.service';
import { shortcutContext } from './shortcut-context';

/** Answers the request and returns true, or returns false to leave it to Fastify. */
export type RequestShortcut = (request: IncomingMessage, response: ServerResponse) => boolean;

const NO_QUERY: Record<string, unknown> = Object.freeze({});
const INTERNAL_ERROR = JSON.stringify({ error: 'internal_error', message: 'Internal error' });
const HEADER_LIST: readonly string[] = Object.entries(TOKEN_HEADERS).flat();

/** The header list of an answer: TOKEN_HEADERS, Content-Length, Retry-After if any. */
function headerList(answer: TokenAnswer): string[] {
  const list = [...HEADER_LIST, 'content-length', String(answer.bytes)];
  if (answer.retryAfterSeconds !== undefined) list.push('retry-after', String(answer.retryAfterSeconds));
  return list;
}

/**
 * GET /token answered in the HTTP server's request listener, before Fastify: a service asks
 * for its token thousands of times a second, and Fastify's per-request work (request and reply
 * objects, routing, the global hooks of Nest's adapter and helmet, the reply's send path)
 * cost as much as the route itself. Only `GET /token` and `GET /token?...` are taken, and not
 * once the server is closing (Fastify then answers 503 with `Connection: close`); everything
 * else goes to Fastify, where the same TokenEndpoint also answers HEAD and injected requests.
 *
 * What Fastify would have given this route is done here the same way: the client address
 * through the same trusted proxies (@fastify/proxy-addr, Fastify's own), the request id
 * (requestIdOf, Fastify's genReqId), helmet's headers (TOKEN_HEADERS), the access line
 * (AuditRecorder, as the onResponse hook: a count, or a line for an answer >= 400). Unparseable requests, over-long headers and
 * timeouts are the HTTP server's, so they are handled as for every route.
 */
export function tokenRequestListener(app: NestFastifyApplication, trustedProxies: readonly string[]): RequestShortcut {
  const serving = app.get(TokenEndpoint);
  const recorder = app.get(AuditRecorder);
  const served = recorder.route('GET', '/token', 200);
  const logger = new Logger('TokenRoute');
  const context = shortcutContext(app, trustedProxies);
  // The 200 answer is one object per token and second: so is its header list.
  let lastAnswer: TokenAnswer | undefined;
  let lastHeaders: string[] = [];

  const write = (
    request: IncomingMessage,
    response: ServerResponse,
    answer: TokenAnswer,
    started: number,
    address: string | undefined,
    audit: RequestAudit,
  ): void => {
    let headers = lastHeaders;
    if (answer !== lastAnswer) {
      headers = headerList(answer);
      if (answer.status === 200) [lastAnswer, lastHeaders] = [answer, headers];
    }
    response.writeHead(answer.status, headers);
    response.end(answer.body);
    if (recorder.counted(served, answer.status, audit) || !recorder.wantsLine(answer.status)) return;
    recorder.write({
      id: requestIdOf(request),
      method: request.method,
      url: request.url ?? '',
      remoteAddress: address,
      statusCode: answer.status,
      responseTimeMs: performance.now() - started,
      audit,
    });
  };

  // Outside any framework: nothing thrown here may reach the server's 'request' event.
  const failed = (response: ServerResponse, error: unknown) => {
    logger.error(`GET /token listener failed: ${error instanceof Error ? error.name : typeof error}`);
    if (!response.headersSent) response.writeHead(500, HEADER_LIST.slice()).end(INTERNAL_ERROR);
    else response.destroy();
  };

  return (request, response) => {
    if (context.closing() || request.method !== 'GET') return false;
    const url = request.url;
    let query: Record<string, unknown>;
    if (url === '/token') query = NO_QUERY;
    else if (url !== undefined && url.startsWith('/token?')) query = parseQuery(url.slice('/token?'.length));
    else return false;
    const started = performance.now();
    try {
      const address = context.addressOf(request);
      const audit: RequestAudit = {};
      const answer = serving.serve(authorizationOf(request), address, query, audit);
      // A token not in memory (a cold start, a refresh wait): the closures only then.
      if (answer instanceof Promise)
        answer
          .then((settled) => write(request, response, settled, started, address, audit))
          .catch((error: unknown) => failed(response, error));
      else write(request, response, answer, started, address, audit);
    } catch (error) {
      failed(response, error);
    }
    return true;
  };
}

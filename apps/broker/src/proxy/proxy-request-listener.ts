import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditRecorder } from '../logging/audit-recorder';
import { requestIdOf } from '../logging/request-id';
import type { RequestShortcut } from '../token/serve/token-request-listener';
import { ProxyEndpoint } from './proxy-endpoint.service';
import { isProxyTarget } from './proxy-target';
import { shortcutContext } from '../token/serve/shortcut-context';

/**
 * `/proof/<path>` (any method) taken in the HTTP server's request listener, in front of
 * Fastify, like GET /token (TokenFastPath offers it each request after GET /token's): the
 * request and response stream as Node gives them (no content type parser, no body limit of
 * Fastify's to work around, no buffering), the request target is judged as the client sent
 * it (before any router decodes or normalises it), and the per-request cost of Fastify and
 * Nest stays off a path measured against a bare undici proxy. Requests injected into Fastify
 * (app.inject) never reach it: the proxy is a network route only. Once the server closes,
 * requests go to Fastify (503, Connection: close) while those in flight finish (the server's
 * close waits for them).
 */
export function proxyRequestListener(app: NestFastifyApplication, trustedProxies: readonly string[]): RequestShortcut {
  const endpoint = app.get(ProxyEndpoint);
  const recorder = app.get(AuditRecorder);
  const logger = new Logger('ProxyRoute');
  const context = shortcutContext(app, trustedProxies);

  return (request, response) => {
    const url = request.url;
    if (context.closing() || url === undefined || !isProxyTarget(url)) return false;
    const started = performance.now();
    const address = context.addressOf(request);
    endpoint
      .serve(request, response, url, address, context.closing)
      .then(({ status, audit: recorded, path }) => {
        // Closing: the server's close() let go of the connections idle at that moment only;
        // this one would stay open (keep-alive) and hold the drain until its keep-alive timeout.
        if (context.closing() && response.writableFinished) request.socket.end();
        // Counted per Proof path (query dropped) in the aggregate audit, or a line of its own
        // (>= 400, or BROKER_ACCESS_LOG=all). The request id (a random UUID unless the caller
        // sent one) only for an answer that gets a line: a count never shows it.
        recorder.record(
          {
            id: recorder.wantsLine(status) ? requestIdOf(request) : '',
            method: request.method,
            url: path,
            remoteAddress: address,
            statusCode: status,
            responseTimeMs: performance.now() - started,
            audit: recorded,
          },
          path,
        );
      })
      // Outside any framework: nothing may reach the server's 'request' event as a rejection.
      .catch((error: unknown) => {
        logger.error(`proxy listener failed: ${error instanceof Error ? error.name : typeof error}`);
        response.destroy();
      });
    return true;
  };
}

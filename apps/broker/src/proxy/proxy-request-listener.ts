import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import proxyAddr from '@fastify/proxy-addr';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import type { BrokerConfig } from '../config/broker-config';
import { BROKER_CONFIG } from '../config/broker-config.module';
import { InvalidRequestError } from '../http/broker.errors';
import { describeError } from '../http/error-response';
import { AccessLog } from '../logging/access-log';
import { requestIdOf } from '../logging/request-id';
import { CallerRateLimiter } from '../rate-limit/caller-rate-limiter.service';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenRejectionService } from '../token/rejection/token-rejection.service';
import { TOKEN_HEADERS } from '../token/serve/token-endpoint.service';
import { TokenSource } from '../token/serve/token-source.service';
import type { RequestShortcut } from '../token/serve/token-request-listener';
import { hasBody, readProxyBody } from './proxy-body';
import { ProxyForwarder, type ProxyAudit, type ProxyTokens } from './proxy-forwarder';
import { forwardedRequestHeaders } from './proxy-headers';
import { ProxyMetrics } from './proxy-metrics';
import { ProxyPools } from './proxy-pools.service';
import { isProxyTarget, PROXY_PREFIX, proxyTarget } from './proxy-target';

/** The broker's own answers (errors) carry GET /token's headers: helmet's, no-store, JSON. */
const ERROR_HEADERS: readonly string[] = Object.entries(TOKEN_HEADERS).flat();
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Logged and counted for a caller that went away before its answer (nginx's convention). */
const CLIENT_GONE = 499;

function profileHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !PROFILE_NAME.test(value))
    throw new InvalidRequestError('X-Broker-Profile must be one profile name');
  return value;
}

/**
 * `/proof/<path>` (any method) answered in the HTTP server's request listener, in front of
 * Fastify, like GET /token: the request and response stream as Node gives them (no content
 * type parser, no body limit of Fastify's to work around, no buffering), the request target
 * is judged as the client sent it (before any router decodes or normalises it), and the
 * per-request cost of Fastify and Nest stays off a path that is measured against a bare
 * undici proxy. Requests injected into Fastify (app.inject) never reach it: the proxy is a
 * network route only. Once the server closes, requests go to Fastify (503, Connection: close)
 * while those in flight finish (the server's close waits for them).
 */
export function proxyRequestListener(app: NestFastifyApplication): RequestShortcut {
  const config = app.get<symbol, BrokerConfig>(BROKER_CONFIG);
  const limiter = app.get(CallerRateLimiter);
  const auth = app.get(CallerAuthenticator);
  const profiles = app.get(ProfileResolver);
  const pools = app.get(ProxyPools);
  const metrics = app.get(ProxyMetrics);
  const log = app.get(AccessLog);
  const logger = new Logger('ProxyRoute');
  const service = app.get(TokenSource);
  const rejections = app.get(TokenRejectionService);
  const tokens: ProxyTokens = {
    current: (profile) => service.getToken(profile),
    report: (profile, token) =>
      rejections.report(profile, token).then(
        (dto) => dto.verdict,
        () => 'check_failed',
      ),
  };
  const forwarder = new ProxyForwarder(tokens, metrics);
  const trust = config.trustedProxies.length > 0 ? proxyAddr.compile([...config.trustedProxies]) : undefined;
  let closing = false;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preClose', (done) => {
      closing = true;
      done();
    });

  const answerError = (request: IncomingMessage, response: ServerResponse, error: unknown): number => {
    if (response.destroyed) return CLIENT_GONE;
    const { status, body, retryAfterSeconds, unexpected } = describeError(error);
    if (unexpected) logger.error(`proxy: unhandled ${unexpected}`);
    if (response.headersSent) {
      response.destroy();
      return status;
    }
    const json = JSON.stringify(body);
    const headers = [...ERROR_HEADERS, 'content-length', String(Buffer.byteLength(json))];
    if (retryAfterSeconds !== undefined) headers.push('retry-after', String(retryAfterSeconds));
    // A body left unread (refused before, or cut at the limit) is not drained: the connection goes.
    if (hasBody(request) && !request.complete) headers.push('connection', 'close');
    response.writeHead(status, headers).end(json);
    return status;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, url: string): Promise<void> => {
    const started = performance.now();
    const audit: ProxyAudit = {};
    const address = trust ? proxyAddr(request, trust) : request.socket.remoteAddress;
    let profileLabel = 'none';
    // Only a path that passed the checks is logged; never the query (it may hold values).
    let logged = `${PROXY_PREFIX}/(refused)`;
    let status: number;
    try {
      const caller = limiter.authenticate(request.headers.authorization, address);
      limiter.consume(caller);
      audit.caller = caller.name;
      const name = profiles.nameFor(profileHeader(request.headers['x-broker-profile']));
      auth.authorize(caller, 'proof:call', name);
      const profile = profiles.require(name);
      audit.profile = profileLabel = profile.name;
      const upstream = pools.for(profile);
      const path = proxyTarget(url, upstream.basePath);
      const queryAt = url.indexOf('?');
      logged = queryAt < 0 ? url : url.slice(0, queryAt);
      const headers = forwardedRequestHeaders(request.rawHeaders);
      const body = await readProxyBody(request, config.proxy.maxBodyBytes);
      const method = request.method ?? 'GET';
      status = await forwarder.forward(
        { profile: profile.name, upstream, method, path, headers, body },
        response,
        audit,
        () => closing,
      );
    } catch (error) {
      status = answerError(request, response, error);
    }
    // Closing: the server's close() let go of the connections idle at that moment only; this
    // one would stay open (keep-alive) and hold the drain until its keep-alive timeout.
    if (closing && response.writableFinished) request.socket.end();
    metrics.countRequest(profileLabel, request.method, status);
    if (!log.enabled(status)) return;
    log.write({
      id: requestIdOf(request),
      method: request.method,
      url: logged,
      remoteAddress: address,
      statusCode: status,
      responseTimeMs: performance.now() - started,
      audit,
    });
  };

  return (request, response) => {
    const url = request.url;
    if (closing || url === undefined || !isProxyTarget(url)) return false;
    // Outside any framework: nothing may reach the server's 'request' event as a rejection.
    handle(request, response, url).catch((error: unknown) => {
      logger.error(`proxy listener failed: ${error instanceof Error ? error.name : typeof error}`);
      response.destroy();
    });
    return true;
  };
}

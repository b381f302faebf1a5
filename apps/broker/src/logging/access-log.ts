import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { auditOf } from './request-audit';

/** The root pino logger (LoggingModule): the app log and the access lines. */
export const ACCESS_LOGGER = Symbol('ACCESS_LOGGER');

/** Probes and scrapes every second would drown the access log. */
const UNLOGGED = /^\/(health|metrics)(\/|\?|$)/;

/**
 * One access line per request (the audit trail for GET /token), written by a Fastify
 * `onResponse` hook rather than by pino-http as Nest middleware: @fastify/middie, pino-http's
 * per-request child logger and its async context cost about a fifth of GET /token's CPU.
 * Fields: req {id, method, path, remoteAddress}, res {statusCode}, responseTime (ms), and
 * what the route recorded with `audit()` (caller, profile, fence, fingerprint). Never a
 * header, a query string or a token.
 */
export function registerAccessLog(app: NestFastifyApplication): void {
  const logger = app.get<symbol, Logger>(ACCESS_LOGGER);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      const level = status >= 500 ? 'warn' : 'info';
      if (logger.isLevelEnabled(level) && !UNLOGGED.test(request.url)) {
        const query = request.url.indexOf('?');
        const req = {
          id: request.id,
          method: request.method,
          path: query < 0 ? request.url : request.url.slice(0, query),
          remoteAddress: request.ip,
        };
        logger[level](
          { req, res: { statusCode: status }, responseTime: reply.elapsedTime, ...auditOf(request.raw) },
          'request completed',
        );
      }
      done();
    });
}

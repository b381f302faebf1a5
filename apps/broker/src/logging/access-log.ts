import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { auditOf, type RequestAudit } from './request-audit';

/** The access lines' pino logger (LoggingModule): the app log's destination, without its redaction pass. */
export const ACCESS_LOGGER = Symbol('ACCESS_LOGGER');

/** Probes and scrapes every second would drown the access log. */
const UNLOGGED = /^\/(health|metrics)(\/|\?|$)/;

/** What one access line says about a finished request. */
export interface AccessEntry {
  readonly id: string;
  readonly method: string | undefined;
  /** The request target; its query string is dropped here. */
  readonly url: string;
  readonly remoteAddress: string | undefined;
  readonly statusCode: number;
  readonly responseTimeMs: number;
  readonly audit: RequestAudit;
}

/** Whether an answer with this status gets an access line at the logger's level. */
export function accessLogged(logger: Logger, statusCode: number): boolean {
  return logger.isLevelEnabled(statusCode >= 500 ? 'warn' : 'info');
}

/**
 * Writes one access line (the audit trail for GET /token). Fields: req {id, method, path,
 * remoteAddress}, res {statusCode}, responseTime (ms), and what the route recorded (caller,
 * profile, fence, fingerprint). Never a header, a query string or a token.
 */
export function writeAccessLine(logger: Logger, entry: AccessEntry): void {
  if (!accessLogged(logger, entry.statusCode) || UNLOGGED.test(entry.url)) return;
  const level = entry.statusCode >= 500 ? 'warn' : 'info';
  const query = entry.url.indexOf('?');
  const req = {
    id: entry.id,
    method: entry.method,
    path: query < 0 ? entry.url : entry.url.slice(0, query),
    remoteAddress: entry.remoteAddress,
  };
  logger[level](
    { req, res: { statusCode: entry.statusCode }, responseTime: entry.responseTimeMs, ...entry.audit },
    'request completed',
  );
}

/**
 * The access lines of requests Fastify answers, from one `onResponse` hook rather than
 * pino-http as Nest middleware (@fastify/middie, pino-http's per-request child logger and its
 * async context cost about a fifth of GET /token's CPU). GET /token over the network is
 * logged by its request listener (token-request-listener.ts) with the same function.
 */
export function registerAccessLog(app: NestFastifyApplication): void {
  const logger = app.get<symbol, Logger>(ACCESS_LOGGER);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      writeAccessLine(logger, {
        id: request.id,
        method: request.method,
        url: request.url,
        remoteAddress: request.ip,
        statusCode: reply.statusCode,
        responseTimeMs: reply.elapsedTime,
        audit: auditOf(request.raw),
      });
      done();
    });
}

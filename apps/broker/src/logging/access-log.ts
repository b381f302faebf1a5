import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestAudit } from './request-audit';

/** The root pino logger (LoggingModule), for routes that write their own access line. */
export const ACCESS_LOGGER = Symbol('ACCESS_LOGGER');

/**
 * GET /token is kept out of pino-http (its per-request child logger, redaction pass and
 * async context were about a fifth of the route's CPU); the route writes the same
 * access/audit line itself, through the same root logger and with the same fields:
 * req {id, method, path, remoteAddress}, res {statusCode}, responseTime, caller, profile,
 * fence, fingerprint. Never a header, a query string or a token.
 */
export function writeAccessLine(
  logger: Logger,
  request: FastifyRequest,
  statusCode: number,
  responseTime: number,
  fields: RequestAudit,
): void {
  const level = statusCode >= 500 ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const req = { id: request.id, method: request.method, path: '/token', remoteAddress: request.ip };
  logger[level]({ req, res: { statusCode }, responseTime, ...fields }, 'request completed');
}

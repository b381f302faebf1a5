import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditRecorder } from './audit-recorder';
import { auditOf } from './request-audit';

/**
 * The audit of requests Fastify answers, from one `onResponse` hook rather than pino-http as
 * Nest middleware (@fastify/middie, pino-http's per-request child logger and its async context
 * are a large share of GET /token's CPU, docs/BENCHMARKS.md). GET /token over the network is recorded by its
 * request listener (token-request-listener.ts) through the same AuditRecorder.
 */
export function registerAccessLog(app: NestFastifyApplication): void {
  const recorder = app.get(AuditRecorder);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      recorder.record(
        {
          id: request.id,
          method: request.method,
          url: request.url,
          remoteAddress: request.ip,
          statusCode: reply.statusCode,
          responseTimeMs: reply.elapsedTime,
          audit: auditOf(request.raw),
        },
        request.routeOptions.url ?? request.url.split('?', 1)[0],
      );
      done();
    });
}

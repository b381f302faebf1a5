import type { FastifyReply } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authorizationOf } from '../../auth/authorization-header';
import { recordAudit, type RequestAudit } from '../../logging/request-audit';
import type { TokenAnswer } from './token-answers';
import { TOKEN_HEADERS, TokenEndpoint } from './token-endpoint.service';

/**
 * GET /token as a plain route on Nest's own Fastify instance (Nest's per-request pipeline of
 * guards, interceptors and filters would cost much of the route's throughput: docs/BENCHMARKS.md). Requests
 * over the network are answered before Fastify by the request listener
 * (token-request-listener.ts); this route answers the rest: HEAD /token, requests injected
 * into Fastify, and GET /token once the server is closing (Fastify answers 503 first). Both
 * run TokenEndpoint, the one implementation of the route.
 */
export function registerTokenRoute(app: NestFastifyApplication): void {
  const serving = app.get(TokenEndpoint);
  // Status and Retry-After on the reply; the serialized body is the handler's result.
  const prepare = (answer: TokenAnswer, reply: FastifyReply): string => {
    void reply.status(answer.status);
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return answer.body;
  };
  app
    .getHttpAdapter()
    .getInstance()
    .get('/token', { helmet: false }, (request, reply) => {
      void reply.headers(TOKEN_HEADERS);
      // Filled as the request goes: the access line (access-log.ts) carries what is known.
      const audit: RequestAudit = {};
      recordAudit(request.raw, audit);
      const answer = serving.serve(
        authorizationOf(request.raw),
        request.ip,
        request.query as Record<string, unknown>,
        audit,
      );
      return answer instanceof Promise ? answer.then((settled) => prepare(settled, reply)) : prepare(answer, reply);
    });
}

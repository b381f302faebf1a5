import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createBrokerHttpServer, type FastifyHandler, type ServerFactoryOptions } from './broker-http-server';
import { registerTokenRoute } from './token-route';
import { tokenRequestListener, type RequestShortcut } from './token-request-listener';

/**
 * GET /token's way in, the one seam createBrokerApp uses: `serverFactory` for Fastify's
 * options (an HTTP server that offers each request to the listener before Fastify), and
 * `attach` once the app exists (the request listener, and the Fastify route for what the
 * listener leaves: HEAD, injected requests, GET while closing). Both run TokenEndpoint.
 */
export class TokenFastPath {
  /** Set by `attach`: until the app exists, every request goes to Fastify. */
  private listener?: RequestShortcut;

  constructor(private readonly trustedProxies: readonly string[]) {}

  readonly serverFactory = (handler: FastifyHandler, options: ServerFactoryOptions): Server =>
    createBrokerHttpServer(handler, options, () => this.listener);

  /** `others`: listeners for other routes answered in front of Fastify (/proof/*), offered a request after GET /token's. */
  attach(app: NestFastifyApplication, others: readonly RequestShortcut[] = []): void {
    registerTokenRoute(app);
    const token = tokenRequestListener(app, this.trustedProxies);
    this.listener =
      others.length === 0
        ? token
        : (request, response) => token(request, response) || others.some((take) => take(request, response));
  }
}

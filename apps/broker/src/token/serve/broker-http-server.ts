import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { RequestShortcut } from './token-request-listener';

export type FastifyHandler = (request: IncomingMessage, response: ServerResponse) => void;
/** What Fastify passes to `serverFactory`: its options, defaults applied. */
export type ServerFactoryOptions = FastifyServerOptions & { http?: ServerOptions };

/**
 * The HTTP server for Fastify's `serverFactory`: the server Fastify would create (the same
 * options, keep-alive, request and connection timeouts), whose request listener first offers
 * each request to `shortcut()` (known once the app exists) and hands the rest to Fastify.
 */
export function createBrokerHttpServer(
  fastifyHandler: FastifyHandler,
  options: ServerFactoryOptions,
  shortcut: () => RequestShortcut | undefined,
): Server {
  const server = createServer(options.http ?? {}, (request, response) => {
    const take = shortcut();
    if (take === undefined || !take(request, response)) fastifyHandler(request, response);
  });
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}

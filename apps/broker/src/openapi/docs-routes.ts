import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The Swagger UI's path; the documents are at `/docs-json` and `/docs-yaml`. */
const DOCS_PATH = 'docs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadDocsServer = (): typeof import('./docs-server') => require('./docs-server') as typeof import('./docs-server');

/**
 * /docs, its assets and the OpenAPI document, answered by @nestjs/swagger loaded with the
 * first request for them (docs-server.ts): a replica nobody reads the docs of never holds
 * it (~4 MB of heap loaded, ~10 MB of RSS once /docs is served: docs/BENCHMARKS.md, RSS). The routes are Fastify's, registered before
 * the app listens, so the security headers and the access line are the other routes'.
 */
export function registerDocsRoutes(app: NestFastifyApplication): void {
  let server: Promise<FastifyInstance> | undefined;
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    server ??= loadDocsServer().createDocsServer(app, DOCS_PATH);
    // A failed start answers 500 (the exception filter) and is tried again next time.
    const docs = await server.catch((error: unknown) => {
      server = undefined;
      throw error;
    });
    reply.hijack();
    docs.routing(request.raw, reply.raw);
  };
  const fastify = app.getHttpAdapter().getInstance();
  for (const url of [`/${DOCS_PATH}`, `/${DOCS_PATH}/*`, `/${DOCS_PATH}-json`, `/${DOCS_PATH}-yaml`]) {
    fastify.get(url, handler);
  }
}

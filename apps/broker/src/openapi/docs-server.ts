import { NotFoundException, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { describeError } from '../http/error-response';
import { buildOpenApiDocument } from './openapi-document';

const answer = (reply: FastifyReply, failure: unknown) => {
  const { status, body } = describeError(failure);
  void reply.code(status).send(body);
};

/**
 * What SwaggerModule.setup(path) serves (the UI, its assets, the JSON and YAML
 * documents of `app`), on a Fastify instance of its own that never listens: docs-routes.ts
 * hands it the requests once the broker is up, when its own router takes no more routes.
 * SwaggerModule reads only the HTTP adapter of the app it is given. Unknown paths and
 * failures get the broker's `{error, message}`, never Fastify's answer echoing the path.
 */
export async function createDocsServer(app: INestApplication, path: string): Promise<FastifyInstance> {
  const adapter = new FastifyAdapter();
  const host = { getHttpAdapter: () => adapter } as unknown as INestApplication;
  SwaggerModule.setup(path, host, () => buildOpenApiDocument(app));
  const server = adapter.getInstance();
  server.setNotFoundHandler((_request, reply) => answer(reply, new NotFoundException()));
  server.setErrorHandler((error, _request, reply) => answer(reply, error));
  await server.ready();
  return server;
}

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from '@fastify/helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { BrokerConfig } from './config/broker-config';
import { requestIdOf } from './logging/request-id';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { registerTokenRoute } from './token/token-fast-route';

/** Creates (not yet listening) the broker app on Fastify; shared by main.ts, the demo and the tests. */
export async function createBrokerApp(
  config: BrokerConfig,
  options: { logger?: false } = {},
): Promise<NestFastifyApplication> {
  // Requests are small GETs: a tight body limit keeps a hostile client from making us buffer much.
  const adapter = new FastifyAdapter({ bodyLimit: 16 * 1024, genReqId: requestIdOf });
  const module = AppModule.forRoot(config, { silent: options.logger === false });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Security headers on every answer (nosniff, frame-ancestors none, no referrer, CSP...).
  await app.register(helmet, { hsts: false, crossOriginResourcePolicy: { policy: 'same-origin' } });
  registerTokenRoute(app);
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app));
  return app;
}

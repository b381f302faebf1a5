import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from '@fastify/helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { BrokerConfig } from './config/broker-config';
import type { BrokerConfigSource } from './config-reload/config-reloader.service';
import type { LogOutput } from './logging/logging.module';
import { requestIdOf } from './logging/request-id';
import { registerDocsRoutes } from './openapi/docs-routes';
import { HELMET_OPTIONS } from './http/security-headers';
import { answerClientError, answerFrameworkError, MAX_HEADER_BYTES } from './http/client-errors';
import { TokenFastPath } from './token/serve/token-fast-path';
import { registerAccessLog } from './logging/register-access-log';
import { registerJsonBodyParser } from './http/json-body.parser';
import { proxyRequestListener } from './proxy/proxy-request-listener';

/** Creates (not yet listening) the broker app on Fastify; shared by main.ts, the demo and the tests. */
export async function createBrokerApp(
  config: BrokerConfig,
  /**
   * `logs`: stdout unless told (the tests send an in-process broker's lines to a file the
   * leak scan reads). `reload`: re-reads the configuration as at boot, for SIGHUP and file
   * changes (main.ts passes it).
   */
  options: { logs?: LogOutput; reload?: BrokerConfigSource } = {},
): Promise<NestFastifyApplication> {
  // GET /token (and /proof/*) are answered in front of Fastify once the app exists.
  const fastPath = new TokenFastPath(config.trustedProxies);
  // Requests are small GETs: a tight body limit keeps a hostile client from making us buffer much.
  const adapter = new FastifyAdapter({
    bodyLimit: 16 * 1024,
    genReqId: requestIdOf,
    // request.ip (audit line, per-address limit) is the client behind a trusted load balancer.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // Unparseable requests and paths get the broker's {error, message}, never Fastify's echo.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    // The broker has no Nest middleware (access lines come from a Fastify hook): without
    // @fastify/middie, no request pays for matching middleware routes (docs/BENCHMARKS.md).
    skipMiddie: true,
    serverFactory: fastPath.serverFactory,
  });
  const module = AppModule.forRoot(config, { logs: options.logs, reload: options.reload });
  // Nest's body parsers off: registerJsonBodyParser is the only one (415 for anything else).
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  registerJsonBodyParser(app);
  // Security headers on every answer (nosniff, frame-ancestors none, no referrer, CSP...).
  await app.register(helmet, HELMET_OPTIONS);
  registerAccessLog(app);
  // /proof/* streams through the same front listener (proxy-request-listener.ts says why).
  fastPath.attach(app, [proxyRequestListener(app, config.trustedProxies)]);
  registerDocsRoutes(app);
  return app;
}

import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { ACCESS_LOGGER } from './access-log';
import type { BrokerConfig } from '../config/broker-config';
import { auditOf } from './request-audit';
import { requestIdOf } from './request-id';

const PINO_LEVELS: Record<BrokerConfig['logLevel'], string> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Structured JSON logs (nestjs-pino): one line per request with its id, caller, profile,
 * status and latency; for GET /token also the fence and the token's fingerprint (the audit
 * trail). Headers are not logged at all and the query string is dropped, so keys and
 * tokens cannot end up in logs; redaction is a second net behind that.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: BrokerConfig, silent: boolean): DynamicModule {
    // One root logger for the app log, pino-http's access lines and GET /token's own line.
    // Asynchronous writes: lines written while a write is in flight go out together
    // (one syscall each under load, not one per line); pino flushes them at exit.
    const root = pino(
      {
        level: silent ? 'silent' : PINO_LEVELS[config.logLevel],
        base: { replica: config.replicaId },
        redact: {
          paths: [
            'req.headers',
            'res.headers',
            '*.authorization',
            '*.access_token',
            '*.clientSecret',
            '*.client_secret',
          ],
          censor: '[redacted]',
        },
      },
      pino.destination({ dest: 1, sync: false }),
    );
    return {
      module: LoggingModule,
      global: true,
      providers: [{ provide: ACCESS_LOGGER, useValue: root }],
      exports: [ACCESS_LOGGER],
      imports: [
        LoggerModule.forRoot({
          // Explicit: the default route pattern did not reach the middleware on Nest 12 + Fastify here.
          forRoutes: ['/{*splat}'],
          // GET /token writes its own line (token-fast-route.ts): pino-http costs too much there.
          exclude: [{ path: 'token', method: RequestMethod.GET }],
          pinoHttp: {
            logger: root,
            genReqId: requestIdOf,
            serializers: {
              req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
                id: req.id,
                method: req.method,
                path: req.url.split('?')[0],
                remoteAddress: req.remoteAddress,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              // A 5xx answer carries a synthetic error: its type and fixed message, no stack.
              err: (error: Error) => ({ type: error.name, message: error.message }),
            },
            customLogLevel: (_req: IncomingMessage, res: ServerResponse) => (res.statusCode >= 500 ? 'warn' : 'info'),
            customProps: (req: IncomingMessage, _res: ServerResponse) => ({ ...auditOf(req) }),
            // Probes and scrapes every second would drown the access log.
            autoLogging: {
              // Middleware sees a rewritten url: match the original one.
              ignore: (req: IncomingMessage & { originalUrl?: string }) =>
                /^\/(health|metrics)/.test(req.originalUrl ?? req.url ?? ''),
            },
          },
        }),
      ],
    };
  }
}

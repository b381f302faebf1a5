import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { ACCESS_LOGGER } from './access-log';
import type { BrokerConfig } from '../config/broker-config';

const PINO_LEVELS: Record<BrokerConfig['logLevel'], string> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Structured JSON logs: nestjs-pino is the app logger, and one access line per request
 * (access-log.ts) carries its id, remote address, caller, profile, status and latency; for
 * GET /token also the fence and the token's fingerprint (the audit trail). Headers are not
 * logged at all and the query string is dropped, so keys and tokens cannot end up in logs;
 * redaction is a second net behind that.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: BrokerConfig, silent: boolean): DynamicModule {
    // One root logger for the app log and the access lines.
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
          // No Nest middleware at all (and no @fastify/middie, see createBrokerApp): pino-http's
          // per-request child logger, redaction pass and async context cost a fifth of
          // GET /token's CPU. Access lines come from one Fastify onResponse hook instead
          // (access-log.ts), through this same root logger; nestjs-pino stays the app logger.
          forRoutes: [],
          pinoHttp: { logger: root },
        }),
      ],
    };
  }
}

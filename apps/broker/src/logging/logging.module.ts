import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AccessLog } from './access-log';
import { AuditRecorder } from './audit-recorder';
import { LogDestination } from './log-destination';
import { LogDropsMetric } from './log-drops.metric';
import { TokenFingerprinter } from './token-fingerprint';
import type { BrokerConfig } from '../config/broker-config';

const PINO_LEVELS: Record<BrokerConfig['logLevel'], string> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Where the log lines go: stdout (a broker process), a file (a broker a test runs in-process), nowhere. */
export type LogOutput = 'stdout' | 'silent' | { readonly file: string };

/**
 * Structured JSON logs: nestjs-pino is the app logger, and one access line per request
 * (access-log.ts) carries its id, remote address, caller, profile, status and latency; for
 * GET /token also the fence and the token's fingerprint (the audit trail). Headers are not
 * logged at all and the query string is dropped, so keys and tokens cannot end up in logs;
 * redaction is a second net behind that.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: BrokerConfig, output: LogOutput = 'stdout'): DynamicModule {
    // Asynchronous writes: lines written while a write is in flight go out together
    // (one syscall each under load, not one per line); shutdown waits for them (AuditRecorder).
    const logs = new LogDestination(typeof output === 'object' ? output.file : undefined);
    const destination = logs.stream;
    const level = output === 'silent' ? 'silent' : PINO_LEVELS[config.logLevel];
    const options = { level, base: { replica: config.replicaId } };
    // The app log: messages and objects from anywhere in the code, so redaction is a second
    // net behind never logging a secret.
    const root = pino(
      {
        ...options,
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
      destination,
    );
    // The access lines: built field by field from known values (access-log.ts), never from a
    // header or a body, so they skip the redaction pass (its wildcard paths cost more than the
    // rest of the line on every GET /token: docs/BENCHMARKS.md).
    const access = pino(options, destination);
    const lines = new AccessLog(access, config.accessLog);
    return {
      module: LoggingModule,
      global: true,
      // One TokenFingerprinter per process: on the embedded store its key is random.
      providers: [
        { provide: AccessLog, useValue: lines },
        { provide: LogDestination, useValue: logs },
        {
          provide: AuditRecorder,
          useValue: new AuditRecorder(lines, access, config.accessLog, config.auditIntervalMs, logs),
        },
        TokenFingerprinter,
        LogDropsMetric,
      ],
      exports: [AccessLog, AuditRecorder, LogDestination, TokenFingerprinter],
      imports: [
        LoggerModule.forRoot({
          // No Nest middleware at all (and no @fastify/middie, see createBrokerApp): pino-http's
          // per-request child logger, redaction pass and async context are a large share of
          // GET /token's CPU (docs/BENCHMARKS.md). Access lines come from one Fastify onResponse hook instead
          // (access-log.ts) through the access logger; nestjs-pino stays the app logger.
          forRoutes: [],
          pinoHttp: { logger: root },
        }),
      ],
    };
  }
}

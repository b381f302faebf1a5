import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config';
import type { RequestAudit } from './request-audit';

/** Probes and scrapes every second would drown the access log. */
const UNLOGGED = /^\/(health|metrics)(\/|\?|$)/;

/** What one access line says about a finished request. */
export interface AccessEntry {
  readonly id: string;
  readonly method: string | undefined;
  /** The request target; its query string is dropped here. */
  readonly url: string;
  readonly remoteAddress: string | undefined;
  readonly statusCode: number;
  readonly responseTimeMs: number;
  readonly audit: RequestAudit;
}

/**
 * The access lines (the audit trail for GET /token), on their own pino logger (LoggingModule:
 * the app log's destination, without its redaction pass). `all` (BROKER_ACCESS_LOG) writes
 * one per request; `aggregate` and `failures` only answers >= 400 (AuditRecorder counts the
 * rest in `aggregate`). Fields: req {id, method, path, remoteAddress}, res {statusCode},
 * responseTime (ms), and what the route recorded (caller, profile, fence, fingerprint). Never a
 * header, a query string or a token.
 */
export class AccessLog {
  private readonly minStatus: number;

  constructor(
    private readonly logger: Logger,
    mode: BrokerConfig['accessLog'],
  ) {
    this.minStatus = mode === 'all' ? 0 : 400;
  }

  /** Whether an answer with this status gets a line: callers skip building the entry otherwise. */
  enabled(statusCode: number): boolean {
    return statusCode >= this.minStatus && this.logger.isLevelEnabled(statusCode >= 500 ? 'warn' : 'info');
  }

  /** Probes and scrapes: neither lines nor counts. */
  unlogged(url: string): boolean {
    return UNLOGGED.test(url);
  }

  write(entry: AccessEntry): void {
    if (!this.enabled(entry.statusCode) || this.unlogged(entry.url)) return;
    const query = entry.url.indexOf('?');
    const req = {
      id: entry.id,
      method: entry.method,
      path: query < 0 ? entry.url : entry.url.slice(0, query),
      remoteAddress: entry.remoteAddress,
    };
    this.logger[entry.statusCode >= 500 ? 'warn' : 'info'](
      { req, res: { statusCode: entry.statusCode }, responseTime: entry.responseTimeMs, ...entry.audit },
      'request completed',
    );
  }
}

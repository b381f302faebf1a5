import type { OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config';
import type { AccessEntry, AccessLog } from './access-log';
import { HandoutTally, type AuditRoute, type HandoutCount } from './handout-tally';
import type { LogDestination } from './log-destination';
import type { RequestAudit } from './request-audit';

export type { AuditRoute };

/** How long shutdown waits for a slow log reader before exiting (pino then writes the rest synchronously). */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Interned paths kept across intervals. The proxy counts per Proof path, and ids make those
 * paths unbounded (`/v1/transactions/<id>`): past this many, the interned routes are dropped
 * when an interval is written (nothing counted refers to them then) and interned anew.
 */
export const MAX_INTERNED_PATHS = 1_024;

/**
 * The audit trail of every route, the one seam a route calls once it has answered (GET /token's
 * request listener, the Fastify onResponse hook, the proxy). In `aggregate` mode (the default)
 * answers < 400 are counted per route, caller, profile and token fingerprint and written by a
 * timer, one line per combination and interval ("handouts": count, first, last; the replica
 * is on every line); answers >= 400 keep one line each with their request id (AccessLog). In
 * `all` and `failures` modes nothing is counted and AccessLog decides. The last interval is
 * written when the app closes (SIGTERM), before the process exits.
 */
export class AuditRecorder implements OnApplicationShutdown {
  /** Interned routes by method, path and status: no key string built per request. */
  private readonly routes = new Map<string, Map<string, Map<number, AuditRoute>>>();
  private internedPaths = 0;
  private readonly aggregating: boolean;
  private readonly timer?: NodeJS.Timeout;
  private droppedReported = 0;

  constructor(
    private readonly lines: AccessLog,
    private readonly logger: Logger,
    mode: BrokerConfig['accessLog'],
    private readonly intervalMs: number,
    private readonly destination?: LogDestination,
    private readonly tally = new HandoutTally(),
  ) {
    this.aggregating = mode === 'aggregate' && logger.isLevelEnabled('info');
    if (this.aggregating) this.timer = setInterval(() => this.flush(), intervalMs).unref();
  }

  /** The interned route of a method, path (a route pattern, no query) and status. */
  route(method: string, path: string, statusCode: number): AuditRoute {
    let byPath = this.routes.get(method);
    if (byPath === undefined) this.routes.set(method, (byPath = new Map<string, Map<number, AuditRoute>>()));
    let byStatus = byPath.get(path);
    if (byStatus === undefined) {
      byPath.set(path, (byStatus = new Map<number, AuditRoute>()));
      this.internedPaths++;
    }
    let route = byStatus.get(statusCode);
    if (route === undefined) byStatus.set(statusCode, (route = Object.freeze({ method, path, statusCode })));
    return route;
  }

  /**
   * The hot path's call: counts the answer and returns true, or returns false when the answer
   * needs a line of its own (`write`; check `lines.enabled(status)` before building it).
   * `route` is the route's usual answer (GET /token 200): another status below 400 is interned.
   */
  counted(route: AuditRoute, statusCode: number, audit: RequestAudit): boolean {
    if (!this.aggregating || statusCode >= 400) return false;
    const counted = statusCode === route.statusCode ? route : this.route(route.method, route.path, statusCode);
    this.tally.count(counted, audit.caller, audit.profile, audit.fingerprint, audit.fence);
    return true;
  }

  /** Whether an answer with this status gets a line of its own. */
  wantsLine(statusCode: number): boolean {
    return this.lines.enabled(statusCode);
  }

  /** The line of one request (after `counted` said no and `wantsLine` yes). */
  write(entry: AccessEntry): void {
    this.lines.write(entry);
  }

  /** A finished request of any route: counted, or its own line. `routePath`: the route's pattern. */
  record(entry: AccessEntry, routePath: string): void {
    const method = entry.method ?? '';
    if (this.aggregating && entry.statusCode < 400 && !this.lines.unlogged(entry.url))
      this.counted(this.route(method, routePath, entry.statusCode), entry.statusCode, entry.audit);
    else this.lines.write(entry);
  }

  /** Writes the counts so far (and lines lost to a full buffer); the timer calls it every interval. */
  flush(): void {
    for (const counted of this.tally.drain()) this.writeCount(counted);
    if (this.internedPaths > MAX_INTERNED_PATHS) {
      this.routes.clear();
      this.internedPaths = 0;
    }
    const dropped = this.destination?.dropped ?? 0;
    if (dropped > this.droppedReported) {
      this.logger.warn(
        { dropped: dropped - this.droppedReported },
        'log lines dropped: the log destination is too slow',
      );
      this.droppedReported = dropped;
    }
  }

  /** After the server has closed (no request left): the last counts, written out before exit. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    await this.destination?.drained(DRAIN_TIMEOUT_MS);
  }

  private writeCount(counted: HandoutCount): void {
    const { route, caller, profile, fingerprint, fence } = counted;
    this.logger.info(
      {
        audit: 'aggregate',
        req: { method: route.method, path: route.path },
        res: { statusCode: route.statusCode },
        caller: caller || undefined,
        profile: profile || undefined,
        fence,
        fingerprint: fingerprint || undefined,
        count: counted.count,
        first: new Date(counted.first).toISOString(),
        last: new Date(counted.last).toISOString(),
        intervalMs: this.intervalMs,
      },
      'handouts',
    );
  }
}

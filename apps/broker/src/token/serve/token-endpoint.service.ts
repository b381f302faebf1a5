import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from '../../auth/caller';
import { CallerAdmission } from '../../admission/caller-admission.service';
import { describeError } from '../../http/error-response';
import { staticSecurityHeaders } from '../../http/security-headers';
import type { RequestAudit } from '../../logging/request-audit';
import { TokenFingerprinter } from '../../logging/token-fingerprint';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { TokenAnswers, type TokenAnswer } from './token-answers';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { parseTokenQuery } from './token-query';
import type { TokenRecord } from '../../store/token-record';
import { TokenSource } from './token-source.service';

/**
 * The headers of every GET /token answer: helmet's (the same as the other routes', computed
 * once by helmet itself), no caching, and the content type of the pre-serialized JSON body.
 */
export const TOKEN_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...staticSecurityHeaders(),
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-type': 'application/json; charset=utf-8',
});

/**
 * GET /token, independent of the HTTP layer: the one implementation of authentication,
 * rate limiting, authorization and serving for that route, called by the request listener
 * in front of Fastify (token-request-listener.ts) and by the Fastify route (token-route.ts).
 * Synchronous when the token is in memory (the common case): no promise per request.
 */
@Injectable()
export class TokenEndpoint {
  private readonly logger = new Logger('TokenRoute');
  private readonly bodies: TokenAnswers;
  /** One tally of served tokens per caller and profile (BrokerMetrics.servedTally). */
  private readonly servedTallies = new WeakMap<Caller, Map<string, { count: number }>>();

  constructor(
    @InjectBrokerConfig() config: BrokerConfig,
    private readonly admission: CallerAdmission,
    private readonly tokens: TokenSource,
    private readonly metrics: BrokerMetrics,
    private readonly fingerprints: TokenFingerprinter,
  ) {
    this.bodies = new TokenAnswers(config.refresh);
  }

  /**
   * The same 200 answer object is returned while the body is unchanged (a second at most), so
   * the HTTP layer may cache what it derives from it (the header list).
   * `address`: the client's address (behind trusted proxies, the forwarded one), for the
   * per-address budget of failed keys. `audit` is filled in as the request goes (caller,
   * profile, fence, fingerprint) for the access line, whatever the outcome.
   */
  serve(
    authorization: string | undefined,
    address: string | undefined,
    query: Record<string, unknown>,
    audit: RequestAudit,
  ): TokenAnswer | Promise<TokenAnswer> {
    let caller: Caller;
    let profile: string;
    let pending: TokenRecord | Promise<TokenRecord>;
    try {
      const admitted = this.admission.admit(authorization, address, 'token:read', () => parseTokenQuery(query), audit);
      caller = admitted.caller;
      profile = admitted.profile;
      pending = this.tokens.getToken(profile, admitted.params.minTtlMs);
    } catch (exception) {
      return this.failure(exception);
    }
    if (!(pending instanceof Promise)) return this.success(caller, profile, pending, audit);
    return pending.then(
      (record) => this.success(caller, profile, record, audit),
      (exception: unknown) => this.failure(exception),
    );
  }

  /** Never throws: the request listener calls this outside any framework's error handling. */
  private success(caller: Caller, profile: string, record: TokenRecord, audit: RequestAudit): TokenAnswer {
    try {
      this.servedTally(caller, profile).count++;
      audit.fence = record.fence;
      audit.fingerprint = this.fingerprints.of(record.accessToken);
      return this.bodies.answer(record, Date.now());
    } catch (exception) {
      return this.failure(exception);
    }
  }

  private failure(exception: unknown): TokenAnswer {
    const { status, body, retryAfterSeconds, unexpected } = describeError(exception);
    if (unexpected) this.logger.error(`unhandled ${unexpected}`);
    const json = JSON.stringify(body);
    return { status, body: json, bytes: Buffer.byteLength(json), retryAfterSeconds };
  }

  private servedTally(caller: Caller, profile: string): { count: number } {
    let byProfile = this.servedTallies.get(caller);
    if (!byProfile) this.servedTallies.set(caller, (byProfile = new Map<string, { count: number }>()));
    let tally = byProfile.get(profile);
    if (!tally) byProfile.set(profile, (tally = this.metrics.servedTally(profile, caller.name)));
    return tally;
  }
}

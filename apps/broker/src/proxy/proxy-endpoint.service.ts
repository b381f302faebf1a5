import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { CallerAdmission } from '../admission/caller-admission.service';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { InvalidRequestError } from '../http/broker.errors';
import { describeError } from '../http/error-response';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenRejectionService } from '../token/rejection/token-rejection.service';
import { TOKEN_HEADERS } from '../token/serve/token-endpoint.service';
import { TokenSource } from '../token/serve/token-source.service';
import { hasBody, NO_BODY, readProxyBody } from './proxy-body';
import { ProxyForwarder, type ProxyAudit } from './proxy-forwarder';
import { forwardedRequestHeaders } from './proxy-headers';
import { ProxyMetrics } from './proxy-metrics';
import { ProxyPools } from './proxy-pools.service';
import { PROXY_PREFIX, proxyTarget } from './proxy-target';

/** The broker's own answers (errors) carry GET /token's headers: helmet's, no-store, JSON. */
const ERROR_HEADERS: readonly string[] = Object.entries(TOKEN_HEADERS).flat();
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Logged and counted for a caller that went away before its answer (nginx's convention). */
const CLIENT_GONE = 499;

/** What the access line says of a proxied request. */
export interface ProxyOutcome {
  readonly status: number;
  readonly audit: ProxyAudit;
  /** The path (never the query, which may hold values), or `/proof/(refused)` for one that failed the checks. */
  readonly path: string;
}

function profileHeader(value: string | string[] | undefined): { profile?: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string' || !PROFILE_NAME.test(value))
    throw new InvalidRequestError('X-Broker-Profile must be one profile name');
  return { profile: value };
}

/**
 * `/proof/<path>` apart from how the request arrived: admission (caller key, rate limit,
 * proof:call for the X-Broker-Profile profile), the target and header checks, the body,
 * then the forwarder. Answers every request itself, errors included, and never rejects.
 */
@Injectable()
export class ProxyEndpoint {
  private readonly logger = new Logger('ProxyRoute');
  private readonly forwarder: ProxyForwarder;

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly admission: CallerAdmission,
    private readonly profiles: ProfileResolver,
    private readonly pools: ProxyPools,
    private readonly metrics: ProxyMetrics,
    source: TokenSource,
    rejections: TokenRejectionService,
  ) {
    const tokens = {
      current: (profile: string) => source.getToken(profile),
      report: (profile: string, token: string) =>
        rejections.report(profile, token).then(
          (dto) => dto.verdict as string,
          () => 'check_failed',
        ),
    };
    this.forwarder = new ProxyForwarder(tokens, metrics);
  }

  async serve(
    request: IncomingMessage,
    response: ServerResponse,
    url: string,
    address: string | undefined,
    closing: () => boolean,
  ): Promise<ProxyOutcome> {
    const audit: ProxyAudit = {};
    let path = `${PROXY_PREFIX}/(refused)`;
    let status: number;
    try {
      const admitted = this.admission.admit(
        request.headers.authorization,
        address,
        'proof:call',
        () => profileHeader(request.headers['x-broker-profile']),
        audit,
      );
      const upstream = this.pools.for(this.profiles.require(admitted.profile));
      const target = proxyTarget(url, upstream.basePath);
      const queryAt = url.indexOf('?');
      path = queryAt < 0 ? url : url.slice(0, queryAt);
      const headers = forwardedRequestHeaders(request.rawHeaders);
      // No body (most calls): no promise to wait for.
      const body = hasBody(request) ? await readProxyBody(request, this.config.proxy.maxBodyBytes) : NO_BODY;
      const exchange = {
        profile: admitted.profile,
        upstream,
        method: request.method ?? 'GET',
        path: target,
        headers,
        body,
      };
      status = await this.forwarder.forward(exchange, response, audit, closing);
    } catch (error) {
      status = this.answerError(request, response, error);
    }
    this.metrics.countRequest(audit.profile ?? 'none', request.method, status);
    return { status, audit, path };
  }

  private answerError(request: IncomingMessage, response: ServerResponse, error: unknown): number {
    if (response.destroyed) return CLIENT_GONE;
    const { status, body, retryAfterSeconds, unexpected } = describeError(error);
    if (unexpected) this.logger.error(`proxy: unhandled ${unexpected}`);
    if (response.headersSent) {
      response.destroy();
      return status;
    }
    const json = JSON.stringify(body);
    const headers = [...ERROR_HEADERS, 'content-length', String(Buffer.byteLength(json))];
    if (retryAfterSeconds !== undefined) headers.push('retry-after', String(retryAfterSeconds));
    // A body left unread (refused before, or cut at the limit) is not drained: the connection goes.
    if (hasBody(request) && !request.complete) headers.push('connection', 'close');
    response.writeHead(status, headers).end(json);
    return status;
  }
}

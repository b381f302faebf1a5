import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import type { RequestAudit } from '../logging/request-audit';
import type { TokenRecord } from '../store/token-record';
import type { ProxyBody } from './proxy-body';
import { passedResponseHeaders, TOKEN_REPORTED_HEADER } from './proxy-headers';
import type { ProxyMetrics } from './proxy-metrics';
import type { ProxyUpstream } from './proxy-pools.service';
import { upstreamFailure } from './upstream-error';

/** What the proxy adds to a request's access line. */
export interface ProxyAudit extends RequestAudit {
  /** Time to Proof's response headers, summed over the attempts (ms). */
  upstreamMs?: number;
  retried?: boolean;
  /** Verdict of the report of Proof's 401 passed through. */
  tokenReported?: string;
}

/** The token side the forwarder needs: TokenService.getToken and TokenRejectionService.report. */
export interface ProxyTokens {
  current(profile: string): TokenRecord | Promise<TokenRecord>;
  /** The verdict on a token Proof answered 401 to ('check_failed' when it could not be had). */
  report(profile: string, accessToken: string): Promise<string>;
}

/** One proxied exchange: where it goes, and what of the caller's request is sent. */
export interface ProxyExchange {
  readonly profile: string;
  readonly upstream: ProxyUpstream;
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[];
  readonly body: ProxyBody;
}

/** A verdict after which the current token differs from the one Proof refused. */
const RENEWED = new Set(['replaced', 'refreshed']);

/**
 * Sends a request to Proof with the current token and streams Proof's answer back. On
 * Proof's 401 the token is reported (TokenRejectionService: one check per fence across the
 * replicas) and, if the body could be replayed and the token has changed, the request is
 * sent once more with the new one; otherwise the 401 goes back marked as reported.
 */
export class ProxyForwarder {
  constructor(
    private readonly tokens: ProxyTokens,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** Resolves with the status sent; rejects (a BrokerError) only before any byte of the answer is written. */
  async forward(
    exchange: ProxyExchange,
    response: ServerResponse,
    audit: ProxyAudit,
    closing: () => boolean,
  ): Promise<number> {
    // The caller gone: stop the upstream request (and its body) at once.
    const abort = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    let token = (await this.tokens.current(exchange.profile)).accessToken;
    let answer = await this.send(exchange, token, abort.signal, audit);
    if (answer.statusCode === 401) {
      const verdict = await this.tokens.report(exchange.profile, token);
      if (exchange.body.kind !== 'stream' && RENEWED.has(verdict)) {
        await answer.body.dump();
        this.metrics.retries.inc({ profile: exchange.profile });
        audit.retried = true;
        token = (await this.tokens.current(exchange.profile)).accessToken;
        answer = await this.send(exchange, token, abort.signal, audit);
        if (answer.statusCode === 401) audit.tokenReported = await this.tokens.report(exchange.profile, token);
      } else {
        audit.tokenReported = verdict;
      }
    }
    const headers = passedResponseHeaders(answer.headers as unknown as string[]);
    if (audit.tokenReported !== undefined) headers.push(TOKEN_REPORTED_HEADER, audit.tokenReported);
    // Shutting down: this connection is not reused, so the server's drain ends with the answer.
    if (closing()) headers.push('connection', 'close');
    response.writeHead(answer.statusCode, headers);
    // A failure from here (the caller gone, Proof's body stalled past the idle timeout) can
    // only cut the answer: pipeline destroys both sides.
    await pipeline(answer.body, response).catch(() => undefined);
    return answer.statusCode;
  }

  private async send(
    exchange: ProxyExchange,
    token: string,
    signal: AbortSignal,
    audit: ProxyAudit,
  ): Promise<Dispatcher.ResponseData> {
    const { body } = exchange;
    const started = performance.now();
    try {
      return await exchange.upstream.pool.request({
        path: exchange.path,
        method: exchange.method,
        headers: [...exchange.headers, 'authorization', `Bearer ${token}`],
        body: body.kind === 'none' ? null : body.kind === 'whole' ? body.bytes : Readable.from(body.chunks),
        signal,
        responseHeaders: 'raw',
      });
    } catch (error) {
      throw upstreamFailure(error);
    } finally {
      const elapsedMs = performance.now() - started;
      audit.upstreamMs = (audit.upstreamMs ?? 0) + elapsedMs;
      this.metrics.observeUpstream(exchange.profile, elapsedMs / 1000);
    }
  }
}

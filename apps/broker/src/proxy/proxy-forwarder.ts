import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestAudit } from '../logging/request-audit';
import type { TokenRecord } from '../store/token-record';
import type { ProxyBody } from './proxy-body';
import { passedResponseHeaders, TOKEN_REPORTED_HEADER } from './proxy-headers';
import type { ProxyMetrics } from './proxy-metrics';
import type { ProxyUpstream } from './proxy-pools.service';
import { upstreamFailure } from './upstream-error';
import { HELD, type HeadWriter, UpstreamAttempt } from './upstream-attempt';

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
  /** The caller's fields to forward, made for this request (forwardedRequestHeaders): the forwarder appends Authorization. */
  readonly headers: string[];
  readonly body: ProxyBody;
}

/** A verdict after which the current token differs from the one Proof refused. */
const RENEWED = new Set(['replaced', 'refreshed']);

/** Proof's header fields as received (bytes as latin1, so they are written back byte for byte), hop-by-hop ones dropped. */
function passedHeaders(raw: readonly Buffer[]): string[] {
  const fields = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) fields[i] = raw[i].toString('latin1');
  return passedResponseHeaders(fields);
}

/**
 * Sends a request to Proof with the current token and streams Proof's answer back. On
 * Proof's 401 the token is reported (TokenRejectionService: one check per fence across the
 * replicas) and, if the body could be replayed and the token has changed, the request is
 * sent once more with the new one; otherwise the 401 goes back marked as reported.
 */
export class ProxyForwarder {
  /** Per profile, the Authorization value of the last token injected: one string per token, not per request. */
  private readonly bearers = new Map<string, { token: string; value: string }>();

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
    const writeHead: HeadWriter = (statusCode, raw) => {
      const headers = passedHeaders(raw);
      if (audit.tokenReported !== undefined) headers.push(TOKEN_REPORTED_HEADER, audit.tokenReported);
      // Shutting down: this connection is not reused, so the server's drain ends with the answer.
      if (closing()) headers.push('connection', 'close');
      response.writeHead(statusCode, headers);
    };
    let attempt: UpstreamAttempt | undefined;
    // The caller gone: stop the request to Proof (and its body) at once.
    response.once('close', () => {
      if (!response.writableFinished) attempt?.callerGone(new Error('the caller closed the connection'));
    });
    // The caller's fields, then Authorization, its value set per attempt (a retry comes after
    // Proof answered the first one, whose fields undici had serialized by then).
    const headers = exchange.headers;
    headers.push('authorization', '');
    const current = this.tokens.current(exchange.profile);
    let token = (current instanceof Promise ? await current : current).accessToken;
    for (let retried = false; ; retried = true) {
      headers[headers.length - 1] = this.bearer(exchange.profile, token);
      attempt = this.send(exchange, headers, response, writeHead);
      let status: number;
      try {
        status = await attempt.settled;
      } catch (error) {
        throw upstreamFailure(error);
      } finally {
        audit.upstreamMs = (audit.upstreamMs ?? 0) + attempt.upstreamMs;
        this.metrics.observeUpstream(exchange.profile, attempt.upstreamMs / 1000);
      }
      if (status !== HELD) return status;
      // Proof's 401 to the token injected, held back (nothing written yet).
      const verdict = await this.tokens.report(exchange.profile, token);
      if (!retried && exchange.body.kind !== 'stream' && RENEWED.has(verdict)) {
        attempt.discard();
        this.metrics.retries.inc({ profile: exchange.profile });
        audit.retried = true;
        token = (await this.tokens.current(exchange.profile)).accessToken;
        continue;
      }
      audit.tokenReported = verdict;
      return attempt.release().catch((error: unknown) => Promise.reject(upstreamFailure(error)));
    }
  }

  private bearer(profile: string, token: string): string {
    let last = this.bearers.get(profile);
    if (last?.token !== token) {
      last = { token, value: `Bearer ${token}` };
      this.bearers.set(profile, last);
    }
    return last.value;
  }

  /** Dispatches one attempt (its `settled` says how it went). */
  private send(
    exchange: ProxyExchange,
    headers: string[],
    response: ServerResponse,
    writeHead: HeadWriter,
  ): UpstreamAttempt {
    const attempt = new UpstreamAttempt(response, writeHead, true);
    if (response.destroyed) attempt.callerGone(new Error('the caller closed the connection'));
    const { body } = exchange;
    exchange.upstream.pool.dispatch(
      {
        path: exchange.path,
        method: exchange.method,
        headers,
        body: body.kind === 'none' ? null : body.kind === 'whole' ? body.bytes : Readable.from(body.chunks),
      },
      attempt,
    );
    return attempt;
  }
}

import { isOAuthErrorBody, OAuthErrorCode } from '@app/proof-contract';
import { UpstreamTokenError } from './upstream-token.error';

/** Errors that stay until an operator changes the credentials or config: never retried in a loop. */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  OAuthErrorCode.InvalidClient,
  OAuthErrorCode.InvalidScope,
  OAuthErrorCode.UnsupportedGrantType,
  OAuthErrorCode.InvalidRequest,
]);

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps a non-200 answer of POST /oauth/v2/token to a transient or permanent failure. */
export function classifyErrorResponse(
  status: number,
  body: unknown,
  retryAfter: string | null,
  now: number,
): UpstreamTokenError {
  if (status === 429)
    return new UpstreamTokenError('transient', 'rate_limited', status, parseRetryAfterMs(retryAfter, now));
  if (status >= 500)
    return new UpstreamTokenError('transient', 'upstream_5xx', status, parseRetryAfterMs(retryAfter, now));
  // Redirects are not followed: a token endpoint that moved is a configuration to fix.
  if (status >= 300 && status < 400) return new UpstreamTokenError('permanent', 'upstream_redirect', status);
  if (status === 408) return new UpstreamTokenError('transient', 'upstream_timeout', status);
  if (status === 415) return new UpstreamTokenError('permanent', 'unsupported_media_type', status);
  if (isOAuthErrorBody(body) && PERMANENT_CODES.has(body.error))
    return new UpstreamTokenError('permanent', body.error, status);
  if (status === 401) return new UpstreamTokenError('permanent', OAuthErrorCode.InvalidClient, status);
  return new UpstreamTokenError('permanent', 'upstream_4xx', status);
}

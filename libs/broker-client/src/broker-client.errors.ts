/**
 * Why the client could not give a token: the broker's own error code (`token_unavailable`,
 * `unauthenticated`, `forbidden`, `rate_limited`, ...) or one of the client's
 * (`broker_unreachable`, `broker_timeout`, `invalid_response`, `client_closed`).
 * Never carries the caller key or a token.
 */
export class BrokerClientError extends Error {
  override readonly name = 'BrokerClientError';

  constructor(
    readonly code: string,
    message: string,
    /** The broker's HTTP status, when it answered. */
    readonly status?: number,
    /** The broker's Retry-After, in seconds, when it sent one. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth retrying later: the broker was unreachable, overloaded or failing, not refusing us. */
  get retryable(): boolean {
    if (this.status === undefined) return this.code !== 'client_closed';
    return this.status === 429 || this.status === 408 || this.status >= 500;
  }
}

/** Options the client cannot work with; lists every problem at once. */
export class BrokerClientConfigError extends Error {
  override readonly name = 'BrokerClientConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`invalid BrokerClient options: ${problems.join('; ')}`);
  }
}

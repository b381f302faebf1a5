/**
 * Failures a caller can be told about. Each has an HTTP status and a stable `code` that
 * clients may branch on; messages are fixed strings, never built from secrets or tokens.
 */
export abstract class BrokerError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly retryAfterSeconds?: number;
}

export class UnauthenticatedError extends BrokerError {
  readonly status = 401;
  readonly code = 'unauthenticated';
  constructor() {
    super('A valid caller key is required: Authorization: Bearer <key>');
  }
}

export class ForbiddenError extends BrokerError {
  readonly status = 403;
  readonly code = 'forbidden';
  constructor(what: string) {
    super(`This caller may not ${what}`);
  }
}

export class UnknownProfileError extends BrokerError {
  readonly status = 404;
  readonly code = 'unknown_profile';
  constructor() {
    super('No such profile');
  }
}

export class ProfileRequiredError extends BrokerError {
  readonly status = 400;
  readonly code = 'profile_required';
  constructor() {
    super('Several profiles are configured: name one with ?profile=');
  }
}

export class TokenUnavailableError extends BrokerError {
  readonly status = 503;
  readonly code = 'token_unavailable';
  constructor(
    override readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('No valid token is available right now; retry later', options);
  }
}

export class MinTtlUnsatisfiableError extends BrokerError {
  readonly status = 503;
  readonly code = 'min_ttl_unsatisfiable';
  constructor(override readonly retryAfterSeconds: number) {
    super(
      'No token with the requested min_ttl is available; the current token was refreshed too recently to force another',
    );
  }
}

export class InvalidRequestError extends BrokerError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

export class RefreshTooSoonError extends BrokerError {
  readonly status = 429;
  readonly code = 'refresh_too_soon';
  constructor(override readonly retryAfterSeconds: number) {
    super('The current token was obtained too recently to force another refresh; retry later');
  }
}

export class RefreshFailedError extends BrokerError {
  readonly status = 503;
  readonly code = 'refresh_failed';
  constructor(
    override readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('The token could not be refreshed right now (see /token/info); retry later', options);
  }
}

export class TokenCheckFailedError extends BrokerError {
  readonly status = 503;
  readonly code = 'token_check_failed';
  constructor(
    override readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('Proof could not be asked whether the token is still valid; retry later', options);
  }
}

export class RateLimitedError extends BrokerError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(override readonly retryAfterSeconds: number) {
    super('Too many requests from this caller; retry after the Retry-After delay');
  }
}

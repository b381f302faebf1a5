import { BrokerError } from '../http/broker.errors';

/** The proxy's own failures; Proof's errors are passed through as Proof sent them, never as these. */
export class InvalidProxyPathError extends BrokerError {
  readonly status = 400;
  readonly code = 'invalid_proxy_path';
  constructor() {
    super("Not a path on Proof's API: /proof/<path> without '..', '.', '//', encoded slashes or absolute URLs");
  }
}

export class ProxyBodyTooLargeError extends BrokerError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor() {
    super('The request body is larger than this broker forwards (BROKER_PROXY_MAX_BODY_BYTES)');
  }
}

export class UpstreamUnreachableError extends BrokerError {
  readonly status = 502;
  readonly code = 'upstream_unreachable';
  constructor(options?: { cause?: unknown }) {
    super('Proof could not be reached, or the connection to it failed before its answer', options);
  }
}

export class UpstreamTimeoutError extends BrokerError {
  readonly status = 504;
  readonly code = 'upstream_timeout';
  constructor(options?: { cause?: unknown }) {
    super('Proof did not answer in time', options);
  }
}

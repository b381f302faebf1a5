import { BrokerError } from '../http/broker.errors';
import { UpstreamTimeoutError, UpstreamUnreachableError } from './proxy.errors';

/** undici's codes for "Proof did not answer in time" (connecting, or its response headers). */
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * What a failed request to Proof means for the caller. A BrokerError raised while the body
 * streamed (413 past the limit) stays itself; timeouts are 504; anything else that kept
 * Proof's answer from us (refused or reset connection, DNS, TLS, a malformed answer) is 502.
 */
export function upstreamFailure(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUTS.has(code)) return new UpstreamTimeoutError({ cause: error });
  return new UpstreamUnreachableError({ cause: error });
}

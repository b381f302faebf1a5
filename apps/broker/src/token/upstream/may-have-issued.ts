import { UpstreamTokenError } from './upstream-token.error';

/** Connection errors that prove the request never reached Proof. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether Proof may have issued a token although the request failed: no HTTP answer came
 * back (timeout, connection lost after the request left) or a 200 we could not read. Under
 * revoke-previous the served token must then be taken as revoked. An HTTP error answer
 * (429, 5xx, 4xx) means Proof issued nothing.
 */
export function mayHaveIssued(error: unknown): boolean {
  if (!(error instanceof UpstreamTokenError)) return true;
  if (error.status !== undefined) return error.status === 200;
  // The socket's error, as ProofTokenClient keeps it.
  const code = ((error.cause as { code?: unknown } | undefined)?.code ?? '') as string;
  return !NOT_SENT.has(code);
}

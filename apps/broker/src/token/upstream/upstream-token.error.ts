export type UpstreamFailureKind = 'transient' | 'permanent';

/**
 * A failed token request to Proof. `code` is stable and safe to show (`invalid_client`,
 * `upstream_5xx`, `timeout`...); the message never holds credentials or response bodies.
 */
export class UpstreamTokenError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    readonly code: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(`Proof token request failed: ${code}${status ? ` (HTTP ${status})` : ''}`, options);
    this.name = 'UpstreamTokenError';
  }
}

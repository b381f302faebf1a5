/**
 * When a refresh may be forced (POST /token/refresh) and how long a verdict on a reported
 * token stands (POST /token/rejected): plain functions of time, no I/O.
 */
import type { Verdict } from '../../store/verdict-store';
import { FORCED_REFRESH_MIN_AGE_FRACTION, lifetimeOf } from '../refresh-policy';
import type { TokenRecord } from '../../store/token-record';

/** The rule of min_ttl's forced refresh (mayForceRefresh): not before a tenth of the token's life has passed. */
export const forcedRefreshNotBefore = (record: Pick<TokenRecord, 'receivedAt' | 'expiresAt'>): number =>
  record.receivedAt + lifetimeOf(record) * FORCED_REFRESH_MIN_AGE_FRACTION;

export interface VerdictTiming {
  /** How long "alive" stands: a token Proof accepted may still be revoked later. */
  readonly recheckMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/**
 * How long a verdict stands: "dead" until the token would have expired anyway (a revoked
 * token never comes back), "alive" for the recheck period, "unknown" (Proof could not be
 * asked) for a backoff of at least Proof's Retry-After, within the backoff bounds.
 */
export function verdictTtlMs(
  verdict: Verdict,
  record: Pick<TokenRecord, 'expiresAt'>,
  now: number,
  timing: VerdictTiming,
  retryAfterMs?: number,
): number {
  const left = Math.max(1, record.expiresAt - now);
  switch (verdict) {
    case 'dead':
      return left;
    case 'alive':
      // 0 (the default): Proof's answer stands for the token's life, one check per fence.
      return timing.recheckMs === 0 ? left : Math.min(timing.recheckMs, left);
    case 'unknown':
      return Math.min(Math.max(timing.backoffBaseMs, retryAfterMs ?? 0), timing.backoffMaxMs);
  }
}

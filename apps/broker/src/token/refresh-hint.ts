import { refreshHintAt, type RefreshTiming } from './refresh-policy';
import type { TokenRecord } from '../store/token-record';

/** A token's refresh hint, computed once per token (see refreshHintAt). */
export interface RefreshHint {
  /** `refresh_at`, ISO 8601. */
  readonly refreshAt: string;
  /** Whole seconds from `refresh_at` to expiry, rounded up. */
  readonly secondsBeforeExpiry: number;
}

export function refreshHintOf(record: TokenRecord, timing: RefreshTiming): RefreshHint {
  const at = refreshHintAt(record, timing);
  return {
    refreshAt: new Date(at).toISOString(),
    secondsBeforeExpiry: Math.max(0, Math.ceil((record.expiresAt - at) / 1000)),
  };
}

/**
 * `refresh_in` from `expires_in`: the two change in the same tick, so a body cached while
 * `expires_in` holds never overstates `refresh_in`, which errs early by less than a second.
 */
export const refreshInSeconds = (hint: RefreshHint, expiresIn: number): number =>
  Math.max(0, expiresIn - hint.secondsBeforeExpiry);

/**
 * When to refresh and how long to back off: plain functions of time and chance, no I/O,
 * so they are tested with a fake clock and a fake random source.
 */
import type { TokenRecord } from '../store/token-record';

export type Random = () => number;

export interface RefreshTiming {
  readonly refreshAtFraction: number;
  readonly jitterFraction: number;
  readonly minTtlMs: number;
}

/** Doorkeeper's reuse_access_token hands back the same token until it expires: try again just after. */
export const REUSED_TOKEN_RETRY_MARGIN_MS = 1_000;
/** A forced (min_ttl) refresh is refused for a token younger than this share of its lifetime. */
export const FORCED_REFRESH_MIN_AGE_FRACTION = 0.1;
/** Upper bound on an upstream Retry-After we honour, so a bogus header cannot park us for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export const lifetimeOf = (record: Pick<TokenRecord, 'receivedAt' | 'expiresAt'>): number =>
  Math.max(0, record.expiresAt - record.receivedAt);

export const remainingMs = (record: Pick<TokenRecord, 'expiresAt'>, now: number): number => record.expiresAt - now;

/** A token is served only with at least the floor (and the caller's own minimum) left. */
export function isServable(
  record: TokenRecord | undefined,
  now: number,
  floorMs: number,
  callerMinMs = 0,
): record is TokenRecord {
  return record !== undefined && remainingMs(record, now) >= Math.max(floorMs, callerMinMs);
}

/** The shared refresh point of a freshly received token. */
export function refreshAfterFor(
  receivedAt: number,
  expiresAt: number,
  timing: RefreshTiming,
  reusedToken: boolean,
): number {
  if (reusedToken) return expiresAt + REUSED_TOKEN_RETRY_MARGIN_MS;
  const lifetime = Math.max(0, expiresAt - receivedAt);
  // Never later than the serving floor: past it the token is useless to callers.
  return Math.min(receivedAt + lifetime * timing.refreshAtFraction, expiresAt - timing.minTtlMs);
}

/**
 * This replica's own wake-up time for `record`: the shared point minus a random share of
 * the jitter window, so replicas do not all reach for the lock in the same tick.
 */
export function plannedRefreshAt(record: TokenRecord, timing: RefreshTiming, random: Random): number {
  const jitter = random() * timing.jitterFraction * lifetimeOf(record);
  // A reused token comes back from Proof until it expires: spread after that point, never before.
  if (isReused(record)) return record.refreshAfter + jitter;
  return Math.max(record.receivedAt, record.refreshAfter - jitter);
}

/** Records whose refresh point lies past their expiry were reused by Proof (see refreshAfterFor). */
const isReused = (record: TokenRecord): boolean => record.refreshAfter > record.expiresAt;

/**
 * The earliest moment any replica's scheduled refresh may replace `record`: the earliest
 * wake-up a replica can have (the shared point minus the whole jitter window), which under
 * revoke-previous is also the earliest start of a hand-over; for a reused token, its retry point.
 */
export const earliestReplacementAt = (record: TokenRecord, timing: RefreshTiming): number =>
  isReused(record) ? record.refreshAfter : plannedRefreshAt(record, timing, () => 1);

/** Whether `record` is due for replacement (see earliestReplacementAt), and when there is no record. */
export function isDue(record: TokenRecord | undefined, now: number, timing: RefreshTiming): boolean {
  return record === undefined || now >= earliestReplacementAt(record, timing);
}

/**
 * The refresh hint callers get (`refresh_at`): a caller that stops using the token then never
 * holds one a scheduled refresh revoked. A reused token is not replaced before it expires, so
 * its hint is the serving floor instead, past which no replica serves it: asking earlier only
 * brings back the same token.
 */
export const refreshHintAt = (record: TokenRecord, timing: RefreshTiming): number =>
  Math.min(earliestReplacementAt(record, timing), record.expiresAt - timing.minTtlMs);

/** Exponential backoff with full jitter (AWS architecture blog), at least the upstream's Retry-After. */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: Random,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/**
 * True while Proof is known to hand back this same token (reuse_access_token): asking again
 * before `refreshAfter` (just past its expiry) would only return it once more.
 */
export function blockedByReuse(record: TokenRecord | undefined, now: number): boolean {
  return record !== undefined && isReused(record) && now < record.refreshAfter;
}

/** A caller's min_ttl may force an early refresh, but not of a token that was just fetched. */
export function mayForceRefresh(record: TokenRecord | undefined, now: number): boolean {
  if (record === undefined) return true;
  return now - record.receivedAt >= lifetimeOf(record) * FORCED_REFRESH_MIN_AGE_FRACTION;
}

/**
 * How long a replica counts as present after its last heartbeat (sent with each reconcile):
 * three missed reconciles, and no less than 3 s, which covers the spread of reconnections
 * after a Redis restart (ioredis retries at most 2 s apart).
 */
export const presenceTtlMs = (reconcileIntervalMs: number): number => Math.max(3 * reconcileIntervalMs, 3_000);

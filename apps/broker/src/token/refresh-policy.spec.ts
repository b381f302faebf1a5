import {
  blockedByReuse,
  isDue,
  backoffDelayMs,
  isServable,
  mayForceRefresh,
  presenceTtlMs,
  MAX_RETRY_AFTER_MS,
  plannedRefreshAt,
  refreshAfterFor,
  REUSED_TOKEN_RETRY_MARGIN_MS,
} from './refresh-policy';
import { keptUntil, TokenRecord } from '../store/token-record';

const HOUR = 3_600_000;
const timing = { refreshAtFraction: 2 / 3, jitterFraction: 0.05, minTtlMs: 30_000 };
const T0 = Date.UTC(2026, 10, 28, 12);

function record(receivedAt: number, lifetimeMs: number, overrides: Partial<TokenRecord> = {}): TokenRecord {
  const expiresAt = receivedAt + lifetimeMs;
  return {
    profile: 'default',
    accessToken: 't',
    tokenType: 'Bearer',
    scope: 'read write',
    createdAt: receivedAt / 1000,
    receivedAt,
    expiresAt,
    fence: 1,
    refreshedBy: 'r1',
    refreshAfter: refreshAfterFor(receivedAt, expiresAt, timing, false),
    ...overrides,
  };
}

describe('refresh policy', () => {
  it('refreshes a 2-hour token 40 minutes before expiry', () => {
    const refreshAfter = refreshAfterFor(T0, T0 + 2 * HOUR, timing, false);
    expect(T0 + 2 * HOUR - refreshAfter).toBe(40 * 60_000);
  });

  it('never plans a refresh later than the serving floor, even for short tokens', () => {
    const refreshAfter = refreshAfterFor(T0, T0 + 40_000, timing, false);
    expect(refreshAfter).toBe(T0 + 10_000);
  });

  it('retries a reused token only once it has expired', () => {
    expect(refreshAfterFor(T0, T0 + HOUR, timing, true)).toBe(T0 + HOUR + REUSED_TOKEN_RETRY_MARGIN_MS);
  });

  it('spreads replicas over the jitter window before the shared point, and no further', () => {
    const token = record(T0, 2 * HOUR);
    expect(plannedRefreshAt(token, timing, () => 0)).toBe(token.refreshAfter);
    expect(plannedRefreshAt(token, timing, () => 0.999999)).toBeGreaterThan(token.refreshAfter - 0.05 * 2 * HOUR);
    const wakeups = Array.from({ length: 200 }, (_, i) => plannedRefreshAt(token, timing, () => i / 200));
    expect(Math.min(...wakeups)).toBeGreaterThanOrEqual(token.refreshAfter - 6 * 60_000);
    expect(new Set(wakeups).size).toBe(200);
  });

  it('serves only tokens with at least the floor, or the caller minimum, left', () => {
    const token = record(T0, 2 * HOUR);
    expect(isServable(token, T0 + 2 * HOUR - 30_000, 30_000)).toBe(true);
    expect(isServable(token, T0 + 2 * HOUR - 29_999, 30_000)).toBe(false);
    expect(isServable(token, T0, 30_000, 3 * HOUR)).toBe(false);
    expect(isServable(undefined, T0, 0)).toBe(false);
  });

  it('backs off exponentially with full jitter, capped, and honours Retry-After', () => {
    expect(backoffDelayMs(0, 1_000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, 1_000, 60_000, () => 0.5)).toBe(4_000);
    expect(backoffDelayMs(20, 1_000, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelayMs(0, 1_000, 60_000, () => 0)).toBe(0);
    expect(backoffDelayMs(0, 1_000, 60_000, () => 0.5, 120_000)).toBe(120_000);
    expect(backoffDelayMs(5, 1_000, 60_000, () => 0.9, 1_000)).toBe(28_800);
    expect(backoffDelayMs(0, 1_000, 60_000, () => 0, 10 * 24 * HOUR)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('refuses to force-refresh a token younger than a tenth of its lifetime', () => {
    const token = record(T0, 2 * HOUR);
    expect(mayForceRefresh(token, T0 + 11 * 60_000)).toBe(false);
    expect(mayForceRefresh(token, T0 + 12 * 60_000)).toBe(true);
    expect(mayForceRefresh(undefined, T0)).toBe(true);
  });
});

describe('due and reuse rules', () => {
  it('is due from the earliest jittered wake-up, and always without a record', () => {
    const token = record(T0, 2 * HOUR);
    const earliest = token.refreshAfter - 0.05 * 2 * HOUR;
    expect(isDue(token, earliest - 1, timing)).toBe(false);
    expect(isDue(token, earliest, timing)).toBe(true);
    expect(isDue(undefined, T0, timing)).toBe(true);
  });

  it('blocks refreshes of a reused token until just past its expiry', () => {
    const normal = record(T0, HOUR);
    const reused = record(T0, HOUR, { refreshAfter: refreshAfterFor(T0, T0 + HOUR, timing, true) });
    expect(blockedByReuse(normal, T0 + HOUR - 1)).toBe(false);
    expect(blockedByReuse(reused, T0 + HOUR - 1)).toBe(true);
    expect(blockedByReuse(reused, T0 + HOUR + REUSED_TOKEN_RETRY_MARGIN_MS)).toBe(false);
    expect(blockedByReuse(undefined, T0)).toBe(false);
  });

  it('keeps a record until it expires, and a reused one until its retry point', () => {
    const normal = record(T0, HOUR);
    const reused = record(T0, HOUR, { refreshAfter: refreshAfterFor(T0, T0 + HOUR, timing, true) });
    expect(keptUntil(normal)).toBe(T0 + HOUR);
    expect(keptUntil(reused)).toBe(T0 + HOUR + REUSED_TOKEN_RETRY_MARGIN_MS);
    // Proof's `expires_in: 0` for a reused token with under a second left.
    const last = record(T0, 0, { refreshAfter: refreshAfterFor(T0, T0, timing, true) });
    expect(isServable(last, T0, timing.minTtlMs)).toBe(false);
    expect(blockedByReuse(last, T0 + REUSED_TOKEN_RETRY_MARGIN_MS - 1)).toBe(true);
    expect(keptUntil(last)).toBe(T0 + REUSED_TOKEN_RETRY_MARGIN_MS);
  });

  it('never plans a reused token before its retry point, and is due exactly from there', () => {
    const reused = record(T0, HOUR, { refreshAfter: refreshAfterFor(T0, T0 + HOUR, timing, true) });
    const wakeups = Array.from({ length: 50 }, (_, i) => plannedRefreshAt(reused, timing, () => i / 50));
    expect(Math.min(...wakeups)).toBe(reused.refreshAfter);
    expect(isDue(reused, reused.refreshAfter - 1, timing)).toBe(false);
    expect(isDue(reused, reused.refreshAfter, timing)).toBe(true);
  });

  it('counts a replica present for three reconciles, at least 3 s', () => {
    expect(presenceTtlMs(5_000)).toBe(15_000);
    expect(presenceTtlMs(500)).toBe(3_000);
  });
});

import { refreshHintOf, refreshInSeconds } from './refresh-hint';
import { isDue, plannedRefreshAt, refreshAfterFor, refreshHintAt } from './refresh-policy';
import type { TokenRecord } from '../store/token-record';

const HOUR = 3_600_000;
const timing = { refreshAtFraction: 2 / 3, jitterFraction: 0.05, minTtlMs: 30_000 };
const T0 = Date.UTC(2026, 10, 29, 12);

function record(lifetimeMs: number, reused = false, receivedAt = T0): TokenRecord {
  const expiresAt = receivedAt + lifetimeMs;
  return {
    profile: 'default',
    accessToken: 't',
    tokenType: 'Bearer',
    scope: 'read',
    createdAt: receivedAt / 1000,
    receivedAt,
    expiresAt,
    fence: 1,
    refreshedBy: 'r1',
    refreshAfter: refreshAfterFor(receivedAt, expiresAt, timing, reused),
  };
}

describe('refresh hint', () => {
  it('is the shared refresh point minus the whole jitter window (2-hour token: 46 min left)', () => {
    const token = record(2 * HOUR);
    expect(token.expiresAt - refreshHintAt(token, timing)).toBe(40 * 60_000 + 0.05 * 2 * HOUR);
    expect(refreshHintOf(token, timing)).toEqual({
      refreshAt: new Date(T0 + 2 * HOUR - 46 * 60_000).toISOString(),
      secondsBeforeExpiry: 46 * 60,
    });
  });

  it('comes no later than any replica can wake up, and the scheduler finds nothing due before it', () => {
    for (const lifetime of [40_000, 90_000, 2 * HOUR]) {
      const token = record(lifetime);
      const hint = refreshHintAt(token, timing);
      // Every replica draws its own jitter: sweep the whole range of the random source.
      for (let i = 0; i < 1_000; i++) {
        expect(plannedRefreshAt(token, timing, () => i / 1_000)).toBeGreaterThanOrEqual(hint);
      }
      expect(plannedRefreshAt(token, timing, () => 1)).toBe(hint);
      // On a fake clock stepping a millisecond at a time across the hint.
      for (let now = hint - 5; now < hint; now++) expect(isDue(token, now, timing)).toBe(false);
      expect(isDue(token, hint, timing)).toBe(true);
    }
  });

  it('for a token Proof reuses, is the serving floor: no replica replaces it before it expires', () => {
    const reused = record(HOUR, true);
    expect(refreshHintAt(reused, timing)).toBe(reused.expiresAt - timing.minTtlMs);
    expect(isDue(reused, reused.expiresAt, timing)).toBe(false);
    expect(refreshHintOf(reused, timing).secondsBeforeExpiry).toBe(30);
  });

  it('gives refresh_in in step with expires_in, never past the true time to refresh_at', () => {
    const token = record(2 * HOUR + 321); // refresh_at not on a whole second before expiry
    const hint = refreshHintOf(token, timing);
    const at = refreshHintAt(token, timing);
    for (let now = at - 3_000; now <= at + 1_000; now += 7) {
      const expiresIn = Math.floor((token.expiresAt - now) / 1000);
      const refreshIn = refreshInSeconds(hint, expiresIn);
      expect(now + refreshIn * 1000).toBeLessThanOrEqual(Math.max(at, now));
      expect(now + refreshIn * 1000).toBeGreaterThan(at - 2_000);
    }
    expect(refreshInSeconds(hint, 0)).toBe(0);
  });
});

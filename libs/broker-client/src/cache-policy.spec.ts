import { holdToken, retryDelayMs, type CachePolicy } from './cache-policy';

const policy: CachePolicy = {
  safetyMarginMs: 30_000,
  minTtlMs: 0,
  spreadFraction: 0.05,
  maxSpreadMs: 30_000,
  duePollMs: 100,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
};
const T0 = 1_800_000_000_000;
const answer = (token: string, expiresIn: number, refreshIn?: number) => ({
  access_token: token,
  expires_in: expiresIn,
  refresh_in: refreshIn,
});

describe('client cache policy', () => {
  it('keeps a token until its refresh hint, less a random share of at most 5 % (capped), counted from the send', () => {
    const early = holdToken(answer('a', 7200, 4440), T0, policy, () => 0);
    expect(early).toEqual({
      token: 'a',
      expiresAt: T0 + 7_200_000,
      refreshAt: T0 + 4_440_000,
      usableUntil: T0 + 7_200_000 - 30_000,
    });
    // 5 % of 4,440 s is 222 s: capped at 30 s.
    expect(holdToken(answer('a', 7200, 4440), T0, policy, () => 0.999).refreshAt).toBeCloseTo(T0 + 4_410_030, -2);
    // Short tokens: 5 % of 6 s.
    const short = { ...policy, safetyMarginMs: 1_000 };
    expect(holdToken(answer('a', 12, 6), T0, short, () => 1).refreshAt).toBe(T0 + 5_700);
  });

  it('never keeps a token past its expiry less the safety margin, or less the caller minimum', () => {
    const held = holdToken(answer('a', 40, 35), T0, policy, () => 0);
    expect(held.refreshAt).toBe(T0 + 10_000);
    expect(held.usableUntil).toBe(T0 + 10_000);
    const strict = holdToken(answer('a', 7200, 4440), T0, { ...policy, minTtlMs: 3_000_000 }, () => 0);
    expect(strict.usableUntil).toBe(T0 + 4_200_000);
    expect(strict.refreshAt).toBe(T0 + 4_200_000);
  });

  it('asks again shortly when the same token comes back with refresh_in 0 (its replacement is pending)', () => {
    const first = holdToken(answer('a', 100, 40), T0, policy, () => 0.5);
    const again = holdToken(answer('a', 60, 0), T0 + 40_000, policy, () => 0.5, first);
    expect(again.refreshAt).toBe(T0 + 40_000 + policy.duePollMs);
    // The same token with time to go: no second spread, the hint itself.
    const sooner = holdToken(answer('a', 61, 1), T0 + 39_000, policy, () => 0.5, first);
    expect(sooner.refreshAt).toBe(T0 + 40_000);
    // A new token is spread again.
    expect(holdToken(answer('b', 100, 40), T0, policy, () => 1, first).refreshAt).toBe(T0 + 38_000);
  });

  it('asks at half the remaining life when the broker gives no hint', () => {
    expect(holdToken(answer('a', 100), T0, policy, () => 0).refreshAt).toBe(T0 + 50_000);
  });

  it('backs off exponentially with full jitter, at least half the base, and at least Retry-After', () => {
    expect(retryDelayMs(0, policy, () => 0)).toBe(250);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(2_000);
    expect(retryDelayMs(30, policy, () => 0.999)).toBe(29_970);
    expect(retryDelayMs(0, policy, () => 0.5, 7_000)).toBe(7_000);
  });
});

import { forcedRefreshNotBefore, verdictTtlMs } from './forced-refresh-policy';
import { mayForceRefresh } from '../refresh-policy';
import type { TokenRecord } from '../../store/token-record';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const record = (receivedAt: number, lifetimeMs: number) =>
  ({ receivedAt, expiresAt: receivedAt + lifetimeMs }) as TokenRecord;
const timing = { recheckMs: 30_000, backoffBaseMs: 1_000, backoffMaxMs: 60_000 };

describe('forcedRefreshNotBefore', () => {
  it('is a tenth of the lifetime after receipt: 12 minutes for a 2-hour token', () => {
    expect(forcedRefreshNotBefore(record(T0, 2 * HOUR))).toBe(T0 + 12 * 60_000);
  });

  it('agrees with mayForceRefresh (the min_ttl rule) on both sides of the boundary', () => {
    const r = record(T0, 2 * HOUR);
    const at = forcedRefreshNotBefore(r);
    expect(mayForceRefresh(r, at - 1)).toBe(false);
    expect(mayForceRefresh(r, at)).toBe(true);
  });
});

describe('verdictTtlMs', () => {
  const r = record(T0, 2 * HOUR);

  it('keeps "dead" until the token would have expired', () => {
    expect(verdictTtlMs('dead', r, T0 + HOUR, timing)).toBe(HOUR);
  });

  it('keeps "alive" for the recheck period, never past the expiry', () => {
    expect(verdictTtlMs('alive', r, T0, timing)).toBe(30_000);
    expect(verdictTtlMs('alive', r, r.expiresAt - 5_000, timing)).toBe(5_000);
  });

  it('keeps "alive" until the expiry without a recheck period (the default: one check per fence)', () => {
    expect(verdictTtlMs('alive', r, T0 + HOUR, { ...timing, recheckMs: 0 })).toBe(HOUR);
  });

  it('keeps "unknown" for the backoff base, or Proof\'s Retry-After within the maximum', () => {
    expect(verdictTtlMs('unknown', r, T0, timing)).toBe(1_000);
    expect(verdictTtlMs('unknown', r, T0, timing, 7_000)).toBe(7_000);
    expect(verdictTtlMs('unknown', r, T0, timing, 3 * HOUR)).toBe(60_000);
  });

  it('is at least 1 ms, even for a token past its expiry (PX 0 is an error in Redis)', () => {
    expect(verdictTtlMs('dead', r, r.expiresAt + 1_000, timing)).toBe(1);
    expect(verdictTtlMs('alive', r, r.expiresAt + 1_000, timing)).toBe(1);
  });
});

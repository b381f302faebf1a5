import { retryAfterSeconds } from './retry-after';

const T0 = 1_700_000_000_000;

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds and is at least 1', () => {
    expect(retryAfterSeconds(T0 + 4_001, T0)).toBe(5);
    expect(retryAfterSeconds(T0 + 4_000, T0)).toBe(4);
    expect(retryAfterSeconds(T0, T0)).toBe(1);
    expect(retryAfterSeconds(T0 - 10_000, T0)).toBe(1);
  });
});

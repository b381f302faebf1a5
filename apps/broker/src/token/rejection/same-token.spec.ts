import { sameToken } from './same-token';

describe('sameToken', () => {
  it('is true only for the very same token', () => {
    expect(sameToken('abc.def-123', 'abc.def-123')).toBe(true);
    expect(sameToken('abc.def-123', 'abc.def-124')).toBe(false);
    expect(sameToken('abc.def-123', 'abc.def-1234')).toBe(false);
    expect(sameToken('', 'abc')).toBe(false);
  });

  it('compares tokens of any length without throwing (timingSafeEqual needs equal lengths)', () => {
    expect(() => sameToken('x', 'y'.repeat(5_000))).not.toThrow();
  });
});

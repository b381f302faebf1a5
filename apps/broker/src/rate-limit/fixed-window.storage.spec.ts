import { FixedWindowStorage } from './fixed-window.storage';

describe('FixedWindowStorage', () => {
  let now: number;
  const storage = (maxKeys?: number) => new FixedWindowStorage(() => now, maxKeys);
  beforeEach(() => {
    now = 1_000_000;
    jest.useFakeTimers({ now });
  });
  afterEach(() => jest.useRealTimers());

  it('allows `limit` hits per window, then answers the ms left in the window without counting', () => {
    const s = storage();
    for (let i = 0; i < 3; i++) expect(s.consume('a', 3, 1_000)).toBe(0);
    now += 400;
    expect(s.consume('a', 3, 1_000)).toBe(600);
    expect(s.consume('a', 3, 1_000)).toBe(600);
    now += 599;
    expect(s.consume('a', 3, 1_000)).toBe(1);
    now += 1;
    // A new window starts at the first hit after the old one ended; refused hits were not counted.
    for (let i = 0; i < 3; i++) expect(s.consume('a', 3, 1_000)).toBe(0);
    expect(s.consume('a', 3, 1_000)).toBe(1_000);
  });

  it('keeps keys apart', () => {
    const s = storage();
    expect(s.consume('a', 1, 1_000)).toBe(0);
    expect(s.consume('a', 1, 1_000)).toBe(1_000);
    expect(s.consume('b', 1, 1_000)).toBe(0);
    expect(s.blockedFor('a', 1)).toBe(1_000);
    expect(s.blockedFor('b', 2)).toBe(0);
    expect(s.blockedFor('never-seen', 1)).toBe(0);
  });

  it('sets no timer, and forgets expired windows once new keys arrive', () => {
    const s = storage();
    for (let i = 0; i < 100; i++) s.consume(`old-${i}`, 5, 1_000);
    expect(jest.getTimerCount()).toBe(0);
    now += 1_000;
    s.consume('new', 5, 1_000);
    expect(s.size).toBe(1);
  });

  it('drops the oldest live window when full, so a flood of addresses cannot grow the map', () => {
    const s = storage(3);
    for (const key of ['a', 'b', 'c', 'd']) s.consume(key, 1, 1_000);
    expect(s.size).toBe(3);
    expect(s.blockedFor('a', 1)).toBe(0);
    expect(s.blockedFor('d', 1)).toBe(1_000);
  });
});

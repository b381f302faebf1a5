import { MemoryVerdictStore } from './memory-verdict-store';

describe('MemoryVerdictStore (the embedded twin of the Redis verdict keys)', () => {
  afterEach(() => jest.useRealTimers());

  it('lets one caller claim a fence, until the claim expires', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new MemoryVerdictStore();
    expect(await store.claim('p', 3, 100)).toBe(true);
    expect(await store.claim('p', 3, 100)).toBe(false);
    expect(await store.read('p', 3)).toBe('checking');
    // Other fences and profiles are separate.
    expect(await store.claim('p', 4, 100)).toBe(true);
    expect(await store.claim('q', 3, 100)).toBe(true);
    jest.setSystemTime(1_000_100);
    expect(await store.read('p', 3)).toBeUndefined();
    expect(await store.claim('p', 3, 100)).toBe(true);
  });

  it('keeps a verdict for its TTL, and a verdict blocks new claims', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new MemoryVerdictStore();
    await store.claim('p', 1, 50);
    await store.settle('p', 1, 'dead', 10_000);
    jest.setSystemTime(1_005_000);
    expect(await store.read('p', 1)).toBe('dead');
    expect(await store.claim('p', 1, 50)).toBe(false);
    jest.setSystemTime(1_010_000);
    expect(await store.read('p', 1)).toBeUndefined();
  });
});

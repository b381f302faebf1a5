import { makeRecord } from '../../../../test/support/token-records';
import { MemoryTokenStore } from './memory-token-store';

describe('MemoryTokenStore: how long a record is kept', () => {
  afterEach(() => jest.useRealTimers());

  it('drops a record at its expiry, and a reused one only at its retry point', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new MemoryTokenStore();
    const record = makeRecord('plain', 1, {}, 1_000);
    const reused = makeRecord('reused', 1, {}, 1_000);
    await store.write(record);
    await store.write({ ...reused, refreshAfter: reused.expiresAt + 1_000 });

    jest.setSystemTime(record.expiresAt - 1);
    expect(await store.read('plain')).toBeDefined();
    jest.setSystemTime(record.expiresAt);
    expect(await store.read('plain')).toBeUndefined();
    // Past its expiry the reused token's record still says: asking Proof now returns it again.
    expect(await store.read('reused')).toMatchObject({ refreshAfter: reused.expiresAt + 1_000 });
    jest.setSystemTime(reused.expiresAt + 1_000);
    expect(await store.read('reused')).toBeUndefined();
  });
});

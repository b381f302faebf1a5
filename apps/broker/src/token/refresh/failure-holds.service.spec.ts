import { setImmediate as settled } from 'node:timers/promises';
import { LiveConfig } from '../../config/live-config.service';
import { MemoryTokenStore } from '../../store/memory-token-store';
import type { RefreshStatus } from '../../store/token-store';
import { unitConfig } from '../../../../../test/support/unit-config';
import { FailureHolds } from './failure-holds.service';

const failed: RefreshStatus = {
  lastAttemptAt: 0,
  lastAttemptBy: 'r1',
  lastOutcome: 'permanent_failure',
  lastError: 'invalid_client',
  consecutiveFailures: 1,
  nextAttemptAt: Number.MAX_SAFE_INTEGER,
};

describe('FailureHolds', () => {
  const config = unitConfig();
  const withSecrets = (secrets: string[]) => ({
    ...config,
    profiles: config.profiles.map((p) => ({ ...p, clientSecrets: secrets })),
  });
  let store: MemoryTokenStore;
  let live: LiveConfig;
  let holds: FailureHolds;
  beforeEach(() => {
    store = new MemoryTokenStore();
    live = new LiveConfig(config);
    holds = new FailureHolds(store, live);
    holds.onModuleInit();
  });

  it('lifts the hold when a reload changes the secrets: lock released, next attempt cleared', async () => {
    const lease = (await store.acquireLock('default', 300_000, 0))!;
    await store.writeStatus('default', failed);
    holds.keep('default', lease);
    live.replace(withSecrets(['a-new-secret-after-the-failure']));
    await settled();
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
    const status = await store.readStatus('default');
    expect(status?.nextAttemptAt).toBeUndefined();
    expect(status?.lastError).toBe('invalid_client');
  });

  it('lifts nothing on a reload that leaves the secrets as they were', async () => {
    const lease = (await store.acquireLock('default', 300_000, 0))!;
    holds.keep('default', lease);
    live.replace({ ...config });
    await settled();
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
  });

  it('leaves alone a hold that a later attempt ended (forget)', async () => {
    const lease = (await store.acquireLock('default', 300_000, 0))!;
    await store.writeStatus('default', failed);
    holds.keep('default', lease);
    holds.forget('default');
    live.replace(withSecrets(['a-new-secret-after-the-failure']));
    await settled();
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    expect((await store.readStatus('default'))?.nextAttemptAt).toBe(failed.nextAttemptAt);
  });

  it('does not clear the status when the lock moved on to another owner (compare-and-delete)', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const lease = (await store.acquireLock('default', 1_000, 0))!;
      holds.keep('default', lease);
      jest.setSystemTime(1_700_000_002_000);
      const other = await store.acquireLock('default', 300_000, 0);
      await store.writeStatus('default', failed);
      live.replace(withSecrets(['a-new-secret-after-the-failure']));
      await jest.advanceTimersByTimeAsync(0);
      expect(other).toBeDefined();
      expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
      expect((await store.readStatus('default'))?.nextAttemptAt).toBe(failed.nextAttemptAt);
    } finally {
      jest.useRealTimers();
    }
  });

  it('tells a failure of a request sent with replaced secrets from one sent with the current ones', () => {
    const before = holds.secretsVersion('default');
    expect(holds.mayHold('default', before)).toBe(true);
    live.replace(withSecrets(['a-new-secret-after-the-failure']));
    expect(holds.mayHold('default', before)).toBe(false);
    expect(holds.mayHold('default', holds.secretsVersion('default'))).toBe(true);
  });
});

import type { TokenRecord } from '../../store/token-record';
import type { TokenStore } from '../../store/token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import type { TokenCache } from '../token-cache.service';
import type { ProofTokenClient, TokenInfoAnswer } from '../upstream/proof-token.client';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import { LeaseKeeper } from './lease-keeper.service';
import { ServingLease } from './serving-lease.service';

const config = unitConfig({
  PROOF_TOKEN_POLICY: 'revoke-previous',
  BROKER_RECONCILE_INTERVAL_MS: '1000',
  BROKER_PRESENCE_MARGIN_MS: '1000',
  BROKER_LEASE_CHECK_INTERVAL_MS: '3000',
});
const profile = config.profiles[0];

describe('LeaseKeeper (fake clock)', () => {
  let held: TokenRecord | undefined;
  let calls: string[];
  let heartbeat: jest.Mock<Promise<void>, [string, string, number]>;
  let tokenInfo: jest.Mock<Promise<TokenInfoAnswer>, [unknown, string, number]>;
  let lease: ServingLease;
  let keeper: LeaseKeeper;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    held = makeRecord('default', 4, {}, 3_600_000);
    calls = [];
    heartbeat = jest.fn((_profile: string, _replica: string, _ttlMs: number) => {
      calls.push('heartbeat');
      return Promise.resolve();
    });
    tokenInfo = jest.fn((_profile: unknown, _token: string, _timeoutMs: number) =>
      Promise.resolve<TokenInfoAnswer>({ active: true }),
    );
    const store = { kind: 'redis', heartbeat } as unknown as TokenStore;
    const cache = {
      serving: () => held,
      loadFrom: () => {
        calls.push('read');
        return Promise.resolve(held);
      },
    } as unknown as TokenCache;
    lease = new ServingLease(config, store);
    keeper = new LeaseKeeper(config, lease, cache, store, { tokenInfo } as unknown as ProofTokenClient);
  });
  afterEach(() => jest.useRealTimers());

  it('renews with a heartbeat, then a read, and only once both landed', async () => {
    expect(keeper.needsEvidence('default')).toBe(true);
    await keeper.renew('default');
    expect(calls).toEqual(['heartbeat', 'read']);
    expect(heartbeat).toHaveBeenCalledWith('default', config.replicaId, 3_000);
    expect(lease.allows('default', 4)).toBe(true);
    expect(keeper.needsEvidence('default')).toBe(false);
    jest.advanceTimersByTime(2_000);
    heartbeat.mockRejectedValueOnce(new Error('Command timed out'));
    await expect(keeper.renew('default')).rejects.toThrow('timed out');
    expect(lease.allows('default', 4)).toBe(false);
  });

  it('asks Proof at once, then at most once per interval; callers in between share the next check', async () => {
    await expect(keeper.check(profile)).resolves.toEqual({ verdict: 'alive', record: held });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    expect(lease.vouchedFor('default', 4)).toBe(true);
    const a = keeper.check(profile);
    const b = keeper.check(profile);
    await jest.advanceTimersByTimeAsync(2_999);
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(Promise.all([a, b])).resolves.toEqual([
      { verdict: 'alive', record: held },
      { verdict: 'alive', record: held },
    ]);
    expect(tokenInfo).toHaveBeenCalledTimes(2);
  });

  it('asks at once for a rejection report; a refused token is refused for good and not asked about again', async () => {
    await keeper.check(profile);
    tokenInfo.mockResolvedValueOnce({ active: false });
    await expect(keeper.check(profile, true)).resolves.toEqual({ verdict: 'dead', record: held });
    expect(tokenInfo).toHaveBeenCalledTimes(2);
    expect(lease.isRefused('default', 4)).toBe(true);
    expect(keeper.needsEvidence('default')).toBe(false);
    await expect(keeper.check(profile, true)).resolves.toEqual({ verdict: 'dead', record: held });
    expect(tokenInfo).toHaveBeenCalledTimes(2);
  });

  it('says unknown when Proof cannot be asked, and unknown with nothing held', async () => {
    tokenInfo.mockRejectedValueOnce(new UpstreamTokenError('transient', 'timeout'));
    await expect(keeper.check(profile)).resolves.toEqual({ verdict: 'unknown', record: held });
    expect(lease.vouchedFor('default', 4)).toBe(false);
    held = undefined;
    const pending = keeper.check(profile, true);
    await expect(pending).resolves.toEqual({ verdict: 'unknown' });
  });
});

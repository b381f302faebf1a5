import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import { TokenUnavailableError } from '../../http/broker.errors';
import { ProfileResolver } from '../../profiles/profile-resolver';
import type { TokenStore } from '../../store/token-store';
import { LeaseKeeper } from '../refresh/lease-keeper.service';
import { ServingLease } from '../refresh/serving-lease.service';
import type { TokenRefresher } from '../refresh/token-refresher.service';
import { TokenCache } from '../token-cache.service';
import type { ProofTokenClient, TokenInfoAnswer } from '../upstream/proof-token.client';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import { TokenSource } from './token-source.service';

// Cold wait 5 s, one token/info check per 3 s: a failed check leaves room for one more.
const config = unitConfig({
  PROOF_TOKEN_POLICY: 'revoke-previous',
  BROKER_COLD_WAIT_MS: '5000',
  BROKER_LEASE_CHECK_INTERVAL_MS: '3000',
});
const timeout = () => new UpstreamTokenError('transient', 'timeout');

describe('TokenSource past the presence lease (revoke-previous, Redis out of reach; fake clock)', () => {
  let redisUp: boolean;
  let tokenInfo: jest.Mock<Promise<TokenInfoAnswer>, [unknown, string, number]>;
  let keeper: LeaseKeeper;
  let source: TokenSource;
  let held: ReturnType<typeof makeRecord>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    redisUp = false;
    const away = () => Promise.reject(new Error('Command timed out'));
    const store = {
      kind: 'redis',
      heartbeat: () => (redisUp ? Promise.resolve() : away()),
      read: () => (redisUp ? Promise.resolve(undefined) : away()),
      readStatus: away,
    } as unknown as TokenStore;
    const cache = new TokenCache(config);
    held = makeRecord('default', 4, {}, 3_600_000);
    cache.offer(held);
    tokenInfo = jest.fn<Promise<TokenInfoAnswer>, [unknown, string, number]>();
    const lease = new ServingLease(config, store);
    keeper = new LeaseKeeper(config, lease, cache, store, { tokenInfo } as unknown as ProofTokenClient);
    // No lock without Redis.
    const refresher = { refresh: away } as unknown as TokenRefresher;
    source = new TokenSource(config, new ProfileResolver(config), cache, store, refresher, lease, keeper);
  });
  afterEach(() => jest.useRealTimers());

  /** GET /token, settled: the record served or the error. */
  async function getToken(advanceMs: number): Promise<unknown> {
    const answer = Promise.resolve(source.getToken('default')).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(advanceMs);
    return answer;
  }

  it('asks Proof again when a check fails, and serves the token on a "valid" within the cold wait', async () => {
    expect(keeper.needsEvidence('default')).toBe(true);
    tokenInfo.mockRejectedValueOnce(timeout()).mockResolvedValueOnce({ active: true });
    // The old code gave up on the first failed check and waited for Redis: 503 at the cold wait's end.
    await expect(getToken(5_000)).resolves.toBe(held);
    expect(tokenInfo).toHaveBeenCalledTimes(2);
  });

  it('answers 503 by the end of the cold wait while Proof cannot be asked, one check per interval', async () => {
    tokenInfo.mockRejectedValue(timeout());
    const started = Date.now();
    const answer = await getToken(5_500);
    expect(answer).toBeInstanceOf(TokenUnavailableError);
    expect(tokenInfo).toHaveBeenCalledTimes(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
  });

  it('serves as usual once Redis answers again between two checks (the lease renewed)', async () => {
    tokenInfo.mockRejectedValue(timeout());
    const answer = getToken(1_000);
    redisUp = true;
    await keeper.renew('default');
    await jest.advanceTimersByTimeAsync(300);
    await expect(answer).resolves.toBe(held);
    expect(tokenInfo).toHaveBeenCalledTimes(1);
  });

  it('does not serve a token Proof calls invalid', async () => {
    tokenInfo.mockResolvedValue({ active: false });
    await expect(getToken(6_000)).resolves.toBeInstanceOf(TokenUnavailableError);
  });
});

describe('TokenSource on the cold path: the cold wait bounds every request (fake clock)', () => {
  afterEach(() => jest.useRealTimers());

  it('answers 503 at the end of the cold wait while a refresh is still held up by a slow Redis', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const newPolicy = unitConfig({ PROOF_TOKEN_POLICY: 'new', BROKER_COLD_WAIT_MS: '5000' });
    const store = { kind: 'redis', read: () => Promise.resolve(undefined) } as unknown as TokenStore;
    const cache = new TokenCache(newPolicy);
    const lease = new ServingLease(newPolicy, store);
    const keeper = new LeaseKeeper(newPolicy, lease, cache, store, {} as ProofTokenClient);
    // Each Redis command of the refresh takes up to its timeout: this one outlasts the cold wait.
    let finish!: (result: 'refreshed') => void;
    const refresh = jest.fn(() => new Promise<'refreshed'>((resolve) => (finish = resolve)));
    const refresher = { refresh } as unknown as TokenRefresher;
    const source = new TokenSource(newPolicy, new ProfileResolver(newPolicy), cache, store, refresher, lease, keeper);

    let settledAt: number | undefined;
    const answer = Promise.resolve(source.getToken('default'))
      .catch((error: unknown) => error)
      .finally(() => (settledAt = Date.now()));
    const started = Date.now();
    await jest.advanceTimersByTimeAsync(4_900);
    expect(settledAt).toBeUndefined();
    expect(refresh).toHaveBeenCalledTimes(1);
    // The old code held the request until the refresh returned (in the soak: 7.6 s past the cold wait).
    await jest.advanceTimersByTimeAsync(200);
    expect(await answer).toBeInstanceOf(TokenUnavailableError);
    expect(settledAt! - started).toBe(5_000);
    // The refresh goes on for the callers that come next.
    cache.offer(makeRecord('default', 1, {}, 3_600_000));
    finish('refreshed');
    expect(source.getToken('default')).toMatchObject({ fence: 1 });
  });
});

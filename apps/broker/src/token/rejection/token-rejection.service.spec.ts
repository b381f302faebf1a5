import { Logger } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { RefreshFailedError, TokenCheckFailedError, UnknownProfileError } from '../../http/broker.errors';
import type { BrokerMetrics } from '../../metrics/broker-metrics';
import { ProfileResolver } from '../../profiles/profile-resolver';
import type { TokenRecord } from '../../store/token-record';
import type { TokenEvent, TokenStore } from '../../store/token-store';
import type { Verdict, VerdictState, VerdictStore } from '../../store/verdict-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import type { ForcedRefresh, ForcedRefresher } from '../refresh/forced-refresher.service';
import type { TokenCache } from '../token-cache.service';
import type { ProofTokenClient, TokenInfoAnswer } from '../upstream/proof-token.client';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import type { Evidence, LeaseKeeper } from '../refresh/lease-keeper.service';
import { HandOver } from '../refresh/hand-over.service';
import { ServingLease } from '../refresh/serving-lease.service';
import { TokenRejectionService } from './token-rejection.service';

// Jest's fake timers patch the test's global timers but not node:timers/promises, whose `sleep`
// paces the service's wait for another replica's verdict: route it through the faked setTimeout.
jest.mock('node:timers/promises', () => ({
  ...jest.requireActual<object>('node:timers/promises'),
  setTimeout: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
}));

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const LIFETIME = 2 * HOUR;

/** A fake that throws on any member it was not given: an unexpected call fails the test. */
function strict<T>(name: string, members: object): T {
  return new Proxy(members, {
    get(target, key, receiver) {
      // Symbols and `then` are probed by await and by jest's printing, not by the service.
      if (typeof key === 'symbol' || key === 'then' || key in target) return Reflect.get(target, key, receiver);
      throw new Error(`unexpected use of ${name}.${key}`);
    },
  }) as T;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The shared verdicts, as RedisVerdictStore keeps them: SET NX claims, entries that expire on the fake clock. */
class FakeVerdicts {
  readonly entries = new Map<string, { state: VerdictState; until: number }>();
  readonly claim = jest.fn((profile: string, fence: number, ttlMs: number): Promise<boolean> => {
    if (this.state(profile, fence) !== undefined) return Promise.resolve(false);
    this.put(profile, fence, 'checking', ttlMs);
    return Promise.resolve(true);
  });
  readonly read = jest.fn((profile: string, fence: number) => Promise.resolve(this.state(profile, fence)));
  readonly settle = jest.fn((profile: string, fence: number, verdict: Verdict, ttlMs: number): Promise<void> => {
    this.put(profile, fence, verdict, ttlMs);
    return Promise.resolve();
  });

  put(profile: string, fence: number, state: VerdictState, ttlMs: number): void {
    this.entries.set(`${profile}/${fence}`, { state, until: Date.now() + ttlMs });
  }

  private state(profile: string, fence: number): VerdictState | undefined {
    const entry = this.entries.get(`${profile}/${fence}`);
    return entry && Date.now() < entry.until ? entry.state : undefined;
  }
}

describe('TokenRejectionService (strict fakes, fake clock)', () => {
  const defaults = unitConfig();
  let config: BrokerConfig;
  /** What this replica's cache holds, and what the store holds (reached only through cache.loadFrom). */
  let held: TokenRecord | undefined;
  let stored: TokenRecord | undefined;
  let cache: {
    get: jest.Mock<TokenRecord | undefined, [string]>;
    loadFrom: jest.Mock<Promise<TokenRecord | undefined>, [TokenStore, string]>;
    pause: jest.Mock<void, [string, number, number?]>;
    resume: jest.Mock<void, [string, number]>;
  };
  let store: { publish: jest.Mock<Promise<void>, [TokenEvent]> };
  let verdicts: FakeVerdicts;
  let tokenInfo: jest.Mock<Promise<TokenInfoAnswer>, [unknown, string, number]>;
  let replace: jest.Mock<Promise<ForcedRefresh>, [unknown, number]>;
  let counted: jest.Mock<void, [{ profile: string; verdict: string }]>;
  let logged: string[];
  let service: TokenRejectionService;

  const record = (fence: number) => makeRecord('default', fence, {}, LIFETIME);
  /** `keeper`: a replica on Redis whose presence lease has lapsed (revoke-previous), with this LeaseKeeper. */
  const build = (env: NodeJS.ProcessEnv = {}, keeper?: Partial<LeaseKeeper>) => {
    config = Object.keys(env).length ? unitConfig(env) : defaults;
    service = new TokenRejectionService(
      config,
      new ProfileResolver(config),
      strict<TokenCache>('cache', cache),
      strict<TokenStore>('store', store),
      strict<VerdictStore>('verdicts', verdicts),
      strict<ProofTokenClient>('client', { tokenInfo }),
      strict<ForcedRefresher>('forced', { replace }),
      strict<BrokerMetrics>('metrics', { rejections: strict('metrics.rejections', { inc: counted }) }),
      // Else the embedded store: no presence lease to lose (ServingLease's spec covers it).
      new ServingLease(config, strict<TokenStore>('store.kind', { kind: keeper ? 'redis' : 'memory' })),
      strict<LeaseKeeper>('keeper', keeper ?? {}),
      new HandOver(config, strict<TokenStore>('store', store), strict<TokenCache>('cache', cache)),
    );
  };
  const verdictsCounted = () => counted.mock.calls.map(([labels]) => labels.verdict);
  /** The replacement another unit (TokenRefresher under the lock) leaves in the cache. */
  const replacesWith = (fence: number) =>
    replace.mockImplementation(() => {
      held = record(fence);
      return Promise.resolve({ record: held, outcome: 'refreshed' });
    });

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    held = record(1);
    stored = held;
    cache = {
      get: jest.fn((profile: string) => (profile === 'default' ? held : undefined)),
      loadFrom: jest.fn((_store: TokenStore, profile: string) => {
        if (profile === 'default' && stored && (!held || stored.fence > held.fence)) held = stored;
        return Promise.resolve(stored);
      }),
      pause: jest.fn(),
      resume: jest.fn(),
    };
    store = { publish: jest.fn((_event: TokenEvent) => Promise.resolve()) };
    verdicts = new FakeVerdicts();
    tokenInfo = jest.fn();
    replace = jest.fn();
    counted = jest.fn();
    logged = [];
    for (const level of ['log', 'warn'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown, ..._rest: unknown[]) => {
        logged.push(String(message));
      });
    build();
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('answers replaced for a token that is not the current one, after one store re-read, without asking Proof', async () => {
    held = record(2);
    stored = held;
    await expect(service.report('default', 'token-default-1')).resolves.toEqual({
      verdict: 'replaced',
      profile: 'default',
      fence: 2,
    });
    expect(cache.loadFrom).toHaveBeenCalledTimes(1);
    expect(verdicts.read).not.toHaveBeenCalled();
    expect(verdicts.claim).not.toHaveBeenCalled();
    expect(tokenInfo).not.toHaveBeenCalled();
    expect(replace).not.toHaveBeenCalled();
    expect(verdictsCounted()).toEqual(['replaced']);
  });

  it('judges a token this replica had not heard of yet once the store re-read brings it', async () => {
    stored = record(2);
    tokenInfo.mockResolvedValue({ active: true });
    await expect(service.report('default', 'token-default-2')).resolves.toEqual({
      verdict: 'alive',
      profile: 'default',
      fence: 2,
    });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    expect(tokenInfo).toHaveBeenCalledWith(profileOf(config), 'token-default-2', config.refresh.upstreamTimeoutMs);
    expect(verdicts.settle).toHaveBeenCalledWith('default', 2, 'alive', LIFETIME);
  });

  it('asks Proof once for concurrent reports of the current token and gives them all its verdict', async () => {
    const answer = deferred<TokenInfoAnswer>();
    tokenInfo.mockReturnValue(answer.promise);
    const reports = Promise.all([1, 2, 3].map(() => service.report('default', 'token-default-1')));
    await jest.advanceTimersByTimeAsync(0);
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    answer.resolve({ active: true });
    expect((await reports).map((dto) => dto.verdict)).toEqual(['alive', 'alive', 'alive']);
    expect(verdicts.claim).toHaveBeenCalledTimes(1);
    expect(verdicts.settle).toHaveBeenCalledTimes(1);
    expect(verdictsCounted()).toEqual(['alive', 'alive', 'alive']);
  });

  it('leaves a live token alone: nothing paused, announced or refreshed, and its cache entry untouched', async () => {
    tokenInfo.mockResolvedValue({ active: true });
    await expect(service.report('default', 'token-default-1')).resolves.toEqual({
      verdict: 'alive',
      profile: 'default',
      fence: 1,
    });
    expect(replace).not.toHaveBeenCalled();
    expect(cache.pause).not.toHaveBeenCalled();
    expect(store.publish).not.toHaveBeenCalled();
    // The current token needs no store re-read.
    expect(cache.loadFrom).not.toHaveBeenCalled();
  });

  it('keeps "alive" for the rest of the token\'s life by default (BROKER_REJECTION_RECHECK_MS=0): one check per fence', async () => {
    expect(config.refresh.rejectionRecheckMs).toBe(0);
    tokenInfo.mockResolvedValue({ active: true });
    await service.report('default', 'token-default-1');
    expect(verdicts.settle).toHaveBeenCalledWith('default', 1, 'alive', LIFETIME);
    await jest.advanceTimersByTimeAsync(LIFETIME - 1_000);
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({ verdict: 'alive' });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    expect(verdicts.claim).toHaveBeenCalledTimes(1);
  });

  it('asks again once BROKER_REJECTION_RECHECK_MS has passed since Proof accepted the token', async () => {
    build({ BROKER_REJECTION_RECHECK_MS: '60000' });
    tokenInfo.mockResolvedValue({ active: true });
    await service.report('default', 'token-default-1');
    expect(verdicts.settle).toHaveBeenCalledWith('default', 1, 'alive', 60_000);
    await jest.advanceTimersByTimeAsync(59_999);
    await service.report('default', 'token-default-1');
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    tokenInfo.mockResolvedValue({ active: false });
    replacesWith(2);
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({ verdict: 'refreshed' });
    expect(tokenInfo).toHaveBeenCalledTimes(2);
  });

  it('replaces a dead token once for concurrent reports: paused, hand-over announced, new fence answered', async () => {
    tokenInfo.mockResolvedValue({ active: false });
    replacesWith(2);
    const reports = await Promise.all([1, 2].map(() => service.report('default', 'token-default-1')));
    expect(reports).toEqual([
      { verdict: 'refreshed', profile: 'default', fence: 2 },
      { verdict: 'refreshed', profile: 'default', fence: 2 },
    ]);
    expect(replace).toHaveBeenCalledTimes(1);
    expect(replace).toHaveBeenCalledWith(profileOf(config), 1);
    expect(cache.pause).toHaveBeenCalledTimes(1);
    expect(cache.pause).toHaveBeenCalledWith('default', 2, T0 + config.refresh.lockTtlMs);
    expect(store.publish.mock.calls).toEqual([[{ profile: 'default', fence: 2, kind: 'handover' }]]);
    expect(cache.resume).not.toHaveBeenCalled();
    // A revoked token never comes back: "dead" stands until it would have expired anyway.
    expect(verdicts.settle).toHaveBeenCalledWith('default', 1, 'dead', LIFETIME);
    expect(verdictsCounted()).toEqual(['refreshed', 'refreshed']);
    expect(logged.join('\n')).not.toContain('token-default-1');
  });

  it('answers replaced to a late report of the dead token, with no second check or refresh', async () => {
    tokenInfo.mockResolvedValue({ active: false });
    replacesWith(2);
    await service.report('default', 'token-default-1');
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({
      verdict: 'replaced',
      fence: 2,
    });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    expect(replace).toHaveBeenCalledTimes(1);
  });

  it('passes a failed replacement on, lifting the pause and ending the hand-over it announced', async () => {
    tokenInfo.mockResolvedValue({ active: false });
    const failure = new RefreshFailedError(5);
    replace.mockRejectedValue(failure);
    await expect(service.report('default', 'token-default-1')).rejects.toBe(failure);
    expect(cache.resume).toHaveBeenCalledWith('default', 2);
    expect(store.publish.mock.calls).toEqual([
      [{ profile: 'default', fence: 2, kind: 'handover' }],
      [{ profile: 'default', fence: 2, kind: 'handover_end' }],
    ]);
    expect(verdictsCounted()).toEqual(['refresh_failed']);
  });

  it.each([
    ['rate limited with a Retry-After', new UpstreamTokenError('transient', 'rate_limited', 429, 7_500), 7_500, 8],
    ['a 5xx without Retry-After', new UpstreamTokenError('transient', 'upstream_5xx', 503), 1_000, 1],
    [
      'a Retry-After beyond the backoff maximum',
      new UpstreamTokenError('transient', 'rate_limited', 429, HOUR),
      60_000,
      60,
    ],
    ['an unexpected error', new Error('socket hang up'), 1_000, 1],
  ])(
    'maps token/info failing (%s) to 503 token_check_failed, shared as "unknown" for the backoff',
    async (_case, error, backoffMs, retryAfterSeconds) => {
      tokenInfo.mockRejectedValue(error);
      const failed = await service.report('default', 'token-default-1').catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TokenCheckFailedError);
      expect(failed).toMatchObject({ status: 503, code: 'token_check_failed', retryAfterSeconds, cause: error });
      expect(verdicts.settle).toHaveBeenCalledWith('default', 1, 'unknown', backoffMs);
      expect(replace).not.toHaveBeenCalled();
      expect(verdictsCounted()).toEqual(['check_failed']);
      expect(logged.join('\n')).not.toContain('token-default-1');
    },
  );

  it('asks no one during the shared backoff after a failed check, and asks again once it ends', async () => {
    tokenInfo.mockRejectedValueOnce(new UpstreamTokenError('transient', 'rate_limited', 429, 7_500));
    await expect(service.report('default', 'token-default-1')).rejects.toBeInstanceOf(TokenCheckFailedError);
    await jest.advanceTimersByTimeAsync(7_499);
    const during = await service.report('default', 'token-default-1').catch((e: unknown) => e);
    expect(during).toMatchObject({ code: 'token_check_failed', retryAfterSeconds: 1 });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    tokenInfo.mockResolvedValueOnce({ active: true });
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({ verdict: 'alive' });
    expect(tokenInfo).toHaveBeenCalledTimes(2);
  });

  it.each(['read', 'claim'] as const)(
    'under revoke-previous with a live presence lease, answers 503 (retry in 1 s) and never asks Proof alone when the verdict store fails to %s',
    async (operation) => {
      const check = jest.fn();
      build({ PROOF_TOKEN_POLICY: 'revoke-previous' }, { check });
      // Renewed just now: other replicas may hand over meanwhile, and this one would hear of it.
      (service as unknown as { lease: ServingLease }).lease.renewed('default', performance.now());
      const down = new Error('connection refused');
      verdicts[operation].mockRejectedValue(down);
      const failed = await service.report('default', 'token-default-1').catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TokenCheckFailedError);
      expect(failed).toMatchObject({ retryAfterSeconds: 1, cause: down });
      expect(tokenInfo).not.toHaveBeenCalled();
      expect(check).not.toHaveBeenCalled();
      expect(verdicts.settle).not.toHaveBeenCalled();
      expect(verdictsCounted()).toEqual(['check_failed']);
    },
  );

  it("waits for another replica's check, polling every 50 ms, and takes its verdict without asking", async () => {
    verdicts.put('default', 1, 'checking', config.refresh.lockTtlMs);
    let settled = false;
    const report = service.report('default', 'token-default-1').finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(120);
    expect(settled).toBe(false);
    expect(verdicts.read).toHaveBeenCalledTimes(3);
    verdicts.put('default', 1, 'alive', HOUR);
    await jest.advanceTimersByTimeAsync(30);
    await expect(report).resolves.toMatchObject({ verdict: 'alive' });
    expect(tokenInfo).not.toHaveBeenCalled();
    expect(verdicts.claim).not.toHaveBeenCalled();
  });

  it("asks Proof itself once another replica's claim lapses unsettled (its holder died)", async () => {
    verdicts.put('default', 1, 'checking', 10_000);
    tokenInfo.mockResolvedValue({ active: true });
    const report = service.report('default', 'token-default-1');
    await jest.advanceTimersByTimeAsync(9_950);
    expect(tokenInfo).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(50);
    await expect(report).resolves.toMatchObject({ verdict: 'alive' });
    expect(tokenInfo).toHaveBeenCalledTimes(1);
  });

  it('gives up after the lock TTL with 503 (retry in 1 s) when the check it waits for never ends', async () => {
    verdicts.put('default', 1, 'checking', 10 * config.refresh.lockTtlMs);
    let settled = false;
    const report = service
      .report('default', 'token-default-1')
      .catch((e: unknown) => e)
      .finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(config.refresh.lockTtlMs - 100);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    expect(await report).toMatchObject({ code: 'token_check_failed', retryAfterSeconds: 1 });
    expect(tokenInfo).not.toHaveBeenCalled();
  });

  it('refuses an unknown profile before touching anything', async () => {
    await expect(service.report('other', 'token-default-1')).rejects.toBeInstanceOf(UnknownProfileError);
    expect(cache.get).not.toHaveBeenCalled();
    expect(counted).not.toHaveBeenCalled();
  });

  it('under new and reuse, cut off from Redis (the shared verdict unreadable), asks Proof itself and replaces a dead token alone', async () => {
    for (const policy of ['new', 'reuse'] as const) {
      held = record(1);
      replace.mockReset();
      const check = jest.fn((_profile: unknown, _urgent?: boolean) =>
        Promise.resolve<Evidence>({ verdict: 'dead', record: held }),
      );
      build({ PROOF_TOKEN_POLICY: policy }, { check });
      verdicts.read.mockRejectedValue(new Error('Command timed out'));
      replacesWith(2);
      await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({
        verdict: 'refreshed',
        fence: 2,
      });
      expect(check).toHaveBeenCalledWith(profileOf(config), true);
      expect(replace).toHaveBeenCalledWith(profileOf(config), 1);
      // Nobody can hear a hand-over message: none sent, nothing paused (the check refused the token here).
      expect(store.publish).not.toHaveBeenCalled();
      expect(cache.pause).not.toHaveBeenCalled();
    }
    expect(tokenInfo).not.toHaveBeenCalled();
  });

  it('past its presence lease (revoke-previous, Redis out of reach) asks Proof itself at once, not through the shared verdict', async () => {
    const check = jest.fn((_profile: unknown, _urgent?: boolean) =>
      Promise.resolve<Evidence>({ verdict: 'alive', record: held }),
    );
    build({ PROOF_TOKEN_POLICY: 'revoke-previous' }, { check });
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({ verdict: 'alive', fence: 1 });
    expect(check).toHaveBeenCalledWith(profileOf(config), true);
    expect(verdicts.read).not.toHaveBeenCalled();
    check.mockResolvedValueOnce({ verdict: 'dead', record: held });
    replacesWith(2);
    await expect(service.report('default', 'token-default-1')).resolves.toMatchObject({
      verdict: 'refreshed',
      fence: 2,
    });
    expect(replace).toHaveBeenCalledTimes(1);
    check.mockResolvedValueOnce({ verdict: 'unknown' });
    await expect(service.report('default', 'token-default-2')).rejects.toBeInstanceOf(TokenCheckFailedError);
    expect(tokenInfo).not.toHaveBeenCalled();
    expect(verdictsCounted()).toEqual(['alive', 'refreshed', 'check_failed']);
  });
});

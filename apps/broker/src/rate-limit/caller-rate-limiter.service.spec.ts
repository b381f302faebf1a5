import type { Caller } from '../auth/caller';
import type { CallerAuthenticator } from '../auth/caller-authenticator.service';
import type { BrokerConfig, CallerConfig } from '../config/broker-config';
import { LiveConfig } from '../config/live-config.service';
import { RateLimitedError, UnauthenticatedError } from '../http/broker.errors';
import { CallerRateLimiter } from './caller-rate-limiter.service';
import { FixedWindowStorage } from './fixed-window.storage';

const entry = (name: string, rateLimit?: number): CallerConfig => ({
  name,
  keySha256: ['0'.repeat(64)],
  roles: ['token:read'],
  profiles: ['*'],
  ...(rateLimit === undefined ? {} : { rateLimit }),
});
const caller = (name: string): Caller => ({ name, roles: new Set(['token:read']), profiles: new Set(['*']) });

describe('CallerRateLimiter', () => {
  let now: number;
  let authenticate: jest.Mock<Caller, [string | undefined]>;
  const limiter = (rateLimit: Partial<BrokerConfig['rateLimit']> = {}, callers = [entry('a'), entry('b')]) => {
    const config = {
      profiles: [],
      callers,
      rateLimit: { perCaller: 3, windowMs: 1_000, authFailuresPerAddress: 2, ...rateLimit },
    } as unknown as BrokerConfig;
    const authenticator = { authenticate } as unknown as CallerAuthenticator;
    return new CallerRateLimiter(config, new LiveConfig(config), authenticator, new FixedWindowStorage(() => now));
  };
  const retryAfterOf = (fn: () => unknown): number | undefined => {
    try {
      fn();
    } catch (error) {
      if (error instanceof RateLimitedError) return error.retryAfterSeconds;
      throw error;
    }
    return undefined;
  };
  beforeEach(() => {
    now = 5_000_000;
    authenticate = jest.fn((authorization) => {
      if (authorization === 'Bearer good') return caller('a');
      throw new UnauthenticatedError();
    });
  });

  it('limits each caller on its own, with Retry-After rounded up to whole seconds', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.consume(caller('a'));
    now += 100;
    const error = (() => {
      try {
        l.consume(caller('a'));
      } catch (e) {
        return e as RateLimitedError;
      }
    })();
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 1 });
    // Another caller is not affected.
    for (let i = 0; i < 3; i++) l.consume(caller('b'));
    now += 900;
    expect(retryAfterOf(() => l.consume(caller('a')))).toBeUndefined();
  });

  it('reports a long window in seconds', () => {
    const l = limiter({ perCaller: 1, windowMs: 60_000 });
    l.consume(caller('a'));
    now += 10_500;
    expect(retryAfterOf(() => l.consume(caller('a')))).toBe(50);
  });

  it("uses a caller's own rateLimit, where 0 means no limit", () => {
    const l = limiter({}, [entry('a', 1), entry('b', 0)]);
    expect(l.limitOf('a')).toBe(1);
    expect(l.limitOf('b')).toBe(Number.POSITIVE_INFINITY);
    expect(l.limitOf('unknown')).toBe(3);
    l.consume(caller('a'));
    expect(retryAfterOf(() => l.consume(caller('a')))).toBe(1);
    for (let i = 0; i < 100; i++) l.consume(caller('b'));
  });

  it('turns an address away before checking any key once it used its budget of failures', () => {
    const l = limiter();
    expect(() => l.authenticate('Bearer bad', '10.0.0.1')).toThrow(UnauthenticatedError);
    expect(() => l.authenticate(undefined, '10.0.0.1')).toThrow(UnauthenticatedError);
    authenticate.mockClear();
    expect(retryAfterOf(() => l.authenticate('Bearer good', '10.0.0.1'))).toBe(1);
    expect(authenticate).not.toHaveBeenCalled();
    // Other addresses, and successes, are not affected; the window ends.
    expect(l.authenticate('Bearer good', '10.0.0.2').name).toBe('a');
    now += 1_000;
    expect(l.authenticate('Bearer good', '10.0.0.1').name).toBe('a');
  });

  it('never counts successful authentications, and can be switched off', () => {
    const l = limiter();
    for (let i = 0; i < 50; i++) l.authenticate('Bearer good', '10.0.0.1');
    const off = limiter({ authFailuresPerAddress: 0 });
    for (let i = 0; i < 50; i++) expect(() => off.authenticate('Bearer bad', '10.0.0.1')).toThrow(UnauthenticatedError);
  });
});

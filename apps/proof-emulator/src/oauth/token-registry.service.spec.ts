import { EmulatorStatsService } from '../admin/emulator-stats.service';
import { EmulatorConfig, TokenPolicy } from '../config/emulator-config';
import { TokenRegistryService } from './token-registry.service';

describe('TokenRegistryService', () => {
  const T0 = 1_746_822_886_000;
  let now: number;
  let stats: EmulatorStatsService;

  const registry = (tokenPolicy: TokenPolicy) => {
    const config: EmulatorConfig = {
      port: 0,
      host: '127.0.0.1',
      clients: [],
      tokenTtlSeconds: 10,
      tokenPolicy,
      enforceContentType: true,
      admin: false,
    };
    return new TokenRegistryService(() => now, config, stats);
  };

  beforeEach(() => {
    now = T0;
    stats = new EmulatorStatsService();
  });

  it('issues opaque tokens that expire after the TTL, with whole seconds left rounded down', () => {
    const tokens = registry('new');
    const token = tokens.issue('app', ['read', 'write']).token;
    expect(token).toMatchObject({ clientId: 'app', issuedAtMs: T0, expiresAtMs: T0 + 10_000, revokedAtMs: null });
    expect(token.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.secondsLeft(token)).toBe(10);
    now += 1;
    expect(tokens.issue('app', ['read']).expiresIn).toBe(10);
    expect(tokens.secondsLeft(token)).toBe(9);

    now = T0 + 9_999;
    expect(tokens.check(token.token)).toEqual({ ok: true, token });
    expect(tokens.secondsLeft(token)).toBe(0);
    now = T0 + 10_000;
    expect(tokens.check(token.token)).toEqual({ ok: false, reason: 'expired' });
    now = T0 + 60_000;
    expect(tokens.secondsLeft(token)).toBe(0);
    expect(tokens.check('nope')).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.check(undefined)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('new: every issue mints a token and earlier ones stay valid', () => {
    const tokens = registry('new');
    const first = tokens.issue('app', ['read']).token;
    now += 1_000;
    const second = tokens.issue('app', ['read']).token;
    expect(second.token).not.toBe(first.token);
    expect(tokens.check(first.token).ok).toBe(true);
    expect(stats.snapshot().tokensIssued).toBe(2);
  });

  it('reuse: the same token for the same app and scopes until it expires or is revoked', () => {
    const tokens = registry('reuse');
    const first = tokens.issue('app', ['read', 'write']).token;
    now += 9_500;
    const reused = tokens.issue('app', ['write', 'read']);
    expect(reused).toEqual({ token: first, expiresIn: 0 });
    expect(tokens.issue('app', ['read']).token.token).not.toBe(first.token);
    expect(tokens.issue('other', ['read', 'write']).token.token).not.toBe(first.token);

    now = first.expiresAtMs;
    const afterExpiry = tokens.issue('app', ['read', 'write']).token;
    expect(afterExpiry.token).not.toBe(first.token);
    tokens.revoke(afterExpiry.token);
    expect(tokens.issue('app', ['read', 'write']).token.token).not.toBe(afterExpiry.token);
    expect(stats.snapshot().tokensIssued).toBe(5);
  });

  it("revoke-previous: a new token revokes the app's live tokens at once, not other apps'", () => {
    const tokens = registry('revoke-previous');
    const other = tokens.issue('other', ['read']).token;
    const first = tokens.issue('app', ['read']).token;
    now += 1_000;
    const second = tokens.issue('app', ['read', 'write']).token;
    expect(tokens.check(first.token)).toEqual({ ok: false, reason: 'revoked' });
    expect(tokens.find(first.token)?.revokedAtMs).toBe(now);
    expect(tokens.check(second.token).ok).toBe(true);
    expect(tokens.check(other.token).ok).toBe(true);
    expect(stats.snapshot().clients['app']).toEqual({ tokenRequests: 0, tokensIssued: 2, tokensRevoked: 1 });
  });

  it('switches policy at runtime and reset restores the configured one', () => {
    const tokens = registry('new');
    tokens.setPolicy('reuse');
    const first = tokens.issue('app', ['read']).token;
    expect(tokens.issue('app', ['read']).token).toBe(first);
    tokens.reset();
    expect(tokens.policy).toBe('new');
    expect(tokens.find(first.token)).toBeUndefined();
  });

  it('revokeAll revokes live tokens only and counts them; revoking twice counts once', () => {
    const tokens = registry('new');
    const expired = tokens.issue('app', ['read']).token;
    now += 20_000;
    const a = tokens.issue('app', ['read']).token;
    tokens.issue('other', ['read']);
    tokens.revoke(a.token);
    tokens.revoke(a.token);
    expect(tokens.revokeAll()).toBe(1);
    expect(tokens.check(expired.token)).toEqual({ ok: false, reason: 'expired' });
    expect(stats.snapshot().tokensRevoked).toBe(2);
  });
});

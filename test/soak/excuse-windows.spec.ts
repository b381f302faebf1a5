import { ExcuseWindows } from '../../scripts/soak/excuse-windows';

/** The soak's judgement of windows without a valid token (run with the short mode: SOAK=1). */
describe('soak excuse windows', () => {
  const T = 1_000_000;

  it('closes a revoke-all window 1.5 s after a newer fence is stored, not before', () => {
    const windows = new ExcuseWindows();
    windows.open('new', 'Proof revoked every token (revoke-all)', T, 7);
    windows.sawFence('new', 7, T + 1_000);
    expect(windows.covering('new', T + 2_000, T + 2_000)).toBeDefined();
    windows.sawFence('new', 8, T + 3_000);
    expect(windows.covering('new', T + 4_400, T + 4_400)).toBeDefined();
    expect(windows.covering('new', T + 4_600, T + 4_600)).toBeUndefined();
  });

  it('keeps a reuse window open across the same token stored again under a newer fence', () => {
    const windows = new ExcuseWindows();
    const expiresAt = T + 24_000;
    windows.open('reuse', 'past the floor', expiresAt - 2_500, Infinity, expiresAt);
    // The refresh at half-life got the same token back: a newer fence, an expiry a second off.
    windows.sawFence('reuse', 9, T + 12_000);
    windows.sawExpiry('reuse', expiresAt + 1_000, T + 12_000);
    expect(windows.covering('reuse', expiresAt - 1_000, expiresAt - 1_000)).toBeDefined();
    // A new token (expiring a lifetime later) ends it.
    windows.sawExpiry('reuse', expiresAt + 24_000, expiresAt + 1_500);
    expect(windows.covering('reuse', expiresAt + 2_900, expiresAt + 2_900)).toBeDefined();
    expect(windows.covering('reuse', expiresAt + 3_100, expiresAt + 3_100)).toBeUndefined();
  });

  it('excuses only the profile it names', () => {
    const windows = new ExcuseWindows();
    windows.open('reuse', 'past the floor', T, Infinity, T + 2_500);
    expect(windows.covering('new', T + 100, T + 100)).toBeUndefined();
  });
});

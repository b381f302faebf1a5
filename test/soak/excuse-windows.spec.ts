import { servedOnProofsWord, type TokenLookup } from '../../scripts/lib/emulator-admin';
import {
  awaySpans,
  excuseFor,
  ExcuseWindows,
  holdRevokeAllWindows,
  openCutOffWindows,
  openEndOfLifeWindows,
  REVOKE_ALL_CAUSE,
} from '../../scripts/soak/excuse-windows';
import { endForBystander, withHandOverWindow } from '../../scripts/soak/infra-faults';
import type { SoakCluster } from '../../scripts/soak/soak-cluster';

/** The soak's judgement of windows without a valid token (run with the short mode: SOAK=1). */
describe('soak excuse windows', () => {
  const T = 1_000_000;

  it('keeps a window armed while Redis is back empty open past the old token written back', () => {
    // Seen in the 30-minute run of 11:18 UTC: a slow Proof armed at 58.2 s, Redis just back empty
    // (no fence read), closed at 60.7 s by fence 6 written back; its answer came at ~68 s.
    const windows = new ExcuseWindows();
    windows.sawFence('revoke-previous', 6, T);
    windows.open('revoke-previous', 'proof-slow: an ambiguous answer', T + 100, 0);
    windows.sawFence('revoke-previous', 6, T + 1_000);
    expect(windows.windows[0].to).toBeUndefined();
    windows.sawFence('revoke-previous', 8, T + 11_000);
    expect(windows.windows[0].to).toBe(T + 12_500);
  });

  it('closes a revoke-all window 1.5 s after a newer fence is stored, not before', () => {
    const windows = new ExcuseWindows();
    windows.open('new', 'Proof revoked every token (revoke-all)', T, 7);
    windows.sawFence('new', 7, T + 1_000);
    expect(windows.covering('new', T + 2_000, T + 2_000)).toBeDefined();
    windows.sawFence('new', 8, T + 3_000);
    expect(windows.covering('new', T + 4_400, T + 4_400)).toBeDefined();
    expect(windows.covering('new', T + 4_600, T + 4_600)).toBeUndefined();
  });

  it('holds a revoke-all window past a newer fence whose token Proof issued before the revoke-all', () => {
    const windows = new ExcuseWindows();
    windows.open('new', REVOKE_ALL_CAUSE, T, 7);
    // Fence 8 was asked for before the revoke-all and stored just after: revoked all the same.
    windows.sawFence('new', 8, T + 100);
    const sample = (at: number, issuedAtMs: number, valid: boolean) => ({ profile: 'new', at, issuedAtMs, valid });
    holdRevokeAllWindows(windows, [
      sample(T + 1_700, T - 50, false),
      sample(T + 3_000, T + 2_900, true),
      sample(T + 2_000, T - 50, false),
    ]);
    // Until the first valid token issued after it is served (3 s), plus 1.5 s.
    expect(windows.covering('new', T + 2_000, T + 2_000)).toBeDefined();
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

  it('opens a window for a new revoke-previous token stored while one replica was cut off from Redis', () => {
    // Seen in the 30-minute run of 14:12 UTC: fence 65 stored at 391.3 s while broker1's path to
    // Redis was blackholed (391.2-393.4 s); broker1 no longer served fence 63's token (taken as
    // revoked) and answered 503 until it read fence 65 at 393.8 s; the others served it from 391.3 s.
    const windows = new ExcuseWindows();
    const cut = { replica: 'broker1', kind: 'replica-redis-blackhole', from: T + 391_200, to: T + 393_400 };
    const fences = [
      { profile: 'revoke-previous', fence: 63, at: T + 377_400 },
      { profile: 'revoke-previous', fence: 65, at: T + 391_300 },
      { profile: 'new', fence: 40, at: T + 392_000 },
    ];
    openCutOffWindows(windows, 'revoke-previous', [cut], fences, 3_000);
    expect(windows.windows).toHaveLength(1);
    expect(windows.windows[0]).toMatchObject({ profile: 'revoke-previous', from: T + 391_300, to: T + 396_400 });
    expect(windows.windows[0].cause).toContain('broker1 cut off from Redis (replica-redis-blackhole)');
    const failed = (at: number) => ({ profile: 'revoke-previous', startedAt: at, at });
    expect(excuseFor(windows, failed(T + 393_600))).toBe(windows.windows[0]);
    // Before the new token, or once the replica has read it and the balancer knows: not excused.
    expect(excuseFor(windows, failed(T + 391_000))).toBeUndefined();
    expect(excuseFor(windows, failed(T + 396_600))).toBeUndefined();
    // A token stored while no replica was cut off opens nothing.
    const none = new ExcuseWindows();
    openCutOffWindows(none, 'revoke-previous', [cut], fences.slice(0, 1), 3_000);
    expect(none.windows).toEqual([]);
  });

  it("ends a slowed replica's window a round trip after the new token is stored, not when its fault ends", () => {
    // Seen in the 30-minute run of 21:22 UTC: broker2's path slowed by up to 800 ms each way
    // (1028.4-1033.9 s) as fence 165 was stored (1033.5 s); a proxy call sent to it failed at 1033.8 s.
    const slowed = { replica: 'broker2', kind: 'replica-redis-latency', from: T, to: T + 5_500, lagMs: 1_600 };
    const windowFor = (storedAt: number) => {
      const windows = new ExcuseWindows();
      const fences = [{ profile: 'revoke-previous', fence: 165, at: storedAt }];
      openCutOffWindows(windows, 'revoke-previous', [slowed], fences, 3_000);
      return windows.windows[0];
    };
    expect(windowFor(T + 5_100)).toMatchObject({ from: T + 5_100, to: T + 8_500 });
    expect(windowFor(T + 5_100).cause).toContain('broker2 slowed on its path to Redis');
    expect(windowFor(T + 1_000)).toMatchObject({ from: T + 1_000, to: T + 5_600 });
  });

  it('excuses only the profile it names', () => {
    const windows = new ExcuseWindows();
    windows.open('reuse', 'past the floor', T, Infinity, T + 2_500);
    expect(windows.covering('new', T + 100, T + 100)).toBeUndefined();
  });

  it('finds the revoke-all window that covers a served token even when an end-of-life window was opened first', () => {
    const windows = new ExcuseWindows();
    windows.open('reuse', 'reuse: the token Proof hands back is past the floor', T, Infinity, T + 2_500);
    windows.open('reuse', 'Proof revoked every token (revoke-all)', T + 1_000, 7);
    const revokeAll = (w: { cause: string }) => w.cause.startsWith('Proof revoked');
    expect(windows.covering('reuse', T + 1_100, T + 1_100)?.cause).toMatch(/past the floor/);
    expect(windows.covering('reuse', T + 1_100, T + 1_100, revokeAll)?.cause).toMatch(/revoke-all/);
    expect(windows.covering('reuse', T + 500, T + 500, revokeAll)).toBeUndefined();
  });

  it('excuses a call the client failed at once from its backoff only with the excused failure that set it', () => {
    const windows = new ExcuseWindows();
    windows.open('reuse', 'past the floor', T, Infinity, T + 2_500);
    windows.sawExpiry('reuse', T + 30_000, T + 3_000);
    // A 503 inside the window (closed at T + 4.5 s), then the client backs off (Retry-After and more).
    const excused = { profile: 'reuse', startedAt: T + 1_000, at: T + 4_000 };
    const outside = { profile: 'reuse', startedAt: T + 6_000, at: T + 6_000 };
    expect(excuseFor(windows, excused)).toBeDefined();
    expect(excuseFor(windows, outside)).toBeUndefined();
    expect(excuseFor(windows, { ...outside, backoffOf: excused })).toBe(excuseFor(windows, excused));
    // Backing off after a failure that is not excused excuses nothing.
    const late = { profile: 'reuse', startedAt: T + 5_000, at: T + 5_500 };
    expect(excuseFor(windows, { ...outside, backoffOf: late })).toBeUndefined();
  });

  describe('revoke-previous: the token reaching its floor while Redis is out of reach of every replica', () => {
    const served = (at: number, expiresAt: number) => ({
      profile: 'revoke-previous',
      status: 200,
      expiresAt: new Date(expiresAt).toISOString(),
      at,
    });
    // A token expiring at T + 10 s (floor 1.5 s before), Redis away from T + 5 s.
    const answers = [served(T - 14_000, T + 10_000), served(T + 12_000, T + 34_000)];

    it('opens a window from the floor (or the fault, if later) until a later-expiring token is served', () => {
      const windows = new ExcuseWindows();
      openEndOfLifeWindows(windows, 'revoke-previous', [{ from: T + 5_000, to: T + 11_000 }], answers, 1_500);
      expect(windows.windows).toEqual([expect.objectContaining({ from: T + 8_500, to: T + 13_500 })]);
      expect(windows.covering('revoke-previous', T + 13_000, T + 13_000)).toBeDefined();
      expect(windows.covering('revoke-previous', T + 8_000, T + 8_000)).toBeUndefined();
    });

    it('opens none when a later-expiring token was served before the floor, though Redis was away then', () => {
      // Answers are changes: the new token shows once, where it began (T + 6 s), not at the floor.
      const windows = new ExcuseWindows();
      const renewed = [served(T - 14_000, T + 10_000), served(T + 6_000, T + 30_000)];
      openEndOfLifeWindows(windows, 'revoke-previous', [{ from: T + 5_000, to: T + 11_000 }], renewed, 1_500);
      expect(windows.windows).toEqual([]);
    });

    it('opens none when Redis is back before the floor (a refresh could run), nor for another profile', () => {
      const windows = new ExcuseWindows();
      openEndOfLifeWindows(windows, 'revoke-previous', [{ from: T + 5_000, to: T + 8_000 }], answers, 1_500);
      openEndOfLifeWindows(windows, 'new', [{ from: T + 5_000, to: T + 11_000 }], answers, 1_500);
      expect(windows.windows).toEqual([]);
    });
  });

  describe('awaySpans: Redis away for every replica, then the registry wait', () => {
    // Presence TTL 3 s, a heartbeat every 1 s: the registry's start key outlives 2 s without one.
    const spans = (outage: { from: number; to: number; emptied: boolean }) => awaySpans([outage], 3_000, 1_000);

    it('adds the presence TTL after an empty restart, however short', () => {
      expect(spans({ from: T, to: T + 100, emptied: true })).toEqual([{ from: T, to: T + 3_100 }]);
    });

    it('adds it after an outage that may have outlived the registry start, not after a shorter one', () => {
      expect(spans({ from: T, to: T + 2_500, emptied: false })).toEqual([{ from: T, to: T + 5_500 }]);
      expect(spans({ from: T, to: T + 1_500, emptied: false })).toEqual([{ from: T, to: T + 1_500 }]);
    });
  });

  describe('a revoke-previous hand-over pending across a fault', () => {
    /** Redis' revoke-previous hash as the fault finds it before, then after. */
    const around = (...reads: { fence?: number; handover?: number; handoverBy?: string }[]) => {
      // Then the last one again, for every read while the fault lasts and after it.
      const stored = jest.fn(() => Promise.resolve((reads.length > 1 ? reads.shift() : reads[0]) ?? {}));
      return { redis: { stored } } as unknown as SoakCluster;
    };
    const cause = (handover: number) => `Redis away with hand-over ${handover}`;

    it.each([
      ['before the fault', { fence: 4, handover: 5 }, { fence: 4 }],
      ['after it (recorded meanwhile)', { fence: 4 }, { fence: 4, handover: 5 }],
    ])('opens a window from the fault until a newer token, for one pending %s', async (_when, before, after) => {
      const windows = new ExcuseWindows();
      const started = Date.now();
      await withHandOverWindow({ cluster: around(before, after), windows }, cause, () => Promise.resolve());
      expect(windows.windows).toEqual([
        expect.objectContaining({ profile: 'revoke-previous', cause: cause(5), untilFenceAbove: 4 }),
      ]);
      expect(windows.windows[0].from).toBeGreaterThanOrEqual(started);
      windows.sawFence('revoke-previous', 5, started + 10_000);
      expect(windows.windows[0].to).toBe(started + 11_500);
    });

    it("tells which replica recorded the hand-over; a cut-off bystander's window ends once it is back", async () => {
      const windows = new ExcuseWindows();
      const recorded = { fence: 4, handover: 5, handoverBy: 'broker2' };
      const ofHolder = await withHandOverWindow({ cluster: around(recorded, recorded), windows }, cause, () =>
        Promise.resolve(),
      );
      const ofBystander = await withHandOverWindow({ cluster: around(recorded, recorded), windows }, cause, () =>
        Promise.resolve(),
      );
      expect(ofHolder?.holder).toBe('broker2');
      endForBystander(ofHolder, 'broker2', T);
      endForBystander(ofBystander, 'broker3', T);
      // The holder's stays open until a newer token; the bystander's ends 3 s after its path is back.
      expect(windows.windows.map((w) => w.to)).toEqual([undefined, T + 3_000]);
      windows.sawFence('revoke-previous', 5, T + 10_000);
      expect(windows.windows.map((w) => w.to)).toEqual([T + 11_500, T + 3_000]);
    });

    it('opens none when no hand-over was pending (Redis empty after a kill reads as none)', async () => {
      const windows = new ExcuseWindows();
      await withHandOverWindow({ cluster: around({ fence: 4 }, {}), windows }, cause, () => Promise.resolve());
      expect(windows.windows).toEqual([]);
    });
  });
});

describe('servedOnProofsWord: a revoked token Proof itself called valid during the request', () => {
  const T = 1_800_000_000_000;
  const lookup = (revokedAtMs: number | null, vouchedAtMs: number | null): TokenLookup => ({
    known: true,
    clientId: 'soak-app',
    issuedAtMs: T - 10_000,
    expiresAtMs: T + 10_000,
    revokedAtMs,
    vouchedAtMs,
  });

  it('holds when token/info said valid after the request was sent and before the revocation', () => {
    expect(servedOnProofsWord(lookup(T + 5, T + 2), T)).toBe(true);
    expect(servedOnProofsWord(lookup(T + 5, T), T)).toBe(true);
  });

  it('does not when the word came before the request, never came, or the token was not revoked', () => {
    expect(servedOnProofsWord(lookup(T + 5, T - 1), T)).toBe(false);
    expect(servedOnProofsWord(lookup(T + 5, null), T)).toBe(false);
    expect(servedOnProofsWord(lookup(null, T + 2), T)).toBe(false);
  });
});

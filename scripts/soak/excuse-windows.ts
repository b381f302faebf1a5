/**
 * A stretch of time in which no valid, servable token could exist, and why: Proof revoked
 * every token out of band, or under revoke-previous the lock holder died or stopped after
 * its hand-over (the served token revoked or about to be, its successor lost). Only failures
 * and revoked tokens inside such a window are excused; each window is listed in the summary.
 */
export interface ExcuseWindow {
  readonly profile: string;
  readonly cause: string;
  readonly from: number;
  /** Open until a record with a fence above this one is stored. */
  readonly untilFenceAbove: number;
  /**
   * Instead, open until a token expiring after this is served (see `sawExpiry`): under reuse a
   * refresh before expiry stores the same token again under a newer fence, which ends nothing.
   */
  readonly untilExpiryAfter?: number;
  to?: number;
}

/** A caller woken by pub/sub, and its client's retry, once the new token is stored. */
const SETTLE_MS = 1_500;
/** A window nobody closes (no new token for this long) is closed anyway and reported as such. */
const MAX_WINDOW_MS = 60_000;

/** After a replica's path to Redis heals: reconnect, re-read, and a sample in flight. */
export const CUT_OFF_SETTLE_MS = 3_000;

/** Expiries this close belong to the same token (`expires_in` is whole seconds, plus network delay). */
export const SAME_EXPIRY_MS = 2_000;

export class ExcuseWindows {
  readonly windows: ExcuseWindow[] = [];
  /** The highest fence stored so far, per profile. */
  private readonly highestFence = new Map<string, number>();

  /**
   * `untilFenceAbove` is raised to the highest fence stored so far: a fault armed while Redis
   * is back empty reads no fence, and the old token written back (same fence) is not a new one.
   */
  open(profile: string, cause: string, from: number, untilFenceAbove: number, untilExpiryAfter?: number): void {
    const floor = Math.max(untilFenceAbove, this.highestFence.get(profile) ?? 0);
    this.windows.push({ profile, cause, from, untilFenceAbove: floor, untilExpiryAfter });
  }

  /** Called with every fence sample of a profile: closes the windows a newer token ends. */
  sawFence(profile: string, fence: number, at: number): void {
    this.highestFence.set(profile, Math.max(fence, this.highestFence.get(profile) ?? 0));
    for (const w of this.windows.filter((x) => x.profile === profile)) {
      if (w.to === undefined && w.untilExpiryAfter === undefined && fence > w.untilFenceAbove) w.to = at + SETTLE_MS;
      if (w.to === undefined && at - w.from > MAX_WINDOW_MS) w.to = at;
    }
  }

  /** Called with every served token's expiry: closes the windows a later-expiring (new) token ends. */
  sawExpiry(profile: string, expiresAt: number, at: number): void {
    for (const w of this.windows.filter((x) => x.profile === profile))
      if (w.to === undefined && w.untilExpiryAfter !== undefined && expiresAt > w.untilExpiryAfter + SAME_EXPIRY_MS)
        w.to = at + SETTLE_MS;
  }

  closeAll(at: number): void {
    for (const w of this.windows) w.to ??= at;
  }

  /**
   * The window of `profile` that excuses an event spanning [startedAt, at], if any; with
   * `matching`, the first such window it accepts (windows overlap: a reuse end-of-life window
   * found first must not hide the revoke-all window that also covers the event).
   */
  covering(
    profile: string,
    startedAt: number,
    at: number,
    matching: (w: ExcuseWindow) => boolean = () => true,
  ): ExcuseWindow | undefined {
    return this.windows.find(
      (w) => w.profile === profile && startedAt <= (w.to ?? Infinity) && at >= w.from && matching(w),
    );
  }
}

export const REVOKE_ALL_CAUSE = 'Proof revoked every token (revoke-all)';

/** A token a replica served, as Proof (the emulator) knows it. */
export interface ServedToken {
  readonly profile: string;
  readonly at: number;
  readonly issuedAtMs: number | null;
  /** Issued, unexpired and unrevoked when served. */
  readonly valid: boolean;
}

/**
 * A revoke-all window closes at the first newer fence stored, but a token Proof issued just
 * before the revoke-all and stored just after has a newer fence and is revoked all the same:
 * each such window lasts until a valid token issued after it is served (plus the settle time),
 * MAX_WINDOW_MS at most. Never shortens a window.
 */
export function holdRevokeAllWindows(windows: ExcuseWindows, served: readonly ServedToken[]): void {
  for (const w of windows.windows.filter((x) => x.cause === REVOKE_ALL_CAUSE)) {
    let firstFresh = Infinity;
    for (const s of served)
      if (s.profile === w.profile && s.at >= w.from && s.valid && (s.issuedAtMs ?? 0) >= w.from)
        firstFresh = Math.min(firstFresh, s.at);
    const end = Math.min(w.from + MAX_WINDOW_MS, firstFresh + SETTLE_MS);
    if (w.to === undefined || end > w.to) w.to = end;
  }
}

/** A failed call as the verdict sees it (SoakCallers' FailedCall). */
export interface JudgedFailure {
  readonly profile: string;
  readonly startedAt: number;
  readonly at: number;
  readonly backoffOf?: JudgedFailure;
}

/**
 * The window that excuses a failed call, if any. A call the client library failed at once
 * from its backoff (the broker's Retry-After, then its own exponential backoff up to 10 s,
 * no request sent) is the failure that set that backoff seen again: excused with it, and
 * only then, even once the window has closed.
 */
export function excuseFor(windows: ExcuseWindows, failure: JudgedFailure): ExcuseWindow | undefined {
  const cause = failure.backoffOf ?? failure;
  return (
    windows.covering(failure.profile, failure.startedAt, failure.at) ??
    windows.covering(cause.profile, cause.startedAt, cause.at)
  );
}

/** When Redis was out of reach of every replica (or back empty but still unable to start a hand-over). */
export interface Span {
  readonly from: number;
  readonly to: number;
}

/** A Redis fault every replica met; `emptied`: Redis came back without its data. */
export interface Outage extends Span {
  readonly emptied: boolean;
}

/**
 * When Redis was out of reach of every replica, each outage extended by the registry wait
 * that follows it: the first revoke-previous hand-over waits the presence TTL once the
 * registry's start is gone. It is gone after an empty restart, and after an outage in which no
 * heartbeat landed for a presence TTL (the TTL of its key; the last heartbeat may have landed up
 * to a heartbeat interval before the outage began).
 */
export function awaySpans(outages: readonly Outage[], presenceTtlMs: number, heartbeatMs: number): Span[] {
  return outages.map((o) => ({
    from: o.from,
    to: o.to + (o.emptied || o.to - o.from > presenceTtlMs - heartbeatMs ? presenceTtlMs : 0),
  }));
}

/** One answer of a replica to GET /token: its status, and the served token's expiry. */
export interface SampledAnswer {
  readonly profile: string;
  readonly status: number;
  readonly expiresAt?: string;
  readonly at: number;
}

export const END_OF_LIFE_CAUSE =
  'the token reached its floor while Redis was out of reach of every replica (or back, before a hand-over may begin: the registry wait): a new one needs the lock';

/**
 * revoke-previous: the served token reached the broker's floor (`floorMs` before its expiry)
 * during `away`. Every token request revokes the previous token, so a new token is asked for
 * only under the lock, after a hand-over (replicas asking alone would revoke each other's):
 * with Redis out of reach of every replica, none can be had until Redis is back and a lock
 * holder stores one. Opens a window from the later of the fault and the floor until a token
 * that expires later is served (plus the usual settle time); none if one was served before
 * the floor. `answers` in time order.
 */
export function openEndOfLifeWindows(
  windows: ExcuseWindows,
  profile: string,
  away: readonly Span[],
  answers: readonly SampledAnswer[],
  floorMs: number,
): void {
  const expiryOf = (a: SampledAnswer) => (a.status === 200 && a.expiresAt ? Date.parse(a.expiresAt) : undefined);
  const served = answers.filter((a) => a.profile === profile && expiryOf(a) !== undefined);
  for (const span of away) {
    // The newest token any replica served before Redis went away.
    const expiresAt = Math.max(...served.filter((a) => a.at <= span.from).map((a) => expiryOf(a)!));
    if (!Number.isFinite(expiresAt) || expiresAt - floorMs > span.to) continue;
    const from = Math.max(span.from, expiresAt - floorMs);
    // `answers` are changes: a newer token served from before the floor shows only where it began.
    const next = served.find((a) => a.at >= span.from && expiryOf(a)! > expiresAt + SAME_EXPIRY_MS);
    if (next !== undefined && next.at <= from) continue;
    windows.open(profile, END_OF_LIFE_CAUSE, from, Infinity, expiresAt);
    const window = windows.windows[windows.windows.length - 1];
    window.to = next === undefined ? from + MAX_WINDOW_MS : next.at + SETTLE_MS;
  }
}

/**
 * A fault that kept one replica from reading Redis: its path blackholed, or the replica
 * stopped; or, with `lagMs`, slowed its path: it reads Redis up to `lagMs` late.
 */
export interface Isolation {
  readonly replica: string;
  readonly kind: string;
  readonly from: number;
  readonly to: number;
  readonly lagMs?: number;
}

/** A stored fence of a profile (SoakWatch's fence changes). */
export interface FenceChange {
  readonly profile: string;
  readonly fence: number;
  readonly at: number;
}

export const cutOffCause = (cut: Isolation): string =>
  `${cut.replica} ${cut.lagMs === undefined ? 'cut off from Redis' : 'slowed on its path to Redis'} (${cut.kind}) when a new token revoked the one it held: it serves none until it reads the new one`;

/**
 * revoke-previous: a new token stored while one replica cannot read Redis revokes the token
 * that replica holds, and it cannot learn of the new one: callers the load balancer sends to
 * it fail until its path is back (plus `settleMs`: reconnect, re-read, the balancer's check),
 * while the other replicas serve the new token. The failed calls do not say which replica
 * answered, so the window covers the profile's callers for that long. A slowed replica reads
 * the new token up to its `lagMs` after it is stored (the window ends then, plus `settleMs`).
 * Opens one window per stored fence and cut-off replica.
 */
export function openCutOffWindows(
  windows: ExcuseWindows,
  profile: string,
  isolations: readonly Isolation[],
  fences: readonly FenceChange[],
  settleMs: number,
): void {
  for (const stored of fences.filter((f) => f.profile === profile))
    for (const cut of isolations.filter((i) => i.from <= stored.at && stored.at <= i.to)) {
      windows.open(profile, cutOffCause(cut), stored.at, Infinity);
      const readsAt = cut.lagMs === undefined ? cut.to : Math.min(cut.to, stored.at + cut.lagMs);
      windows.windows[windows.windows.length - 1].to = readsAt + settleMs;
    }
}

/** A route and status whose answers are counted rather than logged one by one (interned). */
export interface AuditRoute {
  readonly method: string;
  readonly path: string;
  readonly statusCode: number;
}

/** One aggregate: how often a caller got this answer with this token in an interval. */
export interface HandoutCount {
  readonly route: AuditRoute;
  readonly caller: string;
  readonly profile: string;
  readonly fingerprint: string;
  readonly fence: number | undefined;
  count: number;
  readonly first: number;
  last: number;
}

type ByFingerprint = Map<string, HandoutCount>;
type ByProfile = Map<string, ByFingerprint>;
type ByCaller = Map<string, ByProfile>;

/**
 * Counters per route, caller, profile and token fingerprint. On the request path `count` only
 * looks up nested maps by strings the request already has (the caller's name, the profile,
 * the cached fingerprint) and bumps a number: no key string or object per request, only one
 * per new combination and interval. `drain` hands the interval's counts over and starts anew.
 */
export class HandoutTally {
  private counts = new Map<AuditRoute, ByCaller>();

  constructor(private readonly now: () => number = Date.now) {}

  count(route: AuditRoute, caller = '', profile = '', fingerprint = '', fence?: number): void {
    let byCaller = this.counts.get(route);
    if (byCaller === undefined) this.counts.set(route, (byCaller = new Map() as ByCaller));
    let byProfile = byCaller.get(caller);
    if (byProfile === undefined) byCaller.set(caller, (byProfile = new Map() as ByProfile));
    let byFingerprint = byProfile.get(profile);
    if (byFingerprint === undefined) byProfile.set(profile, (byFingerprint = new Map() as ByFingerprint));
    const at = this.now();
    const tally = byFingerprint.get(fingerprint);
    if (tally === undefined) {
      byFingerprint.set(fingerprint, { route, caller, profile, fingerprint, fence, count: 1, first: at, last: at });
    } else {
      tally.count++;
      tally.last = at;
    }
  }

  /** The counts since the last drain; old callers and tokens are forgotten with them. */
  drain(): HandoutCount[] {
    const drained: HandoutCount[] = [];
    for (const byCaller of this.counts.values())
      for (const byProfile of byCaller.values())
        for (const byFingerprint of byProfile.values()) drained.push(...byFingerprint.values());
    this.counts = new Map();
    return drained;
  }
}

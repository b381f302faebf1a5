import { createHash } from 'node:crypto';
import { servedOnProofsWord, TokenLookup, validAt } from '../lib/emulator-admin';
import { presenceTtlMs } from '../../apps/broker/src/token/refresh-policy';
import { FAST_BROKER_TIMINGS } from '../lib/fast-timings';
import {
  type ExcuseWindow,
  type ExcuseWindows,
  excuseFor,
  holdRevokeAllWindows,
  awaySpans,
  CUT_OFF_SETTLE_MS,
  type Isolation,
  openCutOffWindows,
  openEndOfLifeWindows,
  REVOKE_ALL_CAUSE,
  type Span,
} from './excuse-windows';
import type { FailedCall, SoakCallers } from './soak-callers';
import { REPLICA_LATENCY_MAX_MS } from './infra-faults';
import { SoakCluster, SOAK_TIMINGS } from './soak-cluster';
import type { FaultEvent } from './soak-run';
import type { ServedSample, SoakWatch } from './soak-watch';

export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SoakSummary {
  readonly ok: boolean;
  readonly seed: number;
  readonly durationS: number;
  readonly invariants: Invariant[];
  /** Faults injected, by kind (segment starts included). */
  readonly faults: Record<string, number>;
  readonly calls: { client: number; proxy: number; ok: number };
  /** Failed calls by cause: `excused` fell in a window listed in `windows`. */
  readonly failures: { excused: Record<string, number>; unexcused: Record<string, number> };
  readonly windows: { cause: string; fromS: number; durationS: number; failures: number }[];
  readonly servedSamples: number;
  readonly tokensSeen: number;
  readonly upstream: { windows: number; requests: number; worst: string };
  readonly notes: string[];
  /** The first failures no window excuses (up to 4 per profile), each with the faults in progress around it. */
  readonly unexcusedSamples: string[];
}

export interface SoakRecord {
  readonly cluster: SoakCluster;
  readonly callers: SoakCallers;
  readonly watch: SoakWatch;
  readonly windows: ExcuseWindows;
  readonly events: FaultEvent[];
  readonly notes: string[];
  readonly seed: number;
  readonly started: number;
  readonly ended: number;
  readonly upstreamWindowMs: number;
}

/** Replicas wake from (refresh point - jitter) of a token's life: at most one token per this period. */
const MIN_REFRESH_PERIOD_MS =
  (SOAK_TIMINGS.refreshAtFraction - SOAK_TIMINGS.jitterFraction) * SOAK_TIMINGS.tokenTtlSeconds * 1000;
/** Whether fault `e` kept `replica` from hearing of a new token: Redis itself, its path, or the replica stopped. */
const isolates = (e: FaultEvent, replica: string): boolean =>
  /^redis-(kill|restart|pause|blackhole)/.test(e.kind) || (e.replica === replica && cutsOffOne(e));
/** A fault that kept one replica from reading Redis: its path blackholed, or the replica stopped. */
const cutsOffOne = (e: FaultEvent): boolean => /^replica-(redis-blackhole|sigstop)/.test(e.kind);
/** A fault that slowed one replica's path to Redis (it still reads Redis, late). */
const slowsOne = (e: FaultEvent): boolean => /^replica-redis-latency/.test(e.kind);
/** The broker's floor plus a sample period and its check interval: when callers start to wait. */
const FLOOR_MS = Number(FAST_BROKER_TIMINGS.BROKER_MIN_TTL_SECONDS) * 1000 + 500;
/** A replica heartbeats at each reconcile. */
const RECONCILE_MS = Number(FAST_BROKER_TIMINGS.BROKER_RECONCILE_INTERVAL_MS);
/** Spans in which Redis was out of reach of every replica, then the registry wait (`awaySpans`). */
const redisAwayForAll = (events: readonly FaultEvent[], ended: number): Span[] =>
  awaySpans(
    events
      .filter((e) => e.replica === undefined && /^redis-(kill|restart|pause|blackhole)/.test(e.kind))
      .map((e) => ({ from: e.at, to: e.endedAt ?? ended, emptied: /^redis-(kill|restart)/.test(e.kind) })),
    presenceTtlMs(RECONCILE_MS),
    RECONCILE_MS,
  );
/** A round trip through the slowest one-replica latency fault. */
const SLOW_PATH_LAG_MS = 2 * REPLICA_LATENCY_MAX_MS;
/**
 * Each fault that cut one replica off (`cutsOffOne`), or slowed its path to Redis (it reads a
 * new token up to a round trip late), as an isolation of that replica.
 */
const cutOffReplicas = (events: readonly FaultEvent[], ended: number): Isolation[] =>
  events
    .filter((e) => e.replica !== undefined && (cutsOffOne(e) || slowsOne(e)))
    .map((e) => ({
      replica: e.replica!,
      kind: e.kind.split(' ')[0],
      from: e.at,
      to: e.endedAt ?? ended,
      lagMs: slowsOne(e) ? SLOW_PATH_LAG_MS : undefined,
    }));
/** Whether `w` is a revoke-all window and a token revoked at `revokedAt` was revoked by it. */
const revokedByRevokeAll = (w: ExcuseWindow, revokedAt: number | null | undefined): boolean =>
  w.cause === REVOKE_ALL_CAUSE && revokedAt != null && revokedAt >= w.from - 50;
/** A short label for a token in the report (never the token). */
const label = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 10);
const countBy = <T>(items: T[], key: (item: T) => string) =>
  items.reduce<Record<string, number>>(
    (counts, item) => ({ ...counts, [key(item)]: (counts[key(item)] ?? 0) + 1 }),
    {},
  );
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ') || 'none';

/** Every served token as its profile's emulator knows it. */
async function lookupAll(cluster: SoakCluster, served: ServedSample[]): Promise<Map<string, TokenLookup>> {
  const found = new Map<string, TokenLookup>();
  for (const profile of cluster.profiles) {
    const tokens = [...new Set(served.filter((s) => s.profile === profile.name).map((s) => s.token))];
    for (let i = 0; i < tokens.length; i += 200) {
      const batch = tokens.slice(i, i + 200);
      (await profile.admin.lookup(batch)).forEach((lookup, j) => found.set(batch[j], lookup));
    }
  }
  return found;
}

/** Checks every invariant over the whole run and sums it up. */
export async function judgeSoak(record: SoakRecord): Promise<SoakSummary> {
  const { watch, windows, callers, events, started } = record;
  const tokens = [...new Set(watch.served.map((s) => s.token))];
  const lookups = await lookupAll(record.cluster, watch.served);
  const at = (ms: number) => `${((ms - started) / 1000).toFixed(1)} s`;
  holdRevokeAllWindows(
    windows,
    watch.served.map((s) => {
      const lookup = lookups.get(s.token)!;
      return { profile: s.profile, at: s.at, issuedAtMs: lookup.issuedAtMs, valid: validAt(lookup, s.at) };
    }),
  );
  const away = redisAwayForAll(events, record.ended);
  openEndOfLifeWindows(windows, 'revoke-previous', away, watch.answerChanges, FLOOR_MS);
  openCutOffWindows(
    windows,
    'revoke-previous',
    cutOffReplicas(events, record.ended),
    watch.fenceChanges,
    CUT_OFF_SETTLE_MS,
  );

  // A token revoked out of band (revoke-all) is served until someone reports it: excused
  // inside that window only. Anything else expired, revoked or unknown when served is not.
  const bad = watch.served.filter((s) => !validAt(lookups.get(s.token)!, s.at));
  const outOfBand = (s: (typeof bad)[number]) => {
    const revokedBy = (w: ExcuseWindow) => revokedByRevokeAll(w, lookups.get(s.token)?.revokedAtMs);
    return windows.covering(s.profile, s.startedAt, s.at, revokedBy) !== undefined;
  };
  // A replica cut off from Redis (or stopped) meanwhile cannot learn of the new token: it serves
  // the revoked one, which nobody can know is revoked before a caller reports it, until it is
  // back. Excused while such a fault on its path lasts, and CUT_OFF_SETTLE_MS after.
  const cutOff = (s: (typeof bad)[number]) => {
    const revokedAt = lookups.get(s.token)?.revokedAtMs;
    const revokeAll = windows.windows.find((w) => w.profile === s.profile && revokedByRevokeAll(w, revokedAt));
    return (
      revokeAll !== undefined &&
      events.some(
        (e) =>
          isolates(e, s.replica) &&
          e.at <= s.at &&
          (e.endedAt ?? record.ended) >= revokeAll.from &&
          (e.endedAt ?? record.ended) + CUT_OFF_SETTLE_MS >= s.at,
      )
    );
  };
  // Proof called the token valid during the request, then revoked it: served on Proof's word by a
  // replica past its presence lease (RELIABILITY.md, "What is not guaranteed"). Counted apart.
  const onProofsWord = bad.filter(
    (s) => !outOfBand(s) && !cutOff(s) && servedOnProofsWord(lookups.get(s.token)!, s.startedAt),
  );
  const badUnexcused = bad.filter((s) => !outOfBand(s) && !cutOff(s) && !onProofsWord.includes(s));
  const describeBad = (s: (typeof bad)[number]) => {
    const l = lookups.get(s.token)!;
    const why = !l.known
      ? 'unknown'
      : l.revokedAtMs !== null && l.revokedAtMs <= s.at
        ? `revoked at ${at(l.revokedAtMs)}`
        : `expired at ${at(l.expiresAtMs ?? 0)}`;
    return `${s.replica} served ${s.profile} token ${label(s.token)} at ${at(s.at)} (asked at ${at(s.startedAt)}; ${why})`;
  };

  const excuse = (f: FailedCall) => excuseFor(windows, f);
  const excused = callers.failures.filter((f) => excuse(f));
  const unexcused = callers.failures.filter((f) => !excuse(f));
  const byCause = (f: FailedCall) => `${f.profile}: ${f.kind} ${f.cause}`;

  const upstreamOver = watch.upstream.flatMap((w) => {
    const extra = events
      .filter(
        (e) =>
          (e.profile === 'all' || e.profile === w.profile) && e.at >= w.from - record.upstreamWindowMs && e.at <= w.to,
      )
      .reduce((sum, e) => sum + e.extraUpstream, 0);
    const bound = Math.floor((w.to - w.from) / MIN_REFRESH_PERIOD_MS) + 1 + extra;
    return w.requests > bound ? [`${w.profile}: ${w.requests} > ${bound} in ${at(w.from)}–${at(w.to)}`] : [];
  });
  const busiest = watch.upstream.reduce((max, w) => Math.max(max, w.requests), 0);

  const invariants: Invariant[] = [
    {
      name: 'no expired or revoked token served by a replica',
      ok: badUnexcused.length === 0 && watch.served.length > 0,
      detail: `${watch.served.length} samples of ${tokens.length} tokens; ${bad.length - badUnexcused.length - onProofsWord.length} revoked out of band (excused: in the revoke-all window, or on a replica cut off from Redis then); ${onProofsWord.length} served on Proof's word (token/info called it valid during the request, then Proof revoked it); ${badUnexcused.length} bad${badUnexcused.length ? `: ${badUnexcused.slice(0, 5).map(describeBad).join('; ')}` : ''}`,
    },
    {
      name: 'stored fence never decreases',
      ok: watch.fenceDrops.length === 0 && watch.fenceSamples > 0,
      detail: `${watch.fenceSamples} samples, ${watch.fenceDrops.length} drops${watch.fenceDrops.map((d) => ` (${d.from} → ${d.to} at ${at(d.at)})`).join('')}`,
    },
    {
      name: 'upstream token requests within the bound per window',
      ok: upstreamOver.length === 0 && watch.upstream.length > 0,
      detail: `${watch.upstream.length} windows of ${record.upstreamWindowMs / 1000} s, busiest ${busiest}${upstreamOver.length ? `; over: ${upstreamOver.join(', ')}` : ''}`,
    },
    {
      name: 'no failed call outside a window without a valid token',
      ok: unexcused.length === 0 && callers.ok.client > 0 && callers.ok.proxy > 0,
      detail: `${callers.calls.client + callers.calls.proxy} calls, ${callers.failures.length} failed, ${excused.length} excused (${excused.filter((f) => f.backoffOf).length} of them failed at once by the client library, backing off after an excused failure); unexcused: ${list(countBy(unexcused, byCause))}${unexcused.length ? ` (first at ${at(unexcused[0].at)})` : ''}`,
    },
  ];

  return {
    ok: invariants.every((i) => i.ok),
    seed: record.seed,
    durationS: Math.round((record.ended - started) / 1000),
    invariants,
    faults: countBy(events.slice(1), (e) => e.kind),
    calls: { client: callers.calls.client, proxy: callers.calls.proxy, ok: callers.ok.client + callers.ok.proxy },
    failures: {
      excused: countBy(excused, byCause),
      unexcused: countBy(unexcused, byCause),
    },
    // A window a newer token closed before it opened excused nothing: left out.
    windows: windows.windows
      .filter((w) => (w.to ?? record.ended) > w.from)
      .map((w) => ({
        cause: `${w.profile}: ${w.cause}`,
        fromS: Math.round((w.from - started) / 100) / 10,
        durationS: Math.round(((w.to ?? record.ended) - w.from) / 100) / 10,
        failures: excused.filter((f) => excuse(f) === w).length,
      })),
    servedSamples: watch.served.length,
    tokensSeen: tokens.length,
    upstream: {
      windows: watch.upstream.length,
      requests: watch.upstream.reduce((sum, w) => sum + w.requests, 0),
      worst: upstreamOver.join(', '),
    },
    notes: record.notes,
    // The first few of each profile: one profile's long stretch must not hide the others.
    unexcusedSamples: unexcused
      .filter((f, i) => unexcused.slice(0, i).filter((g) => g.profile === f.profile).length < 4)
      .map((f) => {
        const around = events.filter((e) => e.at <= f.at && (e.endedAt ?? record.ended) >= f.startedAt - 5_000);
        return `${at(f.startedAt)}–${at(f.at)} ${f.caller} ${f.cause}; faults then: ${around.map((e) => `${e.kind} (${e.profile}, ${at(e.at)})`).join(', ') || 'none'}`;
      }),
  };
}

import { createHash } from 'node:crypto';
import type { TokenRecord } from '../../../apps/broker/src/store/token-record';
import { servedOnProofsWord, validAt } from '../../support/emulator-admin';
import { sleep } from '../../support/wait';
import { FaultCluster, Replica, TIMINGS } from './fault-cluster';
import { recordFigures, ScenarioFigures } from './fault-report';
import { FenceSampler } from './fence-sampler';
import { LoadDriver, ServedRequest } from './load-driver';

export interface ScenarioSpec {
  readonly order: number;
  readonly name: string;
  /** Upstream token requests the fault may add on top of one per refresh window. */
  readonly extraUpstream: number;
}

export interface ScenarioControl {
  readonly cluster: FaultCluster;
  readonly load: LoadDriver;
  /** Replicas in the load balancer's rotation. */
  live(): Replica[];
  /** Sleeps until `leadMs` before the earliest moment a replica may refresh the stored token. */
  beforeRefreshWindow(leadMs: number): Promise<TokenRecord>;
  /** The fault starts now: remembers the stored fence, starts watching for a newer token. */
  faultStarted(): Promise<void>;
  /** The fault is over (for a kill: the kill itself). */
  healed(): void;
  /** The replica at `url` is being killed now: requests in flight to it fail by design. */
  killed(url: string): void;
  note(text: string): void;
}

export interface ScenarioResult {
  readonly figures: ScenarioFigures;
  readonly non200: ServedRequest[];
  readonly badTokens: (ServedRequest & Record<string, unknown>)[];
  readonly fenceDrops: unknown[];
}

/** A short label for a token in failure output (never the token itself). */
const label = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 12);
/** Replicas wake from (refresh point - jitter): at most one new token per this period. */
const MIN_REFRESH_PERIOD_MS = (TIMINGS.refreshAtFraction - TIMINGS.jitterFraction) * TIMINGS.tokenTtlMs;

/**
 * Runs `act` under steady load on every live replica and measures, from the callers' side
 * and the emulator's: requests, non-200 answers, tokens that were expired, revoked or unknown
 * when served, upstream token requests, the stored fence over time, and how long until a new
 * token is on every live replica after the fault. The figures are written for the report
 * before the caller asserts anything.
 */
export async function runScenario(
  cluster: FaultCluster,
  spec: ScenarioSpec,
  act: (control: ScenarioControl) => Promise<void>,
): Promise<ScenarioResult> {
  const statsBefore = await cluster.admin.stats();
  const fences = new FenceSampler(cluster);
  const load = new LoadDriver(
    cluster.replicas.map((r) => r.url),
    cluster.key,
  );
  const started = Date.now();
  const notes: string[] = [];
  let faultAt: number | undefined;
  let healAt: number | undefined;
  let newTokenAt: number | undefined;
  let watching: Promise<void> = Promise.resolve();
  let stopWatching = false;
  const kills: { url: string; at: number }[] = [];
  const live = () => cluster.replicas.filter((r) => load.targetList().includes(r.url));

  // A newer record in Redis than at the fault's start, and every live replica holding it
  // (the fence names a record: /token/info's fingerprint is keyed, so not comparable here).
  const watch = async (fenceAtFault: number) => {
    while (!stopWatching && newTokenAt === undefined) {
      const record = await cluster.record();
      if (record && record.fence > fenceAtFault) {
        const infos = await Promise.all(live().map((r) => cluster.info(r).catch(() => undefined)));
        if (infos.every((i) => i?.fence === record.fence)) newTokenAt = Date.now();
      }
      await sleep(100);
    }
  };

  const control: ScenarioControl = {
    cluster,
    load,
    live,
    async beforeRefreshWindow(leadMs) {
      const record = await cluster.record();
      if (!record) throw new Error('no token record in Redis to time the fault against');
      const earliest = record.refreshAfter - TIMINGS.jitterFraction * (record.expiresAt - record.receivedAt);
      await sleep(Math.max(0, earliest - leadMs - Date.now()));
      return record;
    },
    async faultStarted() {
      faultAt = Date.now();
      const fence = (await cluster.record())?.fence ?? 0;
      watching = watch(fence);
    },
    healed() {
      healAt = Date.now();
    },
    killed: (url) => void kills.push({ url, at: Date.now() }),
    note: (text) => void notes.push(text),
  };

  await sleep(1_000); // steady load before the fault
  try {
    await act(control);
    // Give the cluster time to converge on a new token (bounded), then a little steady load.
    const deadline = Date.now() + 20_000;
    while (newTokenAt === undefined && Date.now() < deadline) await sleep(100);
    await sleep(1_000);
  } finally {
    stopWatching = true;
    await watching;
    await load.stop();
    await fences.stop();
  }
  const ended = Date.now();
  const statsAfter = await cluster.admin.stats();

  const served = load.served;
  const tokens = [...new Set(served.filter((s) => s.token).map((s) => s.token as string))];
  const lookups = new Map((await cluster.admin.lookup(tokens)).map((l, i) => [tokens[i], l]));
  const invalid = served.filter((s) => s.status === 200 && !validAt(lookups.get(s.token as string)!, s.at));
  // Proof itself called the token valid during the request, then revoked it: a replica past its
  // presence lease serves on that word (RELIABILITY.md, "What is not guaranteed"). Noted, not bad.
  const onProofsWord = invalid.filter((s) => servedOnProofsWord(lookups.get(s.token as string)!, s.startedAt));
  const badTokens = invalid
    .filter((s) => !onProofsWord.includes(s))
    .map((s) => ({ ...s, ...lookups.get(s.token as string), token: label(s.token as string) }));
  if (onProofsWord.length > 0) notes.push(describeOnProofsWord(cluster, onProofsWord, lookups));
  // A connection error on a request sent before its replica was killed is the kill itself,
  // not the broker: a load balancer retries those. Counted apart.
  const diedWithReplica = (s: ServedRequest) =>
    s.status === 0 && kills.some((k) => k.url === s.target && s.startedAt <= k.at);
  const inFlightAtKill = served.filter(diedWithReplica).length;
  if (inFlightAtKill > 0) notes.push(`${inFlightAtKill} requests in flight to the killed replica failed with it`);
  const non200 = served.filter((s) => s.status !== 200 && !diedWithReplica(s));
  if (badTokens.length > 0) notes.push(describeBadTokens(cluster, badTokens));
  if (non200.length > 0) notes.push(describeNon200(cluster, non200, faultAt ?? started));
  const durationMs = ended - started;
  const seconds = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? null : Math.max(0, to - from) / 1000;

  const figures: ScenarioFigures = {
    order: spec.order,
    scenario: spec.name,
    policy: cluster.policy,
    durationS: durationMs / 1000,
    requests: served.length,
    rps: served.length / (durationMs / 1000),
    non200: non200.length,
    badTokens: badTokens.length,
    upstreamRequests: statsAfter.tokenRequests - statsBefore.tokenRequests,
    upstreamBound: Math.floor(durationMs / MIN_REFRESH_PERIOD_MS) + 1 + spec.extraUpstream,
    tokensIssued: statsAfter.tokensIssued - statsBefore.tokensIssued,
    newTokenAfterFaultS: seconds(faultAt, newTokenAt),
    recoveryS: seconds(healAt ?? faultAt, newTokenAt),
    maxLatencyMs: served.reduce((max, s) => Math.max(max, s.at - s.startedAt), 0),
    fenceSamples: fences.samples.length,
    fenceDrops: fences.drops().length,
    notes: notes.join('; '),
    runAt: new Date().toISOString(),
  };
  recordFigures(figures);
  return { figures, non200, badTokens: badTokens.slice(0, 20), fenceDrops: fences.drops() };
}

type BadToken = ServedRequest & { revokedAtMs?: number | null; expiresAtMs?: number | null };

/** "N bad tokens served by r1 (n), r2 (n), up to X ms after their revocation or expiry". */
function describeBadTokens(cluster: FaultCluster, bad: BadToken[]): string {
  const late = bad.map((b) => b.at - Math.min(b.revokedAtMs ?? Infinity, b.expiresAtMs ?? Infinity));
  const revoked = bad.filter((b) => b.revokedAtMs !== null && b.revokedAtMs !== undefined).length;
  return (
    `${bad.length} bad tokens (${revoked} revoked) served by ${countBy(bad, (b) => cluster.nameOf(b.target))}, ` +
    `up to ${Math.max(...late.filter(Number.isFinite))} ms after revocation/expiry`
  );
}

/** "N served on Proof's word by r2 (n), up to X ms before Proof revoked the token". */
function describeOnProofsWord(
  cluster: FaultCluster,
  served: ServedRequest[],
  lookups: Map<string, { revokedAtMs: number | null; vouchedAtMs: number | null }>,
): string {
  const gaps = served.map((s) => {
    const { revokedAtMs, vouchedAtMs } = lookups.get(s.token as string)!;
    return revokedAtMs! - vouchedAtMs!;
  });
  return (
    `${served.length} answers served on Proof's word by ${countBy(served, (s) => cluster.nameOf(s.target))}: ` +
    `token/info called the token valid during the request, Proof revoked it up to ${Math.max(...gaps)} ms later`
  );
}

/** "N non-200 (503 token_unavailable (n)) from r1 (n), sent +A..+B s after the fault started, answered after up to C ms". */
function describeNon200(cluster: FaultCluster, failed: ServedRequest[], faultAt: number): string {
  const sent = failed.map((f) => (f.startedAt - faultAt) / 1000);
  const seconds = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
  return (
    `${failed.length} non-200 (${countBy(failed, (f) => `${f.status} ${f.error ?? ''}`.trim())}) from ${countBy(failed, (f) => cluster.nameOf(f.target))}, ` +
    `sent ${seconds(Math.min(...sent))}..${seconds(Math.max(...sent))} s after the fault started, ` +
    `answered after up to ${Math.max(...failed.map((f) => f.at - f.startedAt))} ms`
  );
}

function countBy<T>(items: T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} (${n})`).join(', ');
}

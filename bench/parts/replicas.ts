// Parts 3 and 4: N broker replicas behind HAProxy with short tokens: throughput, errors, upstream
// token requests per refresh window, and latency around each token rollover vs the rest.
import { startHaproxy } from '../lib/haproxy';
import { measure, percentiles, Samples } from '../lib/load';
import { Proc, rssMb } from '../lib/processes';
import { BenchEmulator, BenchRedis, Callers, startBroker } from '../lib/services';
import { perWindow, watchUpstream } from '../lib/upstream';
import type { BenchConfig } from './bench-config';

export interface Slice {
  readonly requests: number;
  readonly p99: number;
  readonly errors: number;
}

export interface ReplicasResult {
  readonly replicas: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly cpuUs: number;
  readonly tokenRequests: number;
  readonly tokensIssued: number;
  readonly windows: number;
  readonly maxPerWindow: number;
  readonly rollover: { rollovers: number; inside: Slice; outside: Slice };
  readonly rssMaxLoaded: number;
  readonly readyMsMax: number;
}

export async function runReplicas(
  count: number,
  cfg: BenchConfig,
  context: { redis: BenchRedis; emulator: BenchEmulator; callers: Callers; dir: string },
): Promise<ReplicasResult> {
  const { redis, emulator, callers, dir } = context;
  const headers = { authorization: `Bearer ${callers.key}` };
  // A fresh store per replica count: no token, lock or fence is carried over.
  await redis.client.flushall();
  const options = { redisUrl: redis.url, emulatorUrl: emulator.url, callersPath: callers.path, shortTokens: true };
  const names = Array.from({ length: count }, (_v, i) => `r${i + 1}`);
  const brokers = await Promise.allSettled(names.map((name) => startBroker(name, options)));
  const replicas = brokers.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
  const procs: Proc[] = replicas.map((r) => r.proc);
  try {
    const failed = brokers.find((b) => b.status === 'rejected');
    if (failed) throw failed.reason;
    const lb = await startHaproxy(dir, replicas, '/token', headers);
    procs.push(lb.proc);
    const load = { connections: cfg.connections, headers, pids: procs.map((p) => p.pid) };
    await measure(`${lb.url}/token`, { ...load, seconds: cfg.warmupSeconds });

    const before = await emulator.stats();
    const watcher = watchUpstream(emulator, before.tokenRequests);
    const run = await measure(`${lb.url}/token`, { ...load, seconds: cfg.clusterSeconds });
    const after = await emulator.stats();
    const events = (await watcher.stop(after.tokenRequests)).map((t) => t - run.startedAt);
    const windows = perWindow(events, cfg.windowMs);
    return {
      replicas: count,
      rps: run.rps,
      p50: run.p50,
      p99: run.p99,
      errors: run.errors,
      cpuUs: run.cpuUs,
      tokenRequests: after.tokenRequests - before.tokenRequests,
      tokensIssued: after.tokensIssued - before.tokensIssued,
      windows: windows.length,
      maxPerWindow: Math.max(0, ...windows),
      rollover: aroundRollovers(run.samples, events, cfg.rolloverMs),
      rssMaxLoaded: Math.max(...replicas.map((r) => rssMb(r.proc.pid))),
      readyMsMax: Math.max(...replicas.map((r) => r.readyMs)),
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** Splits the responses into those that arrived within ±`halfMs` of a token request and the rest. */
function aroundRollovers({ at, ms, ok }: Samples, events: number[], halfMs: number): ReplicasResult['rollover'] {
  const inside = { ms: [] as number[], errors: 0 };
  const outside = { ms: [] as number[], errors: 0 };
  at.forEach((t, i) => {
    const slice = events.some((e) => Math.abs(t - e) <= halfMs) ? inside : outside;
    if (ok[i]) slice.ms.push(ms[i]);
    else slice.errors++;
  });
  const summary = (s: typeof inside): Slice => ({
    requests: s.ms.length + s.errors,
    p99: percentiles(s.ms).p99,
    errors: s.errors,
  });
  return { rollovers: events.length, inside: summary(inside), outside: summary(outside) };
}

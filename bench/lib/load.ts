// autocannon with fixed connections and duration. Latencies are kept per request (float ms, with
// the time each response arrived), so percentiles are exact and can be cut by time window.
import autocannon from 'autocannon';
import { cpuSeconds } from './processes';

export interface Samples {
  /** ms since the start of the run at which each response (or error) arrived. */
  readonly at: number[];
  /** Its latency in ms (NaN for a connection error or timeout). */
  readonly ms: number[];
  readonly ok: boolean[];
}

export interface Measurement {
  /** 2xx answers per second. */
  readonly rps: number;
  /** Latency percentiles of 2xx answers, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers, connection errors and timeouts. */
  readonly errors: number;
  /** CPU µs per request of the `pids` (NaN without): with the load generator on the same machine, req/s alone can hide what a server costs. */
  readonly cpuUs: number;
  /** performance.now() at the start of the run. */
  readonly startedAt: number;
  readonly samples: Samples;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  readonly headers?: Record<string, string>;
  /** Server processes whose CPU time is counted. */
  readonly pids?: number[];
}

export async function measure(url: string, options: LoadOptions): Promise<Measurement> {
  const { connections, seconds, headers = {}, pids = [] } = options;
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const samples: Samples = { at: [], ms: [], ok: [] };
  const cpuBefore = cpu();
  const startedAt = performance.now();
  const record = (ms: number, ok: boolean) => {
    samples.at.push(performance.now() - startedAt);
    samples.ms.push(ms);
    samples.ok.push(ok);
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, headers, timeout: 10 }, (error, r) =>
      error ? reject(error as Error) : resolve(r),
    );
    instance.on('response', (_client, status, _bytes, ms) => record(ms, status >= 200 && status < 300));
    instance.on('reqError', () => record(NaN, false));
  });
  const good = samples.ms.filter((_ms, i) => samples.ok[i]);
  return {
    rps: good.length / result.duration,
    ...percentiles(good),
    errors: result.non2xx + result.errors,
    cpuUs: pids.length ? ((cpu() - cpuBefore) * 1e6) / samples.ms.length : NaN,
    startedAt,
    samples,
  };
}

/** p50 and p99 of `values` (ms), nearest rank; NaN when empty. */
export function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] : NaN);
  return { p50: rank(0.5), p99: rank(0.99) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly pids?: number[];
}

export interface Compared {
  /** Medians over the rounds; errors summed. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly errors: number;
  /** req/s of each round, in order. */
  readonly rounds: number[];
  /** Each round's figures, in order: per-round ratios between targets measured in the same rounds. */
  readonly perRound: RoundFigures[];
}

export interface RoundFigures {
  readonly rps: number;
  readonly p99: number;
  readonly cpuUs: number;
}

/**
 * Warms every target up, then measures each `rounds` times alternating the order (A B C, C B A,
 * ...: ABBA for two) so that drift of the machine favours none. Targets compared with each other
 * belong next to each other in `targets`: their runs are then seconds apart, and the ratio of
 * each round (ratios.ts) is taken at nearly the same host speed.
 */
export async function compare(
  targets: Target[],
  options: LoadOptions & {
    rounds: number;
    warmupSeconds: number;
    /** Called after each measurement of the rounds (not the warm-up), e.g. to read the target's RSS. */
    afterEach?: (target: Target, round: number) => void;
  },
): Promise<Record<string, Compared>> {
  const { rounds, warmupSeconds, afterEach, ...load } = options;
  for (const t of targets) await measure(t.url, { ...load, ...t, seconds: warmupSeconds });
  const runs = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      runs.get(t.name)?.push(await measure(t.url, { ...load, ...t }));
      afterEach?.(t, round);
    }
  }
  const summary = (list: Measurement[]): Compared => ({
    rps: median(list.map((r) => r.rps)),
    p50: median(list.map((r) => r.p50)),
    p99: median(list.map((r) => r.p99)),
    cpuUs: median(list.map((r) => r.cpuUs)),
    errors: list.reduce((sum, r) => sum + r.errors, 0),
    rounds: list.map((r) => r.rps),
    perRound: list.map(({ rps, p99, cpuUs }) => ({ rps, p99, cpuUs })),
  });
  return Object.fromEntries([...runs].map(([name, list]) => [name, summary(list)]));
}

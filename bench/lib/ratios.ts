// Ratios between two servers measured in the same interleaved rounds (load.ts `compare`): one
// ratio per round, then their median and range. This VM's speed moves by up to 2 × within
// minutes, so a ratio of medians taken over rounds minutes apart can measure the host; each
// round's ratio compares runs seconds apart. CPU µs per request is the least noise-sensitive.
import { Compared, median } from './load';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Each round's value, in order. */
  readonly rounds: number[];
}

export interface PairRatios {
  /** a's req/s over b's: higher is better for a. */
  readonly rps: Spread;
  /** a's p99 over b's: lower is better for a. */
  readonly p99: Spread;
  /** a's CPU µs per request over b's (NaN without pids). */
  readonly cpu: Spread;
}

/** The median and range of `values` (NaN ones left out). */
export function spread(values: number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return { median: NaN, min: NaN, max: NaN, rounds: values };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), rounds: values };
}

/** Round-by-round ratios of `a` to `b` (both from the same `compare` call). */
export function pairRatios(a: Compared, b: Compared): PairRatios {
  const rounds = Math.min(a.perRound.length, b.perRound.length);
  const per = (pick: (r: Compared['perRound'][number]) => number) =>
    spread(Array.from({ length: rounds }, (_, i) => pick(a.perRound[i]) / pick(b.perRound[i])));
  return { rps: per((r) => r.rps), p99: per((r) => r.p99), cpu: per((r) => r.cpuUs) };
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** "0.93 (0.88–1.01)": the median of the rounds' ratios and their range. */
export const showSpread = (s: Spread): string =>
  s.rounds.length > 1 ? `${f2(s.median)} (${f2(s.min)}–${f2(s.max)})` : f2(s.median);

/** What `bench/run.ts` measures and for how long; `--quick` shrinks the durations. */
export interface BenchConfig {
  readonly quick: boolean;
  readonly connections: number;
  /** One measurement of parts 1-2, s. */
  readonly seconds: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly replicaCounts: number[];
  /** Cold starts of one replica, for the median time to ready. */
  readonly startupRuns: number;
  /** The load run of part 3 (spans several refresh windows), s. */
  readonly clusterSeconds: number;
  /** Emulator token lifetimes: parts 1-2 and parts 3-4, s. */
  readonly longTtl: number;
  readonly shortTtl: number;
  /** shortTtl × BROKER_REFRESH_AT_FRACTION (0.5), ms. */
  readonly windowMs: number;
  /** Half-width of the window around a rollover in part 4, ms. */
  readonly rolloverMs: number;
  readonly brokerNodeArgs: string[];
}

export function benchConfig(quick: boolean, brokerNodeArgs: string[] = []): BenchConfig {
  const shortTtl = 6;
  return {
    quick,
    connections: 50,
    // Short rounds, many of them: each round's ratio is taken seconds apart (bench/lib/ratios.ts).
    seconds: quick ? 1.5 : 3,
    rounds: quick || brokerNodeArgs.length > 0 ? 1 : 10,
    warmupSeconds: quick ? 0.5 : 2,
    replicaCounts: [1, 3, 5],
    startupRuns: quick ? 1 : 3,
    clusterSeconds: quick ? 4 : 12,
    longTtl: 7200,
    shortTtl,
    windowMs: shortTtl * 500,
    rolloverMs: 500,
    brokerNodeArgs,
  };
}

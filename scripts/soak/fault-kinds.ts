import type { ExcuseWindows } from './excuse-windows';
import type { SoakCluster } from './soak-cluster';

/** A seeded source of randomness: the same seed replays the same choices. */
export interface Random {
  /** [0, 1) */
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: enough to spread fault choices, reproducible from the printed seed
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

export interface FaultContext {
  readonly cluster: SoakCluster;
  readonly random: Random;
  readonly windows: ExcuseWindows;
  readonly note: (text: string) => void;
  /** Names the one replica a fault aims at (recorded with the fault). */
  readonly target?: (replica: string) => void;
}

/**
 * One kind of fault. `run` injects it and heals it before resolving. Faults of the `infra`
 * lane (Redis and replicas) run one at a time; those of the `upstream` lane (Proof and
 * operators) run at the same time as them, so the two kinds meet. `extraUpstream`: token
 * requests to Proof the fault may add (retries, a lost answer, a forced refresh).
 */
export interface Fault {
  readonly kind: string;
  readonly lane: 'infra' | 'upstream';
  readonly extraUpstream: number;
  /** Started only with at least this long left in the run (a rolling restart takes a while). */
  readonly minRemainingMs?: number;
  /** Resolves with the profile it aimed at, if one (else every profile met it). */
  run(context: FaultContext): Promise<string | void>;
}

/**
 * What replicas agree on about a reported (rejected) token of one fence. `checking` is a
 * claim: one replica is asking Proof right now. `unknown`: asking failed, no one asks again
 * until it expires (a shared backoff).
 */
export type VerdictState = 'checking' | 'alive' | 'dead' | 'unknown';
export type Verdict = Exclude<VerdictState, 'checking'>;

/**
 * The shared verdicts of POST /token/rejected, so that a storm of reports across replicas
 * makes one token/info request per fence. Redis in production; an in-memory twin for one replica.
 */
export abstract class VerdictStore {
  /** True for exactly one caller while no claim or verdict exists for `fence` (SET NX). */
  abstract claim(profile: string, fence: number, ttlMs: number): Promise<boolean>;
  abstract read(profile: string, fence: number): Promise<VerdictState | undefined>;
  /** Replaces the claim with the verdict, kept for `ttlMs`. */
  abstract settle(profile: string, fence: number, verdict: Verdict, ttlMs: number): Promise<void>;
}

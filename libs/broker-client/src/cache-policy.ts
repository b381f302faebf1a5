/**
 * When a cached token is reused, asked for again, or given up: plain functions of time and
 * chance, no I/O, so they are tested on a fake clock and a fake random source.
 */
export type Random = () => number;

export interface CachePolicy {
  /** A token is never handed out with less than this left (nor less than minTtlMs). */
  readonly safetyMarginMs: number;
  readonly minTtlMs: number;
  /** A fleet spreads its requests over this share of the time to refresh_at, before it... */
  readonly spreadFraction: number;
  /** ...and over no more than this. */
  readonly maxSpreadMs: number;
  /** Past refresh_at with the same token: its replacement is pending, ask again this often. */
  readonly duePollMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The parts of GET /token's answer the cache needs. */
export interface TokenAnswer {
  readonly access_token: string;
  readonly expires_in: number;
  /** Absent from brokers older than the refresh hint. */
  readonly refresh_in?: number;
}

export interface HeldToken {
  readonly token: string;
  /** On our clock: the broker's relative times counted from when the request left. */
  readonly expiresAt: number;
  /** From then on, callers wait for a fresh answer from the broker. */
  readonly refreshAt: number;
  /** From then on, the token is not handed out at all. */
  readonly usableUntil: number;
}

/**
 * Holds `answer` from a request sent at `sentAt`. Counting from the send time makes every
 * deadline early by the request's latency, never late, and needs no clock agreement with
 * the broker. A new token is spread before its refresh_at by a random share, so clients
 * that got it together do not ask together; the same token again means its replacement is
 * due (refresh_in 0) or was not yet (ask at the hint).
 */
export function holdToken(
  answer: TokenAnswer,
  sentAt: number,
  policy: CachePolicy,
  random: Random,
  previous?: HeldToken,
): HeldToken {
  const expiresAt = sentAt + answer.expires_in * 1000;
  const usableUntil = expiresAt - Math.max(policy.safetyMarginMs, policy.minTtlMs);
  // A broker without the hint: ask again at half the remaining life.
  const hinted = sentAt + (answer.refresh_in ?? answer.expires_in / 2) * 1000;
  let refreshAt: number;
  if (hinted <= sentAt) refreshAt = sentAt + policy.duePollMs;
  else if (previous?.token === answer.access_token) refreshAt = hinted;
  else refreshAt = hinted - random() * Math.min(policy.spreadFraction * (hinted - sentAt), policy.maxSpreadMs);
  return { token: answer.access_token, expiresAt, refreshAt: Math.min(refreshAt, usableUntil), usableUntil };
}

/** Exponential backoff with full jitter, at least the broker's Retry-After. */
export function retryDelayMs(attempt: number, policy: CachePolicy, random: Random, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.min(attempt, 20));
  const jittered = Math.max(policy.backoffBaseMs / 2, Math.floor(random() * ceiling));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
}

/**
 * revoke-previous: when a replica's presence lease ends, by its own monotonic clock.
 *
 * Redis stamps the registry entry with its own clock at the moment the heartbeat runs
 * (`TIME` + the presence TTL), which is after `sentAt`, the moment we sent it; a holder goes
 * on without us only once Redis' clock has passed that stamp. So, measured on our clock from
 * `sentAt`, the entry lives at least `presenceTtlMs` (less whatever Redis' clock runs ahead of
 * ours meanwhile). Ending the lease `marginMs` earlier tolerates a drift of `marginMs` over a
 * presence TTL (a rate difference of marginMs / presenceTtlMs, or a forward step of Redis'
 * clock of up to marginMs), plus the time between our check and the answer reaching a caller.
 */
export function leaseEndsAt(sentAt: number, presenceTtlMs: number, marginMs: number): number {
  return sentAt + presenceTtlMs - marginMs;
}

/**
 * When the next token/info check may start: at once if none was sent `intervalMs` before
 * `now` (or if a caller reported the token rejected: `urgent`), else `intervalMs` after the
 * last one. Checks are never sent closer together than that otherwise.
 */
export function nextCheckAt(
  lastStartedAt: number | undefined,
  now: number,
  intervalMs: number,
  urgent = false,
): number {
  if (urgent || lastStartedAt === undefined) return now;
  return Math.max(now, lastStartedAt + intervalMs);
}

/** How long a "still valid" answer keeps readiness green without a newer one: two missed checks and a request. */
export const vouchedForMs = (intervalMs: number, upstreamTimeoutMs: number): number =>
  2 * intervalMs + upstreamTimeoutMs;

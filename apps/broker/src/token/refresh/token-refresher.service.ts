import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { HeldLock, withLock } from '../../lock/with-lock';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { RefreshStatus, TokenStore } from '../../store/token-store';
import { FailureHolds } from './failure-holds.service';
import { HandOver } from './hand-over.service';
import { LocklessRefresher } from './lockless-refresher.service';
import type { UpstreamToken } from '../upstream/proof-token.client';
import { TokenFetcher } from '../upstream/token-fetcher.service';
import { TokenRestorer } from './token-restorer.service';
import { backoffDelayMs } from '../refresh-policy';
import { mayHaveIssued } from '../upstream/may-have-issued';
import { TokenCache } from '../token-cache.service';
import type { TokenRecord } from '../../store/token-record';
import { UpstreamTokenError } from '../upstream/upstream-token.error';

export type RefreshResult =
  | 'refreshed'
  | 'reused'
  | 'refreshed_without_lock'
  | 'not_needed'
  | 'busy'
  | 'transient_failure'
  | 'permanent_failure'
  | 'stale_write';

/** Decides, after taking the lock and re-reading the store, whether the stored token still needs replacing. */
export type NeedsRefresh = (stored: TokenRecord | undefined, now: number) => boolean;

/** Replaces a profile's token under the fenced lock: at most one replica talks to Proof at a time. */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger(TokenRefresher.name);

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly store: TokenStore,
    private readonly cache: TokenCache,
    private readonly fetcher: TokenFetcher,
    private readonly lockless: LocklessRefresher,
    private readonly metrics: BrokerMetrics,
    private readonly holds: FailureHolds,
    private readonly restorer: TokenRestorer,
    private readonly handOver: HandOver,
  ) {}

  async refresh(profile: ProfileConfig, needsRefresh: NeedsRefresh): Promise<RefreshResult> {
    const timings = { leaseMs: this.config.refresh.lockLeaseMs, maxHoldMs: this.config.refresh.lockTtlMs };
    // The floor: the highest fence seen, a pending hand-over's included (after Redis lost its
    // data, a lease of that same fence would take the hand-over for its own).
    const floor = Math.max(this.cache.fence(profile.name), this.cache.handingOver(profile.name) ?? 0);
    const locked = withLock(this.store, profile.name, timings, floor, async (lock) => {
      // Another replica may have refreshed between our decision and the lock: re-read.
      const stored = await this.cache.loadFrom(this.store, profile.name);
      // A hand-over still pending now that we hold the lock lost its holder (dead, paused,
      // or its answer was lost): Proof may have revoked the stored token, replace it at once.
      const orphaned = this.cache.handingOver(profile.name) !== undefined;
      if (!orphaned && !needsRefresh(stored, Date.now())) return 'not_needed' as const;
      return this.fetchAndWrite(profile, lock, stored);
    });
    let result: Awaited<typeof locked>;
    try {
      result = await locked;
    } catch (error) {
      // Redis unreachable: by default the token in memory is served until its floor.
      if (!this.lockless.applies(profile.name, Date.now()) || !needsRefresh(this.cache.get(profile.name), Date.now()))
        throw error;
      return (await this.lockless.refresh(profile)) ? 'refreshed_without_lock' : 'transient_failure';
    }
    this.metrics.lock.inc({ profile: profile.name, result: result.acquired ? 'acquired' : 'contended' });
    if (!result.acquired) return 'busy';
    if (result.lost) this.metrics.lock.inc({ profile: profile.name, result: 'expired_while_held' });
    return result.value;
  }

  private async fetchAndWrite(
    profile: ProfileConfig,
    lock: HeldLock,
    stored: TokenRecord | undefined,
  ): Promise<RefreshResult> {
    // An earlier attempt may have revoked the stored token: whatever happens to ours, it
    // must not be served again.
    const inherited = this.cache.handingOver(profile.name) !== undefined;
    const handingOver = await this.handOver.begin(profile, lock, stored, inherited);
    if (handingOver === 'lost') return 'busy';
    let upstream: UpstreamToken;
    const secrets = this.holds.secretsVersion(profile.name);
    try {
      // The lease's signal aborts the request once the lock may be someone else's: the next
      // holder must not ask Proof while ours may still reach it.
      upstream = await this.fetcher.fetch(profile, (stored ?? this.cache.get(profile.name))?.accessToken, lock.signal);
    } catch (error) {
      if (lock.signal.aborted)
        this.logger.warn(
          `profile ${profile.name}: ${(lock.signal.reason as Error).message}: request to Proof abandoned`,
        );
      if (!handingOver) return this.recordFailure(profile, lock, error, false, secrets);
      // Proof may have issued a token, revoking the old one: it stays unserved, and the
      // next attempt (any replica's) comes at once instead of after a backoff. So too once
      // the lease is lost: the next holder may be asking Proof already, the old token stays paused.
      if (inherited || mayHaveIssued(error) || lock.signal.aborted)
        return this.recordFailure(profile, lock, error, true, secrets);
      await this.handOver.end(profile.name, lock);
      return this.recordFailure(profile, lock, error, false, secrets);
    }
    // Under Doorkeeper's reuse_access_token the same token comes back: not a new token.
    const reused = upstream.accessToken === (stored ?? this.cache.get(profile.name))?.accessToken;
    const record = this.fetcher.toRecord(profile, upstream, lock.fence, reused);
    // Not written under a hand-over: the old token is revoked all the same (by this token),
    // so it stays unserved until a newer lease writes one.
    const answer = await this.store.write(record).catch((error: unknown) => error as Error);
    // No answer (an error, a timeout: a paused holder's late write too): Redis tells what became of it.
    const written = answer instanceof Error ? await this.restorer.checkUnwritten(record) : answer;
    if (written === false) {
      this.logger.warn(`profile ${profile.name}: write with fence ${lock.fence} rejected, a newer lease exists`);
      this.metrics.fencedWritesRejected.inc({ profile: profile.name });
      this.metrics.refreshes.inc({ profile: profile.name, outcome: 'stale_write' });
      await this.writeStatus(profile.name, { outcome: 'stale_write', failures: 0 });
      return 'stale_write';
    }
    this.cache.offer(record);
    this.holds.forget(profile.name);
    if (written === 'unwritten') {
      // Redis did not take what Proof issued (under revoke-previous the old token is revoked
      // already): served from memory and written back until it lands; the lock is kept
      // meanwhile so that no other replica replaces it (the hand-over stays recorded: they wait).
      lock.holdFor(this.config.refresh.lockTtlMs);
      void this.restorer.keepWriting(profile.name, lock, answer as Error);
    } else
      await this.store.publish({ profile: profile.name, fence: record.fence, kind: 'written' }).catch(() => undefined);
    const outcome = reused ? 'reused' : 'refreshed';
    this.metrics.refreshes.inc({ profile: profile.name, outcome });
    await this.writeStatus(profile.name, { outcome, failures: 0 });
    this.logger.log(
      `profile ${profile.name}: ${outcome} token, fence ${record.fence}, expires in ${upstream.expiresInSeconds}s`,
    );
    return outcome;
  }

  /** `secrets`: FailureHolds.secretsVersion() when the request was sent. */
  private async recordFailure(
    profile: ProfileConfig,
    lock: HeldLock,
    error: unknown,
    retryPromptly: boolean,
    secrets: number,
  ): Promise<RefreshResult> {
    const failure =
      error instanceof UpstreamTokenError
        ? error
        : new UpstreamTokenError('transient', 'unexpected', undefined, undefined, { cause: error });
    const previous = await this.store.readStatus(profile.name).catch(() => undefined);
    const failures = (previous?.consecutiveFailures ?? 0) + 1;
    const { backoffBaseMs, backoffMaxMs, permanentFailureHoldMs } = this.config.refresh;
    const backoffMs = Math.max(
      backoffBaseMs / 2,
      backoffDelayMs(failures - 1, backoffBaseMs, backoffMaxMs, Math.random, failure.retryAfterMs),
    );
    // A permanent failure with secrets a reload has already replaced says nothing of the new ones.
    const hold = failure.kind === 'permanent' && this.holds.mayHold(profile.name, secrets);
    const delayMs = hold
      ? permanentFailureHoldMs
      : retryPromptly || failure.kind === 'permanent'
        ? backoffBaseMs / 2
        : backoffMs;
    // Keeping the lock for the backoff makes it shared: no replica retries before it ends.
    lock.holdFor(delayMs);
    if (hold) this.holds.keep(profile.name, lock);
    else this.holds.forget(profile.name);
    const outcome = failure.kind === 'permanent' ? 'permanent_failure' : 'transient_failure';
    this.metrics.refreshes.inc({ profile: profile.name, outcome });
    await this.writeStatus(profile.name, {
      outcome,
      failures,
      error: failure.code,
      nextAttemptAt: Date.now() + delayMs,
    });
    const log = `profile ${profile.name}: ${failure.message}; attempt ${failures}, next in ${Math.round(delayMs)} ms`;
    if (failure.kind === 'permanent') this.logger.error(`${log}. Permanent: check the client credentials and scope`);
    else this.logger.warn(log);
    return outcome;
  }

  private async writeStatus(
    profile: string,
    s: { outcome: RefreshStatus['lastOutcome']; failures: number; error?: string; nextAttemptAt?: number },
  ): Promise<void> {
    const status: RefreshStatus = {
      lastAttemptAt: Date.now(),
      lastAttemptBy: this.config.replicaId,
      lastOutcome: s.outcome,
      lastError: s.error,
      consecutiveFailures: s.failures,
      nextAttemptAt: s.nextAttemptAt,
    };
    await this.store.writeStatus(profile, status).catch(() => undefined);
  }
}

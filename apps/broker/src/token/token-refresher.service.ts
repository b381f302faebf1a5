import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { HeldLock, withLock } from '../lock/with-lock';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { RefreshStatus, TokenStore } from '../store/token-store';
import { LocklessRefresher } from './lockless-refresher.service';
import type { UpstreamToken } from './proof-token.client';
import { TokenFetcher } from './token-fetcher.service';
import { backoffDelayMs } from './refresh-policy';
import { TokenCache } from './token-cache.service';
import type { TokenRecord } from './token-record';
import { UpstreamTokenError } from './upstream-token.error';

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
  ) {}

  async refresh(profile: ProfileConfig, needsRefresh: NeedsRefresh): Promise<RefreshResult> {
    const { lockTtlMs } = this.config.refresh;
    const locked = withLock(this.store, profile.name, lockTtlMs, this.cache.fence(profile.name), async (lock) => {
      // Another replica may have refreshed between our decision and the lock: re-read.
      const stored = await this.store.read(profile.name);
      if (stored) this.cache.offer(stored);
      if (!needsRefresh(stored, Date.now())) return 'not_needed' as const;
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
    const handingOver = await this.startHandOver(profile, lock, stored);
    let upstream: UpstreamToken;
    try {
      upstream = await this.fetcher.fetch(profile);
    } catch (error) {
      if (handingOver) await this.endHandOver(profile, lock);
      return this.recordFailure(profile, lock, error);
    }
    // Under Doorkeeper's reuse_access_token the same token comes back: not a new token.
    const reused = upstream.accessToken === (stored ?? this.cache.get(profile.name))?.accessToken;
    const record = this.fetcher.toRecord(profile, upstream, lock.fence, reused);
    const written = await this.store.write(record).catch(() => false);
    if (handingOver && !written) await this.endHandOver(profile, lock);
    if (!written) {
      this.logger.warn(`profile ${profile.name}: write with fence ${lock.fence} rejected, a newer lease exists`);
      this.metrics.fencedWritesRejected.inc({ profile: profile.name });
      this.metrics.refreshes.inc({ profile: profile.name, outcome: 'stale_write' });
      await this.writeStatus(profile.name, { outcome: 'stale_write', failures: 0 });
      return 'stale_write';
    }
    this.cache.offer(record);
    await this.store.publish({ profile: profile.name, fence: record.fence, kind: 'written' }).catch(() => undefined);
    const outcome = reused ? 'reused' : 'refreshed';
    this.metrics.refreshes.inc({ profile: profile.name, outcome });
    await this.writeStatus(profile.name, { outcome, failures: 0 });
    this.logger.log(
      `profile ${profile.name}: ${outcome} token, fence ${record.fence}, expires in ${upstream.expiresInSeconds}s`,
    );
    return outcome;
  }

  /**
   * Under revoke-previous the token we are about to get revokes the one every replica is
   * serving: tell them to stop serving it, and give the message time to arrive, before
   * asking Proof. Waiting callers are answered as soon as the new token is published.
   */
  private async startHandOver(
    profile: ProfileConfig,
    lock: HeldLock,
    stored: TokenRecord | undefined,
  ): Promise<boolean> {
    const current = stored ?? this.cache.get(profile.name);
    if (profile.tokenPolicy !== 'revoke-previous' || !current || current.expiresAt <= Date.now()) return false;
    const { handOverMs, upstreamTimeoutMs } = this.config.refresh;
    this.cache.pause(profile.name, lock.fence, Date.now() + handOverMs + upstreamTimeoutMs);
    await this.store.publish({ profile: profile.name, fence: lock.fence, kind: 'handover' }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, handOverMs));
    return true;
  }

  private async endHandOver(profile: ProfileConfig, lock: HeldLock): Promise<void> {
    this.cache.resume(profile.name, lock.fence);
    await this.store.publish({ profile: profile.name, fence: lock.fence, kind: 'handover_end' }).catch(() => undefined);
  }

  private async recordFailure(profile: ProfileConfig, lock: HeldLock, error: unknown): Promise<RefreshResult> {
    const failure =
      error instanceof UpstreamTokenError
        ? error
        : new UpstreamTokenError('transient', 'unexpected', undefined, undefined, { cause: error });
    const previous = await this.store.readStatus(profile.name).catch(() => undefined);
    const failures = (previous?.consecutiveFailures ?? 0) + 1;
    const { backoffBaseMs, backoffMaxMs, permanentFailureHoldMs } = this.config.refresh;
    const delayMs =
      failure.kind === 'permanent'
        ? permanentFailureHoldMs
        : Math.max(
            backoffBaseMs / 2,
            backoffDelayMs(failures - 1, backoffBaseMs, backoffMaxMs, Math.random, failure.retryAfterMs),
          );
    // Keeping the lock for the backoff makes it shared: no replica retries before it ends.
    lock.holdFor(delayMs);
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

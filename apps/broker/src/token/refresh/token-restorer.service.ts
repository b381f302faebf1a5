import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import type { LockLease } from '../../store/token-store';
import type { TokenRecord } from '../../store/token-record';
import { TokenStore } from '../../store/token-store';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { backoffDelayMs } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';

/**
 * What a write-back found: `written` (ours is in Redis now), `stored` (it already was: an
 * earlier write whose answer was lost), `newer` (a newer token or lease exists), `none`
 * (nothing servable held), `failed` (Redis did not answer).
 */
export type Restored = 'written' | 'stored' | 'newer' | 'none' | 'failed';

/** The longest a reconnect's write-back waits, for the holder of the oldest token. */
export const RESTORE_ORDER_MAX_MS = 1_500;

/**
 * Writes the token this replica holds back to Redis, with its own fence: when Redis comes
 * back (restarted empty, failed over), and after a refresh whose final write failed (the new
 * token is served from memory meanwhile, see TokenRefresher). The fenced compare-and-set
 * makes one write win; other replicas then reconcile to it.
 *
 * Redis restarted empty has lost its fence too, so the compare-and-set alone would take an
 * older token first and let a newer one replace it: the stored fence would go down (a
 * replica still holding the token a revoke-previous refresh revoked would even store a
 * revoked token). So on reconnect a replica does not write back a token older than a fence
 * it has seen written or handed over to, and the newest token goes first: each waits in
 * proportion to its token's age (RESTORE_ORDER_MAX_MS at most), then reads again.
 */
@Injectable()
export class TokenRestorer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TokenRestorer.name);
  private readonly retrying = new Set<string>();
  private readonly closing = new AbortController();
  /** Per profile, the highest fence this replica has seen written (pub/sub), held or not. */
  private readonly seen = new Map<string, number>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly store: TokenStore,
    private readonly cache: TokenCache,
    private readonly profiles: ProfileResolver,
  ) {}

  onApplicationBootstrap(): void {
    this.store.onUpdate(({ profile, fence, kind }) => {
      if (kind === 'written' && fence > (this.seen.get(profile) ?? 0)) this.seen.set(profile, fence);
    });
    this.store.onReconnect(() => void this.restoreAll());
  }

  onApplicationShutdown(): void {
    this.closing.abort();
  }

  async restoreAll(): Promise<void> {
    await Promise.all(this.profiles.all().map(({ name }) => this.restore(name)));
  }

  /**
   * A write of `record` that got no answer: true if Redis holds it after all (an
   * answer lost), false if a newer token is stored (a late write, rejected by the fence),
   * 'unwritten' if it is not there and nothing newer is (Redis unreachable, or the write
   * lost): then the caller serves it from memory and `keepWriting` (a newer lease's pending
   * hand-over, seen by this same read, keeps it unserved; its fence rejects the write-back),
   * and keepWriting says so in the log, once.
   */
  async checkUnwritten(record: TokenRecord): Promise<boolean | 'unwritten'> {
    try {
      const stored = await this.store.read(record.profile);
      if (stored && stored.fence > record.fence) return false;
      if (stored?.fence === record.fence) return true;
    } catch {
      // Redis does not answer: nothing newer can be known.
    }
    return 'unwritten';
  }

  /**
   * A freshly issued token whose write failed: written back, fenced, with backoff, until it
   * lands, a newer token or lease exists, it expires, or the app closes. `lock`, still held
   * for a lock TTL so that no other replica replaces the token meanwhile, is released once
   * the token is in Redis. One loop per profile.
   */
  async keepWriting(profile: string, lock?: LockLease, cause?: Error): Promise<Restored> {
    this.logger.warn(
      `profile ${profile}: token of fence ${this.cache.get(profile)?.fence} served from memory, its write failed (${cause?.message ?? 'unknown'}): writing it back`,
    );
    if (this.retrying.has(profile)) return 'failed';
    this.retrying.add(profile);
    const { backoffBaseMs, backoffMaxMs } = this.config.refresh;
    try {
      for (let attempt = 0; ; attempt++) {
        if (!(await this.pause(backoffDelayMs(attempt, backoffBaseMs, backoffMaxMs, Math.random)))) return 'failed';
        const outcome = await this.restore(profile, true);
        if (outcome === 'failed') continue;
        if (lock && (outcome === 'written' || outcome === 'stored'))
          await this.store.releaseLock(lock).catch(() => false);
        return outcome;
      }
    } finally {
      this.retrying.delete(profile);
    }
  }

  /** Resolves true after `ms`, or false at once when the app closes. */
  private pause(ms: number): Promise<boolean> {
    const signal = this.closing.signal;
    if (signal.aborted) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const closed = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', closed);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', closed, { once: true });
    });
  }

  /**
   * A newer fence this replica knows of than the token it holds: one seen written, or a
   * hand-over (revoke-previous) that keeps the held token unserved.
   */
  private superseded(held: TokenRecord): boolean {
    return (this.seen.get(held.profile) ?? 0) > held.fence || (this.cache.handingOver(held.profile) ?? 0) > held.fence;
  }

  /** On reconnect, the newest token first: a wait that grows with the held token's age. */
  private orderDelayMs(held: TokenRecord, now: number): number {
    const lifetime = Math.max(1, held.expiresAt - held.receivedAt);
    return Math.round(RESTORE_ORDER_MAX_MS * Math.min(1, Math.max(0, now - held.receivedAt) / lifetime));
  }

  /** `afterFailedWrite`: a token already stored with our fence is ours (an answer lost), announce it. */
  private async restore(profile: string, afterFailedWrite = false): Promise<Restored> {
    if (!afterFailedWrite) {
      const before = this.cache.get(profile);
      if (!before || before.expiresAt <= Date.now()) return 'none';
      if (this.superseded(before)) return 'newer';
      if (!(await this.pause(this.orderDelayMs(before, Date.now())))) return 'failed';
    }
    const held = this.cache.get(profile);
    if (!held || held.expiresAt <= Date.now()) return 'none';
    if (!afterFailedWrite && this.superseded(held)) return 'newer';
    try {
      const stored = await this.store.read(profile);
      if (stored && (stored.fence > held.fence || (stored.fence === held.fence && !afterFailedWrite))) return 'newer';
      const written = stored?.fence === held.fence ? 'stored' : (await this.store.write(held)) ? 'written' : 'newer';
      if (written === 'newer') return written;
      await this.store.publish({ profile, fence: held.fence, kind: 'written' });
      this.logger.log(`profile ${profile}: token with fence ${held.fence} is in Redis (${written} back)`);
      return written;
    } catch (error) {
      this.logger.warn(`profile ${profile}: write-back of fence ${held.fence} failed: ${(error as Error).message}`);
      return 'failed';
    }
  }
}

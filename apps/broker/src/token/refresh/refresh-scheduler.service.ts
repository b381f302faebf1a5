import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { TokenEvent, TokenStore } from '../../store/token-store';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { isDue } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import { HandOver } from './hand-over.service';
import { LeaseKeeper } from './lease-keeper.service';
import { ServingLease } from './serving-lease.service';
import { TokenRefresher } from './token-refresher.service';

const REFRESH_JOB = 'token-refresh';
const RECONCILE_JOB = 'token-reconcile';

/**
 * The scheduled jobs, registered with @nestjs/schedule at the configured intervals. Every
 * replica runs them; the fenced lock makes one replica do the refresh. The jobs never
 * throw: failures are logged here and recorded in the shared refresh status.
 */
@Injectable()
export class RefreshScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RefreshScheduler.name);
  private readonly running = new Map<string, Promise<void>>();
  private storeWasDown = false;

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly registry: SchedulerRegistry,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly refresher: TokenRefresher,
    private readonly lease: ServingLease,
    private readonly keeper: LeaseKeeper,
    private readonly handOver: HandOver,
  ) {}

  onApplicationBootstrap(): void {
    if (this.store.kind === 'memory') {
      this.logger.warn(
        'REDIS_URL is not set: using the embedded in-memory store. Run ONE replica only; it is not safe to scale out.',
      );
    }
    // Pub/sub tells us a fence; the record itself is read from the store.
    this.store.onUpdate((event) => this.onEvent(event));
    // Every read also tells whether a hand-over is pending (it outlives lost messages).
    this.store.onHandOverSeen((profile, pending, ended) => {
      if (ended !== undefined) this.cache.handOverEnded(profile, ended);
      if (pending !== undefined) this.handOver.acknowledge(profile, pending);
    });
    // Back on Redis (maybe restarted empty): register again and look for a hand-over at once.
    this.store.onReconnect(() => {
      if (this.storeWasDown) this.logger.log('Redis reachable again: refreshes resume');
      this.storeWasDown = false;
      void this.reconcileAll();
    });
    this.registry.addInterval(
      REFRESH_JOB,
      setInterval(() => void this.refreshDue(), this.config.refresh.checkIntervalMs),
    );
    // Pub/sub drops messages while disconnected: re-read the store now and then.
    this.registry.addInterval(
      RECONCILE_JOB,
      setInterval(() => void this.reconcileAll(), this.config.refresh.reconcileIntervalMs),
    );
    void this.reconcileAll().finally(() => void this.refreshDue());
  }

  /** Before Redis closes: stop the jobs and let a running refresh finish and release its lock. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const name of [REFRESH_JOB, RECONCILE_JOB]) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await Promise.allSettled(this.running.values());
    // A hand-over need not wait for us any more.
    const replica = this.config.replicaId;
    await Promise.allSettled(this.profiles.all().map(({ name }) => this.store.leave(name, replica)));
  }

  async refreshDue(): Promise<void> {
    await Promise.all(this.profiles.all().map((profile) => this.refreshIfDue(profile.name)));
  }

  private async refreshIfDue(name: string): Promise<void> {
    // Past the presence lease, Proof's word keeps the token servable (rate-limited checks);
    // under new and reuse, cut off from Redis, it tells a token revoked out of band.
    if (this.keeper.needsEvidence(name) || this.lease.cutOff(name)) void this.keeper.check(this.profiles.require(name));
    const plannedAt = this.cache.plannedAt(name);
    // A pending hand-over whose holder is gone is due at once (the lock tells whether it is),
    // and so is a token Proof refused.
    const waiting =
      plannedAt !== undefined &&
      Date.now() < plannedAt &&
      this.cache.handingOver(name) === undefined &&
      !this.lease.isRefused(name, this.cache.fence(name));
    if (waiting || this.running.has(name)) return;
    const run = this.runRefresh(name).finally(() => this.running.delete(name));
    this.running.set(name, run);
    await run;
  }

  private async runRefresh(name: string): Promise<void> {
    try {
      // After the lock, the stored record decides: a record another replica just wrote is not due.
      await this.refresher.refresh(
        this.profiles.require(name),
        (stored, now) =>
          isDue(stored, now, this.config.refresh) || (stored !== undefined && this.lease.isRefused(name, stored.fence)),
      );
    } catch (error) {
      if (this.store.ready) this.logger.warn(`profile ${name}: scheduled refresh failed: ${(error as Error).message}`);
      else if (this.store.unreachable && !this.storeWasDown) {
        // Once per outage: tokens are served from memory until their floor meanwhile. Not
        // while the first connection is being made (at boot): the next tick tries again.
        this.storeWasDown = true;
        this.logger.warn('Redis unreachable: refreshes paused, serving tokens from memory');
      }
    }
  }

  private onEvent(event: TokenEvent): void {
    switch (event.kind) {
      case 'written':
        void this.reconcile(event.profile);
        return;
      case 'handover':
        this.handOver.acknowledge(event.profile, event.fence);
        return;
      case 'handover_end':
        this.cache.resume(event.profile, event.fence);
        return;
    }
  }

  private async reconcileAll(): Promise<void> {
    await Promise.all(this.profiles.all().map((profile) => this.reconcile(profile.name, true)));
  }

  /** Re-reads the record (and with it the hand-over state); with `present`, renews our presence and its lease. */
  private async reconcile(profile: string, present = false): Promise<void> {
    try {
      if (present) await this.keeper.renew(profile);
      else await this.cache.loadFrom(this.store, profile);
    } catch (error) {
      this.logger.debug(`profile ${profile}: reconcile skipped: ${(error as Error).message}`);
    }
  }
}

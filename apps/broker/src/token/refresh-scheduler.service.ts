import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { TokenEvent, TokenStore } from '../store/token-store';
import { ProfileResolver } from './profile-resolver';
import { isDue } from './refresh-policy';
import { TokenCache } from './token-cache.service';
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
  ) {}

  onApplicationBootstrap(): void {
    if (this.store.kind === 'memory') {
      this.logger.warn(
        'REDIS_URL is not set: using the embedded in-memory store. Run ONE replica only; it is not safe to scale out.',
      );
    }
    // Pub/sub tells us a fence; the record itself is read from the store.
    this.store.onUpdate((event) => this.onEvent(event));
    this.registry.addInterval(
      REFRESH_JOB,
      setInterval(() => void this.refreshDue(), this.config.refresh.checkIntervalMs),
    );
    // Pub/sub drops messages while disconnected: re-read the store now and then.
    this.registry.addInterval(
      RECONCILE_JOB,
      setInterval(() => void this.reconcileAll(), this.config.refresh.reconcileIntervalMs),
    );
    void this.refreshDue();
  }

  /** Before Redis closes: stop the jobs and let a running refresh finish and release its lock. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const name of [REFRESH_JOB, RECONCILE_JOB]) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await Promise.allSettled(this.running.values());
  }

  async refreshDue(): Promise<void> {
    await Promise.all(this.profiles.all().map((profile) => this.refreshIfDue(profile.name)));
  }

  private async refreshIfDue(name: string): Promise<void> {
    const plannedAt = this.cache.plannedAt(name);
    if ((plannedAt !== undefined && Date.now() < plannedAt) || this.running.has(name)) return;
    const run = this.runRefresh(name).finally(() => this.running.delete(name));
    this.running.set(name, run);
    await run;
  }

  private async runRefresh(name: string): Promise<void> {
    try {
      // After the lock, the stored record decides: a record another replica just wrote is not due.
      await this.refresher.refresh(this.profiles.require(name), (stored, now) =>
        isDue(stored, now, this.config.refresh),
      );
      this.storeWasDown = false;
    } catch (error) {
      if (this.store.ready) this.logger.warn(`profile ${name}: scheduled refresh failed: ${(error as Error).message}`);
      else if (!this.storeWasDown) {
        // Once per outage: tokens are served from memory until their floor meanwhile.
        this.storeWasDown = true;
        this.logger.warn('Redis unreachable: refreshes paused, serving tokens from memory');
      }
    }
  }

  private onEvent(event: TokenEvent): void {
    const { handOverMs, upstreamTimeoutMs } = this.config.refresh;
    switch (event.kind) {
      case 'written':
        void this.reconcile(event.profile);
        return;
      case 'handover':
        // Bounded: if the holder dies mid-refresh we serve the old token again after this.
        this.cache.pause(event.profile, event.fence, Date.now() + handOverMs + upstreamTimeoutMs);
        return;
      case 'handover_end':
        this.cache.resume(event.profile, event.fence);
        return;
    }
  }

  private async reconcileAll(): Promise<void> {
    await Promise.all(this.profiles.all().map((profile) => this.reconcile(profile.name)));
  }

  private async reconcile(profile: string): Promise<void> {
    try {
      const stored = await this.store.read(profile);
      if (stored) this.cache.offer(stored);
    } catch (error) {
      this.logger.debug(`profile ${profile}: reconcile skipped: ${(error as Error).message}`);
    }
  }
}

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TokenStore } from '../../store/token-store';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { TokenCache } from '../token-cache.service';

/**
 * When Redis comes back (restarted empty, failed over), writes each token this replica
 * still holds back to it, with its own fence. The fenced compare-and-set makes one write
 * win and keeps the fence from going backwards; other replicas then reconcile to it.
 */
@Injectable()
export class TokenRestorer implements OnApplicationBootstrap {
  private readonly logger = new Logger(TokenRestorer.name);

  constructor(
    private readonly store: TokenStore,
    private readonly cache: TokenCache,
    private readonly profiles: ProfileResolver,
  ) {}

  onApplicationBootstrap(): void {
    this.store.onReconnect(() => void this.restoreAll());
  }

  async restoreAll(): Promise<void> {
    await Promise.all(this.profiles.all().map(({ name }) => this.restore(name)));
  }

  private async restore(profile: string): Promise<void> {
    const held = this.cache.get(profile);
    if (!held || held.expiresAt <= Date.now()) return;
    try {
      const stored = await this.store.read(profile);
      if (stored && stored.fence >= held.fence) return;
      if (await this.store.write(held)) {
        await this.store.publish({ profile, fence: held.fence, kind: 'written' });
        this.logger.log(`profile ${profile}: restored token with fence ${held.fence} to Redis`);
      }
    } catch (error) {
      this.logger.warn(`profile ${profile}: restore skipped: ${(error as Error).message}`);
    }
  }
}
